# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import settings as aiflow_settings
from .. import sql_rows
from ..outbox import sources
from ..protocol import task_center

LOG_RESULTS = [(task_center.APPROVED, "Approved"), (task_center.REJECTED, "Rejected")]


class AiflowOrderLog(models.Model):
    """One decision on an order's task (spec §5.3). Append-only: a line is
    never changed or removed, so every decision reaches aiflow in order."""

    _name = "aiflow.order.log"
    _description = "aiflow Approval Log"
    _order = "handle_time, id"

    # indexed by the unique constraint's index, whose first column it is
    order_id = fields.Many2one("aiflow.order", required=True, ondelete="cascade")
    # Lines received from aiflow (engine mode) name tasks Odoo has no record
    # of and may name people it does not know: their task, handler and result
    # are then kept as aiflow sent them (task_key, handler_code, result_text).
    task_id = fields.Many2one("aiflow.order.task", ondelete="cascade")
    handler_id = fields.Many2one("res.users", string="Reviewer")
    result = fields.Selection(LOG_RESULTS)
    comment = fields.Text()
    handle_time = fields.Datetime(string="Decided On", required=True)
    task_key = fields.Char(string="aiflow Task ID", readonly=True)
    task_name = fields.Char(readonly=True)
    handler_code = fields.Char(readonly=True)
    result_text = fields.Char(string="Result Sent", readonly=True)
    # identity of a received line (protocol.webhook.log_line_key)
    inbound_key = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "inbound_key_unique",
            "unique(order_id, inbound_key)",
            "This approval log line was already received.",
        ),
    ]

    @api.constrains("task_id", "task_key", "handler_id", "handler_code", "result", "result_text")
    def _check_named(self):
        # a line always says which task, who and what, by record or by code
        for line in self:
            if not (
                (line.task_id or line.task_key)
                and (line.handler_id or line.handler_code)
                and (line.result or line.result_text)
            ):
                raise ValidationError(
                    self.env._("An approval log line needs its task, its handler and a result.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if self.env.context.get("aiflow_no_sync"):
            return lines
        # lines of engine-mode orders came from aiflow: nothing is sent back
        outbound = lines - lines.filtered(lambda line: line.order_id._aiflow_engine_orders())
        if outbound:
            outbound.handler_id._aiflow_sync_unknown_employees()
            self.env["aiflow.outbox"]._aiflow_enqueue(task_center.APPROVAL_LOG_SYNC, outbound)
        return lines

    @api.model
    def _aiflow_insert_received(self, vals_list):
        """Keep lines received from aiflow, each once: the unique index on
        (order, inbound key) decides, also between workers, and a line kept
        before is skipped, not an error (ON CONFLICT DO NOTHING). Returns
        the inbound keys this call inserted. SQL of its own, as the event
        store's: every approval-log webhook passes here, and what the ORM
        would add is settled already (the payload rules require the task,
        the handler's code and the result; nothing is sent back to aiflow)."""
        if not vals_list:
            return set()
        rows = [sql_rows.stamped(vals, self.env.uid) for vals in vals_list]
        self.env.flush_all()
        self.env.cr.execute(
            sql_rows.insert(
                self._table, rows, conflict=["order_id", "inbound_key"], returning="inbound_key"
            )
        )
        inserted = {key for (key,) in self.env.cr.fetchall()}
        orders = self.env["aiflow.order"].browse({vals["order_id"] for vals in vals_list})
        orders.invalidate_recordset(["log_ids"])
        return inserted

    def write(self, vals):
        if self:
            raise UserError(self.env._("Approval log lines cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Approval log lines cannot be deleted."))

    def _aiflow_payload(self, settings=None):
        """Body of order/approval/log (spec §5.3) carrying this one decision,
        times in the zone of ``settings`` (the current ones by default)."""
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
            (settings or aiflow_settings.of_env(self.env)).timezone,
        )


def _build_logs(env, res_ids, settings):
    lines = env["aiflow.order.log"].sudo().browse(res_ids).exists()
    return {line.id: line._aiflow_payload(settings) for line in lines}


def _describe_logs(lines):
    # Sorted: rows of one order are created, hence sent, in decision order.
    return {
        line.id: (str(line.order_id.id), line.order_id.business_key)
        for line in lines.sudo().exists().sorted("id")
    }


# Append-only: every decision is its own call, in order per order, after
# the order's snapshot holding its task (60).
sources.register(
    sources.Source(
        endpoint=task_center.APPROVAL_LOG_SYNC,
        model="aiflow.order.log",
        build=_build_logs,
        describe=_describe_logs,
        key=task_center.order_key,
        dependencies=task_center.approval_log_dependencies,
        priority=70,
        supersedes=False,
    )
)
