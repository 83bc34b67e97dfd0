# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.tools import SQL

from ..outbox import sources
from ..protocol import org_payloads, person_phone
from .aiflow_code_mixin import org_source


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
        "work_phone",
        "department_id",
        "employee_type",
        "parent_id",
        "active",
        "aiflow_code",
        "company_id",
    )

    def _aiflow_flush_sync_fields(self):
        self.flush_model(list(self._aiflow_sync_fields))
        self.env["hr.department"].flush_model(["aiflow_code"])
        self.env["res.users"].flush_model(["login"])

    @api.model
    def _aiflow_rows_sql(self, condition):
        # A manager aiflow cannot know (no department, another company) is
        # left out rather than named and refused. Joined: a few ids are
        # looked up by key, a whole company hashed at once.
        return SQL(
            """
            SELECT r.id, r.parent_id, r.aiflow_code, r.name,
                   u.login, r.work_email, r.mobile_phone, r.work_phone,
                   d.aiflow_code, r.employee_type, m.aiflow_code, r.active
              FROM hr_employee r
              LEFT JOIN res_users u ON u.id = r.user_id
              LEFT JOIN hr_department d ON d.id = r.department_id
              LEFT JOIN hr_employee m
                     ON m.id = r.parent_id AND m.department_id IS NOT NULL
                    AND %(manager_scope)s
             WHERE %(condition)s
            """,
            condition=condition,
            manager_scope=self._aiflow_scope_sql("m"),
        )

    @api.model
    def _aiflow_values(self, row):
        (
            _id, _parent, code, name, login, email, mobile, work_phone,
            dept_code, employee_type, manager_code, active,
        ) = row  # fmt: skip
        return {
            "code": code,
            "login": login,
            "name": name,
            "email": email,
            "mobile": person_phone.employee_phone(mobile, work_phone),
            "dept_code": dept_code,
            "employee_type": employee_type,
            "manager_code": manager_code,
            "active": active,
        }

    def _aiflow_item(self, values):
        # aiflow requires a department: an employee without one is not sent.
        if not values.get("code") or not values.get("dept_code"):
            return None
        return org_payloads.user_item(values)

    def _aiflow_dependents(self):
        return [self.with_context(active_test=False).search([("parent_id", "in", self.ids)])]


# After the departments (priority 10) and before their old codes are disabled (40).
sources.register(org_source("hr.employee", org_payloads.USER_SYNC, priority=20, fixed_priority=30))
