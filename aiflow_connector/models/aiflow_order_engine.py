# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An order of an engine-mode flow: aiflow runs it and owns it, Odoo keeps
what aiflow reported (nothing of it is sent back)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .aiflow_flow_engine import MODE_ENGINE


class AiflowOrder(models.Model):
    _inherit = "aiflow.order"

    is_engine = fields.Boolean(
        string="Run by aiflow",
        compute="_compute_is_engine",
        help="The order of an engine-mode flow: aiflow runs the process and tells Odoo.",
    )
    # a Long in aiflow: kept as its decimal text (an Integer field is 32-bit)
    aiflow_order_ref = fields.Char(
        string="aiflow Order ID",
        readonly=True,
        copy=False,
        index=True,
        help="orderId of the process in aiflow (engine mode).",
    )
    initiator_code = fields.Char(
        readonly=True,
        help="aiflow user code of who started the process, as aiflow sent it.",
    )
    inbound_event_ids = fields.One2many(
        "aiflow.inbound.event", "order_id", string="Received Events", readonly=True
    )

    _sql_constraints = [
        (
            "aiflow_order_ref_unique",
            "unique(aiflow_order_ref)",
            "Another order has this aiflow order ID.",
        ),
    ]

    @api.constrains("initiator_id", "flow_id")
    def _check_initiator(self):
        # the task center's snapshot names the initiator's user code; aiflow
        # itself says who started an engine order (initiator_code)
        for order in self:
            if not order.initiator_id and order.sudo().flow_id.mode != MODE_ENGINE:
                raise ValidationError(
                    self.env._(
                        "Order %(key)s has no initiator: an order of a task-center flow "
                        "needs the user who started it.",
                        key=order.business_key,
                    )
                )

    def _compute_is_engine(self):
        for order in self:
            order.is_engine = order.flow_id.mode == MODE_ENGINE

    def _aiflow_engine_orders(self):
        return self.filtered(lambda order: order.sudo().flow_id.mode == MODE_ENGINE)
