# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..protocol import task_center

LOG_RESULTS = [(task_center.APPROVED, "Approved"), (task_center.REJECTED, "Rejected")]


class AiflowOrderLog(models.Model):
    """One decision on an order's task (spec §5.3). Append-only: a line is
    never changed or removed, so every decision reaches aiflow in order."""

    _name = "aiflow.order.log"
    _description = "aiflow Approval Log"
    _order = "handle_time, id"

    order_id = fields.Many2one("aiflow.order", required=True, ondelete="cascade", index=True)
    task_id = fields.Many2one("aiflow.order.task", required=True, ondelete="cascade")
    handler_id = fields.Many2one("res.users", string="Reviewer", required=True)
    result = fields.Selection(LOG_RESULTS, required=True)
    comment = fields.Text()
    handle_time = fields.Datetime(string="Decided On", required=True)

    def write(self, vals):
        if self:
            raise UserError(self.env._("Approval log lines cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Approval log lines cannot be deleted."))

    def _aiflow_payload(self):
        """Body of order/approval/log (spec §5.3) carrying this one decision."""
        self.ensure_one()
        line = self.sudo()
        return task_center.approval_log(
            line.order_id.id,
            line.order_id.business_key,
            [
                {
                    "task_id": line.task_id.task_key,
                    "task_name": line.task_id.name,
                    "handler_code": line.handler_id._aiflow_oauth_user_code(),
                    "result": line.result,
                    "comment": line.comment,
                    "handle_time": line.handle_time,
                }
            ],
            aiflow_settings.of_env(self.env).timezone,
        )
