# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class AiflowCodeMixin(models.AbstractModel):
    """A stable code by which aiflow knows a record.

    It is given once, from a sequence, and never follows renames or moves, so
    aiflow keeps matching the same department or person. Admins may edit it.
    """

    _name = "aiflow.code.mixin"
    _description = "aiflow code"
    _aiflow_code_sequence = None  # ir.sequence code, set by each model

    aiflow_code = fields.Char(
        copy=False,
        index=True,
        tracking=True,
        help="Stable identifier sent to aiflow. Given automatically; change it "
        "only to match a code aiflow already knows.",
    )

    _sql_constraints = [
        (
            "aiflow_code_unique",
            "unique(aiflow_code)",
            "This aiflow code is already used by another record.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("aiflow_code"):
                vals["aiflow_code"] = self._aiflow_next_code()
        return super().create(vals_list)

    @api.model
    def _aiflow_next_code(self):
        return self.env["ir.sequence"].sudo().next_by_code(self._aiflow_code_sequence)

    @api.model
    def _aiflow_fill_missing_codes(self):
        records = self.with_context(active_test=False).search(
            [("aiflow_code", "=", False)], order="id"
        )
        for record in records:
            record.aiflow_code = self._aiflow_next_code()
