# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from lxml import etree

from odoo import api, fields, models

from odoo.addons.aiflow_connector.models.aiflow_code_mixin import SYNC_STATES
from odoo.addons.aiflow_connector.models.aiflow_order import ORDER_RESULT

ORDERS_BUTTON = """
<button name="action_aiflow_orders" type="object" class="oe_stat_button" icon="fa-tasks"
        groups="aiflow_connector.group_aiflow_operator" invisible="not aiflow_order_count">
    <div class="o_stat_info">
        <span class="o_stat_text">aiflow</span>
        <field name="aiflow_order_result" readonly="1" class="o_stat_value"/>
        <field name="aiflow_order_sync_state" readonly="1" class="o_stat_text"/>
    </div>
    <field name="aiflow_order_count" invisible="1"/>
</button>
"""


class TierValidation(models.AbstractModel):
    """Every document under tier validation: its aiflow orders, shown in a
    smart button, and ended as deleted when the document is."""

    _inherit = "tier.validation"

    aiflow_order_count = fields.Integer(string="aiflow Orders", compute="_compute_aiflow_orders")
    aiflow_order_result = fields.Selection(
        ORDER_RESULT, string="aiflow Order", compute="_compute_aiflow_orders"
    )
    aiflow_order_sync_state = fields.Selection(
        SYNC_STATES,
        string="aiflow Order Sync",
        compute="_compute_aiflow_orders",
        help="Delivery to aiflow of the latest snapshot of the document's latest order.",
    )

    def _aiflow_orders(self):
        return (
            self.env["aiflow.order"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids)], order="id desc")
        )

    def _compute_aiflow_orders(self):
        orders = self._aiflow_orders() if self.ids else self.env["aiflow.order"]
        for document in self:
            mine = orders.filtered(lambda order, doc=document: order.res_id == doc.id)
            document.aiflow_order_count = len(mine)
            document.aiflow_order_result = mine[:1].result
            document.aiflow_order_sync_state = mine[:1].aiflow_sync_state

    def action_aiflow_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("aiflow_connector.aiflow_order_action")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    def unlink(self):
        open_orders = self.env["aiflow.order"]._aiflow_open_orders(self._name, self.ids)
        if open_orders:
            # the last decisions first, then the round ends as deleted
            self.review_ids._aiflow_sync_orders()
            open_orders._aiflow_set_result("delete")
        return super().unlink()

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        # Added before Odoo post-processes and caches the view, so the
        # button's fields and groups are handled as if written in the view.
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            for box in arch.xpath("//div[@name='button_box']")[:1]:
                box.append(etree.fromstring(ORDERS_BUTTON))
        return arch, view
