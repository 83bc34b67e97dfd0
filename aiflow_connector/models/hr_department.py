# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.tools import SQL

from ..outbox import sources
from ..protocol import org_payloads
from .aiflow_code_mixin import org_source


class HrDepartment(models.Model):
    _name = "hr.department"
    _inherit = ["hr.department", "aiflow.code.mixin"]
    _aiflow_code_sequence = "aiflow_connector.department_code"
    _aiflow_endpoint = org_payloads.DEPARTMENT_SYNC
    _aiflow_sync_fields = ("name", "parent_id", "active", "aiflow_code", "company_id")
    _aiflow_name_column = "complete_name"

    def _aiflow_sync_values(self, in_scope_only=False):
        # One query for thousands of records (a full resync); the name in the
        # language of the user running the sync (the cron's: an admin's). The
        # parent is looked up by its key, at a cost that follows the records
        # asked for, not the size of the table.
        self.flush_model(["aiflow_code", "name", "parent_id", "active", "company_id"])
        lang = self.env.lang or self.env.user.lang or "en_US"
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id, d.aiflow_code,
                       COALESCE(d.name->>%(lang)s, d.name->>'en_US'),
                       (SELECT p.aiflow_code FROM hr_department p WHERE p.id = d.parent_id),
                       d.active
                  FROM hr_department d
                 WHERE d.id = ANY(%(ids)s) AND %(scope)s
                """,
                lang=lang,
                ids=list(self.ids),
                scope=self._aiflow_scope_sql("d") if in_scope_only else SQL("TRUE"),
            )
        )
        return {
            row_id: {"code": code, "name": name, "parent_code": parent_code, "active": active}
            for row_id, code, name, parent_code, active in self.env.cr.fetchall()
        }

    def _aiflow_item(self, values):
        if not values.get("code"):
            return None
        return org_payloads.department_item(values)

    def _aiflow_dependents(self):
        records = self.with_context(active_test=False)
        return [
            records.search([("parent_id", "in", self.ids)]),
            records.env["hr.employee"].search([("department_id", "in", self.ids)]),
        ]


# Departments before users; a department's old or deleted code is disabled
# last, once every child and member has been pointed elsewhere.
sources.register(
    org_source("hr.department", org_payloads.DEPARTMENT_SYNC, priority=10, fixed_priority=40)
)
