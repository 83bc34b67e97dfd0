# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..protocol import org_payloads


class HrDepartment(models.Model):
    _name = "hr.department"
    _inherit = ["hr.department", "aiflow.code.mixin"]
    _aiflow_code_sequence = "aiflow_connector.department_code"
    _aiflow_endpoint = org_payloads.DEPARTMENT_SYNC
    _aiflow_sync_fields = ("name", "parent_id", "active", "aiflow_code", "company_id")

    def _aiflow_sync_values(self, in_scope_only=False):
        records = self.with_context(active_test=False)
        if in_scope_only:
            records = records._aiflow_in_scope()
        rows = records.read(["aiflow_code", "name", "parent_id", "active"], load=None)
        parent_ids = {row["parent_id"] for row in rows if row["parent_id"]}
        parent_codes = {
            parent["id"]: parent["aiflow_code"]
            for parent in records.browse(parent_ids).read(["aiflow_code"], load=None)
        }
        return {
            row["id"]: {
                "code": row["aiflow_code"],
                "name": row["name"],
                "parent_code": parent_codes.get(row["parent_id"]),
                "active": row["active"],
            }
            for row in rows
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
