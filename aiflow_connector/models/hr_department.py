# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
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

    def _aiflow_flush_sync_fields(self):
        self.flush_model(
            ["aiflow_code", "name", "parent_id", "active", "company_id", "complete_name"]
        )

    @api.model
    def _aiflow_rows_sql(self, condition):
        # The name in the language of the user running the sync (the cron's:
        # an admin's); a resync's row shows the full path.
        return SQL(
            """
            SELECT r.id, r.parent_id, r.aiflow_code, r.complete_name,
                   COALESCE(r.name->>%(lang)s, r.name->>'en_US'), p.aiflow_code, r.active
              FROM hr_department r
              LEFT JOIN hr_department p ON p.id = r.parent_id
             WHERE %(condition)s
            """,
            lang=self.env.lang or self.env.user.lang or "en_US",
            condition=condition,
        )

    @api.model
    def _aiflow_values(self, row):
        _id, _parent, code, _path, name, parent_code, active = row
        return {"code": code, "name": name, "parent_code": parent_code, "active": active}

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
