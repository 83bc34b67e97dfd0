# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..outbox import queries, sources, states
from ..protocol import task_center
from .aiflow_code_mixin import SYNC_STATES

ORDER_STATUS = [("new", "New"), ("ing", "In Progress"), ("over", "Finished")]
ORDER_RESULT = [
    ("ing", "In Progress"),
    ("pass", "Approved"),
    ("reject", "Rejected"),
    ("revoke", "Withdrawn"),
    ("delete", "Deleted"),
]
# Changes that reach aiflow as a new snapshot of the order.
SNAPSHOT_FIELDS = {"status", "result", "update_time", "task_ids", "cc_user_ids", "initiator_id"}
# Precommit data: ids of the orders whose people are checked at commit.
PEOPLE_KEY = "aiflow.order.people"
# Longest document name kept in a business key (the key stays readable in URLs).
NAME_IN_KEY = 80


class AiflowOrder(models.Model):
    """One approval round of one document, as aiflow's task center sees it
    (spec part 1 §4.3). Its tasks and approval log are kept after the round
    ends, even when the approval engine forgets its own reviews."""

    _name = "aiflow.order"
    _description = "aiflow Order"
    _order = "id desc"
    _rec_name = "business_key"

    flow_id = fields.Many2one("aiflow.flow", required=True, ondelete="restrict", index=True)
    business_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="Key by which aiflow finds the document again: flow code and document name.",
    )
    res_model = fields.Char(string="Document Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, readonly=True, index=True
    )
    document_name = fields.Char(readonly=True, help="Name of the document when the round began.")
    # required for task-center orders (a Python constraint): an engine order
    # started in aiflow by someone Odoo does not know keeps only their code
    initiator_id = fields.Many2one("res.users", readonly=True)
    status = fields.Selection(ORDER_STATUS, default="ing", required=True, readonly=True)
    result = fields.Selection(ORDER_RESULT, default="ing", required=True, readonly=True)
    update_time = fields.Datetime(
        string="Last Change", required=True, readonly=True, default=fields.Datetime.now
    )
    cc_user_ids = fields.Many2many(
        "res.users",
        "aiflow_order_cc_user_rel",
        "order_id",
        "user_id",
        string="CC Users",
        readonly=True,
    )
    task_ids = fields.One2many("aiflow.order.task", "order_id", string="Tasks", readonly=True)
    log_ids = fields.One2many("aiflow.order.log", "order_id", string="Approval Log", readonly=True)
    aiflow_sync_state = fields.Selection(
        SYNC_STATES,
        string="aiflow Sync",
        compute="_compute_aiflow_sync_state",
        help="Delivery of the order's latest snapshot to aiflow.",
    )
    aiflow_last_error = fields.Text(
        string="Last aiflow Error", compute="_compute_aiflow_sync_state"
    )

    _sql_constraints = [
        ("business_key_unique", "unique(business_key)", "Another order has this business key."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._aiflow_queue_snapshot()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if SNAPSHOT_FIELDS & set(vals):
            self._aiflow_queue_snapshot()
        return result

    def _aiflow_queue_snapshot(self):
        """Queue the order for order/sync/task, built when sent; the people
        it names that aiflow never got are queued for user sync when the
        transaction commits (once, whatever the number of changes)."""
        if not self or self.env.context.get("aiflow_no_sync"):
            return
        # aiflow owns the orders of engine-mode flows: nothing is sent back
        self -= self._aiflow_engine_orders()
        if not self:
            return
        self.env["aiflow.outbox"]._aiflow_enqueue(task_center.ORDER_TASK_SYNC, self)
        precommit = self.env.cr.precommit
        queued = precommit.data.get(PEOPLE_KEY)
        if queued is None:
            queued = precommit.data[PEOPLE_KEY] = set()
            precommit.add(self.browse()._aiflow_sync_people_first)
        queued.update(self.ids)

    def _aiflow_sync_people_first(self):
        ids = self.env.cr.precommit.data.pop(PEOPLE_KEY, ())
        orders = self.sudo().browse(sorted(ids)).exists()
        people = orders.initiator_id | orders.task_ids.assignee_ids | orders.cc_user_ids
        people._aiflow_sync_unknown_employees()

    def _compute_aiflow_sync_state(self):
        latest = {}
        if self.ids:
            latest = queries.latest_rows(
                self.env.cr, self._name, task_center.ORDER_TASK_SYNC, self.ids
            )
        # Queued in this transaction: its row is written when it commits.
        queued = self.env["aiflow.outbox"]._aiflow_queued_ids(
            task_center.ORDER_TASK_SYNC, self._name
        )
        for order in self:
            state, _done_at, error = latest.get(order.id, ("not_synced", None, None))
            order.aiflow_sync_state = states.PENDING if order.id in queued else state
            order.aiflow_last_error = error or False

    @api.model
    def _aiflow_business_key(self, flow, name):
        """``<flow code>-<document name>``, numbered when a document has
        several rounds (or two documents share a name)."""
        readable = re.sub(r"\s+", "_", (name or "").strip())[:NAME_IN_KEY] or "document"
        base = f"{flow.flow_code}-{readable}"
        taken = set(
            self.sudo()
            .with_context(active_test=False)
            .search([("business_key", "=like", base.replace("%", r"\%").replace("_", r"\_") + "%")])
            .mapped("business_key")
        )
        key, number = base, 1
        while key in taken:
            number += 1
            key = f"{base}-{number}"
        return key

    @api.model
    def _aiflow_start(self, flow, document, initiator):
        """Open a new round for ``document`` under ``flow``."""
        document.ensure_one()
        return self.sudo().create(
            {
                "flow_id": flow.id,
                "business_key": self._aiflow_business_key(flow, document.display_name),
                "res_model": document._name,
                "res_id": document.id,
                "document_name": document.display_name,
                "initiator_id": initiator.id,
                "cc_user_ids": [fields.Command.set(flow.cc_user_ids.ids)],
            }
        )

    @api.model
    def _aiflow_open_orders(self, model_name, res_ids):
        return self.sudo().search(
            [
                ("res_model", "=", model_name),
                ("res_id", "in", list(res_ids)),
                ("status", "!=", "over"),
            ]
        )

    def _aiflow_set_result(self, result):
        """Set the order's outcome: ``ing`` keeps it open, any other result
        finishes it and closes its open tasks as withdrawn."""
        now = fields.Datetime.now()
        for order in self.sudo():
            status = "ing" if result == "ing" else "over"
            if (order.status, order.result) == (status, result):
                continue
            if status == "over":
                order.task_ids.filtered(lambda task: task.status != "over").write(
                    {"status": "over", "result": "revoke", "handle_time": now}
                )
            order.write({"status": status, "result": result, "update_time": now})

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        # aiflow keeps the order under this id and key: it is history.
        raise UserError(self.env._("aiflow orders are kept as history and cannot be deleted."))

    def _aiflow_document(self):
        """The document of this order, or an empty recordset if it is gone."""
        self.ensure_one()
        if self.res_model not in self.env:
            return self.env["res.users"].browse()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _aiflow_snapshot(self, settings=None):
        """Body of order/sync/task (spec §4.3): the order as it is now,
        every task, done and open; times in the zone of ``settings`` (the
        send-time settings; the current ones by default)."""
        self.ensure_one()
        order = self.sudo()
        tz_name = (settings or aiflow_settings.of_env(self.env)).timezone
        return task_center.order_snapshot(
            {
                "order_id": order.id,
                "status": order.status,
                "result": order.result,
                "initiator_code": order.initiator_id._aiflow_oauth_user_code(),
                "business_key": order.business_key,
                "create_time": order.create_date,
                "update_time": order.update_time,
                "cc_codes": [user._aiflow_oauth_user_code() for user in order.cc_user_ids],
            },
            [task._aiflow_values() for task in order.task_ids.sorted(lambda t: (t.sequence, t.id))],
            tz_name,
        )

    def _aiflow_people(self):
        """Users the order names (initiator, assignees, cc users): aiflow
        must know each of them before it gets the order."""
        self.ensure_one()
        order = self.sudo()
        return order.initiator_id | order.task_ids.assignee_ids | order.cc_user_ids

    def action_aiflow_sync_rows(self):
        """The sync console on this order's calls: snapshots and logs."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aiflow_connector.aiflow_outbox_action"
        )
        action["domain"] = [
            "|",
            "&",
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
            "&",
            ("res_model", "=", "aiflow.order.log"),
            ("res_id", "in", self.sudo().log_ids.ids),
        ]
        action["context"] = {}
        return action

    def action_open_document(self):
        self.ensure_one()
        document = self._aiflow_document()
        if not document:
            raise UserError(
                self.env._("The document of order %(key)s no longer exists.", key=self.business_key)
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": document._name,
            "res_id": document.id,
            "view_mode": "form",
            "target": "current",
        }


def _build_snapshots(env, res_ids, settings):
    orders = env["aiflow.order"].sudo().browse(res_ids).exists()
    return {order.id: order._aiflow_snapshot(settings) for order in orders}


# After the people (20) and the flows (45); before the approval logs (70).
sources.register(
    sources.Source(
        endpoint=task_center.ORDER_TASK_SYNC,
        model="aiflow.order",
        build=_build_snapshots,
        describe=lambda orders: {
            order.id: (str(order.id), order.business_key) for order in orders.sudo().exists()
        },
        key=task_center.order_key,
        dependencies=task_center.order_dependencies,
        priority=60,
    )
)
