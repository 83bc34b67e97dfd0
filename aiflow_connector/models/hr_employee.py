# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
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

    def _aiflow_sync_values(self, in_scope_only=False):
        # One query for thousands of records (a full resync). A manager aiflow
        # cannot know (no department, another company) is left out rather
        # than named and refused. Each linked row is looked up by its key:
        # the cost follows the records asked for, not the size of the tables.
        self.flush_model(list(self._aiflow_sync_fields))
        self.env["hr.department"].flush_model(["aiflow_code"])
        self.env["res.users"].flush_model(["login"])
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, e.aiflow_code,
                       (SELECT u.login FROM res_users u WHERE u.id = e.user_id),
                       e.name, e.work_email, e.mobile_phone, e.work_phone,
                       (SELECT d.aiflow_code FROM hr_department d WHERE d.id = e.department_id),
                       e.employee_type,
                       (SELECT m.aiflow_code FROM hr_employee m
                         WHERE m.id = e.parent_id AND m.department_id IS NOT NULL
                           AND %(manager_scope)s),
                       e.active
                  FROM hr_employee e
                 WHERE e.id = ANY(%(ids)s) AND %(scope)s
                """,
                ids=list(self.ids),
                scope=self._aiflow_scope_sql("e") if in_scope_only else SQL("TRUE"),
                manager_scope=self._aiflow_scope_sql("m"),
            )
        )
        names = (
            "code",
            "login",
            "name",
            "email",
            "mobile_phone",
            "work_phone",
            "dept_code",
            "employee_type",
            "manager_code",
            "active",
        )
        values = {row[0]: dict(zip(names, row[1:], strict=True)) for row in self.env.cr.fetchall()}
        for record_values in values.values():
            record_values["mobile"] = person_phone.employee_phone(
                record_values.pop("mobile_phone"), record_values.pop("work_phone")
            )
        return values

    def _aiflow_item(self, values):
        # aiflow requires a department: an employee without one is not sent.
        if not values.get("code") or not values.get("dept_code"):
            return None
        return org_payloads.user_item(values)

    def _aiflow_dependents(self):
        return [self.with_context(active_test=False).search([("parent_id", "in", self.ids)])]


# After the departments (priority 10) and before their old codes are disabled (40).
sources.register(org_source("hr.employee", org_payloads.USER_SYNC, priority=20, fixed_priority=30))
