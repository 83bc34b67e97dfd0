# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..protocol import org_payloads


class HrEmployee(models.Model):
    _name = "hr.employee"
    _inherit = ["hr.employee", "aiflow.code.mixin"]
    _aiflow_code_sequence = "aiflow_connector.employee_code"
    _aiflow_endpoint = org_payloads.USER_SYNC
    _aiflow_sync_fields = (
        "name",
        "user_id",
        "work_email",
        "mobile_phone",
        "department_id",
        "employee_type",
        "parent_id",
        "active",
        "aiflow_code",
        "company_id",
    )

    def _aiflow_sync_values(self, in_scope_only=False):
        records = self.with_context(active_test=False).sudo()
        if in_scope_only:
            records = records._aiflow_in_scope()
        rows = records.read(
            [
                "aiflow_code",
                "name",
                "user_id",
                "work_email",
                "mobile_phone",
                "department_id",
                "employee_type",
                "parent_id",
                "active",
            ],
            load=None,
        )
        user_ids = {row["user_id"] for row in rows if row["user_id"]}
        logins = {
            user["id"]: user["login"]
            for user in self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .browse(user_ids)
            .read(["login"], load=None)
        }
        dept_ids = {row["department_id"] for row in rows if row["department_id"]}
        dept_codes = {
            dept["id"]: dept["aiflow_code"]
            for dept in self.env["hr.department"]
            .sudo()
            .with_context(active_test=False)
            .browse(dept_ids)
            .read(["aiflow_code"], load=None)
        }
        manager_ids = {row["parent_id"] for row in rows if row["parent_id"]}
        managers = records.browse(manager_ids)
        # A manager aiflow cannot know (no department, another company) is
        # left out rather than named and rejected.
        sendable_managers = managers._aiflow_in_scope().filtered("department_id")
        manager_codes = {
            manager["id"]: manager["aiflow_code"]
            for manager in sendable_managers.read(["aiflow_code"], load=None)
        }
        return {
            row["id"]: {
                "code": row["aiflow_code"],
                "login": logins.get(row["user_id"]),
                "name": row["name"],
                "email": row["work_email"],
                "mobile": row["mobile_phone"],
                "dept_code": dept_codes.get(row["department_id"]),
                "employee_type": row["employee_type"],
                "manager_code": manager_codes.get(row["parent_id"]),
                "active": row["active"],
            }
            for row in rows
        }

    def _aiflow_item(self, values):
        # aiflow requires a department: an employee without one is not sent.
        if not values.get("code") or not values.get("dept_code"):
            return None
        return org_payloads.user_item(values)

    def _aiflow_dependents(self):
        return [
            self.with_context(active_test=False).search([("parent_id", "in", self.ids)])
        ]
