"""The one phone rule shared by user sync and the OAuth2 userinfo."""

import pytest

from aiflow_connector.protocol import org_payloads
from aiflow_connector.protocol.person_phone import contact_phone, employee_phone


@pytest.mark.parametrize(
    "mobile, work, expected",
    [
        ("13800138000", "010-12345678", "13800138000"),
        ("", "010-12345678", "010-12345678"),
        (None, " 010-12345678 ", "010-12345678"),
        (False, "010-12345678", "010-12345678"),  # Odoo's empty field
        ("   ", "010-12345678", "010-12345678"),
        (None, None, ""),
        (False, False, ""),
    ],
)
def test_employee_phone_is_the_work_mobile_else_the_work_phone(mobile, work, expected):
    assert employee_phone(mobile, work) == expected


@pytest.mark.parametrize(
    "mobile, phone, expected",
    [
        ("13800138000", "010-1", "13800138000"),
        (False, "010-1", "010-1"),
        (None, None, ""),
    ],
)
def test_contact_phone_is_the_mobile_else_the_phone(mobile, phone, expected):
    assert contact_phone(mobile, phone) == expected


def test_user_sync_sends_what_the_rule_gives():
    values = {
        "code": "U1",
        "dept_code": "D1",
        "mobile": employee_phone(False, "010-12345678"),
    }
    assert org_payloads.user_item(values)["mobile"] == "010-12345678"
