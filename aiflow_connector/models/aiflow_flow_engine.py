# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Engine mode of a flow (spec part 1 §5): aiflow runs the process, Odoo
holds the document."""

from odoo import api, fields, models

MODE_TASK_CENTER = "task_center"
MODE_ENGINE = "engine"


class AiflowFlow(models.Model):
    _inherit = "aiflow.flow"

    mode = fields.Selection(
        [(MODE_TASK_CENTER, "Task center"), (MODE_ENGINE, "Process engine")],
        default=MODE_TASK_CENTER,
        required=True,
        help="Task center: Odoo runs the approval and aiflow lists its to-dos. "
        "Process engine: aiflow runs the process and tells Odoo what happened.",
    )
    flow_name = fields.Char(
        help="Name of the flow in aiflow's process engine (the title when empty)."
    )
    form_field_ids = fields.One2many(
        "aiflow.flow.form.field",
        "flow_id",
        string="Form Fields",
        help="Fields of the document that make the flow's form in aiflow, in this order.",
    )
    effect_pass_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Approval",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when aiflow completes the process (e.g. confirm it).",
    )
    effect_reject_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Rejection",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when aiflow rejects it.",
    )
    effect_cancel_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Cancellation",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when its process is cancelled in aiflow.",
    )

    @api.model
    def _aiflow_online_flow_for(self, model_name):
        # Task-center orders come from Odoo's approvals; an engine flow's
        # orders come from aiflow.
        return self.sudo().search(
            [("model", "=", model_name), ("state", "=", "online"), ("mode", "=", MODE_TASK_CENTER)],
            limit=1,
        )
