"""formData values read back into Odoo values (protocol/form_values.py)."""

from datetime import date, datetime

import pytest

from aiflow_connector.protocol.form_values import FormValueError, read_value


@pytest.mark.parametrize(
    "ttype, value, expected",
    [
        ("char", "深圳", "深圳"),
        ("text", "", ""),
        ("html", "<p>x</p>", "<p>x</p>"),
        ("integer", 42, 42),
        ("integer", -(2**31), -(2**31)),
        ("float", 3, 3.0),
        ("monetary", 10000.5, 10000.5),
        ("boolean", False, False),
        ("date", "2025-01-24", date(2025, 1, 24)),
        ("datetime", "2025-01-24 15:30:00", datetime(2025, 1, 24, 7, 30)),
        ("many2one", 7, 7),
        ("many2one", "7", 7),
        ("char", None, False),
    ],
)
def test_values_that_fit(ttype, value, expected):
    assert read_value("f", ttype, value, tz_name="Asia/Shanghai") == expected


def test_selection_key():
    assert read_value("f", "selection", "b", selection_keys=("a", "b")) == "b"


@pytest.mark.parametrize(
    "ttype, value, says",
    [
        ("char", 5, "expected a String"),
        ("integer", "12", "expected an integer"),
        ("integer", 1.0, "expected an integer"),
        ("integer", True, "expected an integer"),
        ("integer", 2**31, "out of range"),
        ("float", "1.5", "expected a number"),
        ("float", float("nan"), "not a finite number"),
        ("boolean", "true", "expected true or false"),
        ("date", "2025-02-30", "no such date"),
        ("date", "2025/01/24", "expected a date"),
        ("date", "2025-01-24 00:00:00", "expected a date"),
        ("datetime", "2025-01-24", "expected a time"),
        ("datetime", 1706083200, "expected a time"),
        ("many2one", "Parent Co", "expected a record id"),
        ("many2one", 0, "expected a record id"),
        ("many2one", -3, "expected a record id"),
        ("many2one", 2**40, "no such record"),
        ("many2one", "007", "expected a record id"),
        ("binary", "x", "not on aiflow forms"),
    ],
)
def test_values_that_do_not_fit_name_the_field(ttype, value, says):
    with pytest.raises(FormValueError) as caught:
        read_value("amount", ttype, value)
    assert caught.value.field == "amount"
    assert str(caught.value).startswith("formData.amount: ")
    assert says in caught.value.problem


def test_unknown_selection_key():
    with pytest.raises(FormValueError, match="not one of the options"):
        read_value("state", "selection", "zzz", selection_keys=("draft", "done"))


def test_required_refuses_null_and_blank():
    with pytest.raises(FormValueError, match="required"):
        read_value("name", "char", None, required=True)
    with pytest.raises(FormValueError, match="required"):
        read_value("name", "char", "  ", required=True)
