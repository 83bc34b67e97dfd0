# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AiflowFlowStep(models.Model):
    """One approval step of an engine flow whose process Odoo generates: a
    user task of the linear BPMN process, in step order."""

    _name = "aiflow.flow.step"
    _description = "aiflow Flow Step"
    _order = "sequence, id"

    flow_id = fields.Many2one("aiflow.flow", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Step", required=True)
    user_ids = fields.Many2many(
        "res.users",
        "aiflow_flow_step_user_rel",
        "step_id",
        "user_id",
        string="Candidates",
        help="People who may handle this step in aiflow (by their aiflow user code). "
        "Empty: aiflow's own assignment rules decide.",
    )
