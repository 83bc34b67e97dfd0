# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.aiflow_connector.models.aiflow_order_task import NODE_TYPES


class TierDefinition(models.Model):
    """How the to-do of a tier looks in aiflow's task center."""

    _inherit = "tier.definition"

    aiflow_node_type = fields.Selection(
        NODE_TYPES, string="aiflow Node Type", default="audit", required=True
    )
    aiflow_deadline_hours = fields.Integer(
        string="aiflow Deadline (hours)",
        default=24,
        required=True,
        help="The to-do is due this many hours after it reaches the reviewers.",
    )
    aiflow_show_pc = fields.Boolean(string="Show in aiflow on PC", default=True)
    aiflow_show_mobile = fields.Boolean(string="Show in aiflow on Mobile", default=True)

    @api.constrains("aiflow_deadline_hours", "aiflow_show_pc", "aiflow_show_mobile")
    def _check_aiflow_settings(self):
        for definition in self:
            if definition.aiflow_deadline_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: the aiflow deadline must be at least one hour.",
                        tier=definition.name,
                    )
                )
            if not (definition.aiflow_show_pc or definition.aiflow_show_mobile):
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s: its aiflow to-do must show on PC, on mobile or both.",
                        tier=definition.name,
                    )
                )
