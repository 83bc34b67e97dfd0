# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""aiflow gets one phone per person: the ``mobile`` user sync sends is the
``phoneNumber`` the OAuth2 userinfo shows (protocol/person_phone.py)."""

from odoo.tests import new_test_user, tagged

from .common import USER_PATH, OrgSyncCase


@tagged("post_install", "-at_install")
class TestOnePhoneRule(OrgSyncCase):
    def _person(self, login, **employee_values):
        user = new_test_user(self.env, login=login, groups="base.group_user")
        employee = self.Emp.create(
            dict(
                {
                    "name": login,
                    "user_id": user.id,
                    "department_id": self.department.id,
                    "company_id": user.company_id.id,
                },
                **employee_values,
            )
        )
        return user, employee

    def setUp(self):
        super().setUp()
        self.department = self.Dept.create({"name": "Phone rule dept"})

    def _sync_item(self, employee):
        values = employee._aiflow_sync_values()[employee.id]
        return employee._aiflow_item(values)

    def test_sync_and_userinfo_agree(self):
        for login, values, expected in (
            ("phone_both", {"mobile_phone": "13800138000", "work_phone": "010-1"}, "13800138000"),
            (
                "phone_work_only",
                {"mobile_phone": False, "work_phone": "010-12345678"},
                "010-12345678",
            ),
            (
                "phone_mobile_only",
                {"mobile_phone": "13900000000", "work_phone": False},
                "13900000000",
            ),
            ("phone_none", {"mobile_phone": False, "work_phone": False}, ""),
        ):
            with self.subTest(login=login):
                user, employee = self._person(login, **values)
                user.partner_id.phone = "021-99999999"  # not the employee's phone
                self.assertEqual(self._sync_item(employee)["mobile"], expected)
                self.assertEqual(user._aiflow_oauth_userinfo()["phoneNumber"], expected)

    def test_a_work_phone_reaches_aiflow_and_its_change_too(self):
        user, employee = self._person("phone_delivered", mobile_phone=False, work_phone="010-1")
        self.deliver()
        self.assertEqual(self.aiflow_user(employee)["mobile"], "010-1")
        self.assertEqual(user._aiflow_oauth_userinfo()["phoneNumber"], "010-1")
        employee.work_phone = "010-2"
        self.deliver()
        self.assertEqual(self.aiflow_user(employee)["mobile"], "010-2")
        self.assertEqual(self.sent_items(USER_PATH)[-1]["mobile"], "010-2")

    def test_a_user_without_employee_has_the_contact_phone(self):
        user = new_test_user(self.env, login="phone_no_employee", groups="base.group_user")
        user.partner_id.write({"mobile": False, "phone": "010-7"})
        self.assertEqual(user._aiflow_oauth_userinfo()["phoneNumber"], "010-7")
        user.partner_id.mobile = "13700000000"
        self.assertEqual(user._aiflow_oauth_userinfo()["phoneNumber"], "13700000000")
