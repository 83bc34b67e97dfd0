# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

TASK_STATUS = [("new", "New"), ("ing", "In Progress"), ("over", "Finished")]
TASK_RESULT = [
    ("new", "New"),
    ("accept", "Accepted"),
    ("pass", "Approved"),
    ("reject", "Rejected"),
    ("revoke", "Withdrawn"),
    ("rebut", "Sent Back"),
]
NODE_TYPES = [("audit", "Approval"), ("handle", "Action"), ("notify", "Notification")]


class AiflowOrderTask(models.Model):
    """One to-do of an order: who must act, by when, and what they did."""

    _name = "aiflow.order.task"
    _description = "aiflow Order Task"
    _order = "order_id, sequence, id"

    order_id = fields.Many2one("aiflow.order", required=True, ondelete="cascade", index=True)
    task_key = fields.Char(
        string="Task ID",
        required=True,
        readonly=True,
        copy=False,
        help="taskId aiflow knows this task by; never changes.",
    )
    source_key = fields.Char(
        readonly=True,
        help="What the task mirrors in the approval engine (e.g. a tier review).",
    )
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    assignee_ids = fields.Many2many(
        "res.users", "aiflow_order_task_assignee_rel", "task_id", "user_id", string="Assignees"
    )
    status = fields.Selection(TASK_STATUS, default="ing", required=True)
    result = fields.Selection(TASK_RESULT, default="new", required=True)
    deadline = fields.Datetime(required=True)
    node_type = fields.Selection(NODE_TYPES, default="audit", required=True)
    handler_id = fields.Many2one("res.users", string="Handled By")
    handle_time = fields.Datetime(string="Handled On")
    show_pc = fields.Boolean(string="Show on PC", default=True)
    show_mobile = fields.Boolean(string="Show on Mobile", default=True)

    _sql_constraints = [
        ("task_key_unique", "unique(task_key)", "Another task has this task ID."),
        (
            "source_key_unique",
            "unique(order_id, source_key)",
            "An order has one task per approval step.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        # taskId: the order id and the task's rank in it, stable and readable.
        counts = {}
        for vals in vals_list:
            if vals.get("task_key"):
                continue
            order_id = vals["order_id"]
            if order_id not in counts:
                counts[order_id] = self.sudo().search_count([("order_id", "=", order_id)])
            counts[order_id] += 1
            vals["task_key"] = f"{order_id}-{counts[order_id]}"
        tasks = super().create(vals_list)
        tasks.order_id._aiflow_queue_snapshot()
        return tasks

    def write(self, vals):
        result = super().write(vals)
        # Every task is in the order's snapshot.
        self.order_id._aiflow_queue_snapshot()
        return result

    def _aiflow_values(self):
        """Plain values of the task for protocol.task_center.order_snapshot."""
        self.ensure_one()
        return {
            "task_id": self.task_key,
            "name": self.name,
            "assignee_codes": [user._aiflow_oauth_user_code() for user in self.assignee_ids],
            "status": self.status,
            "result": self.result,
            "deadline": self.deadline,
            "node_type": self.node_type,
            "handle_time": self.handle_time,
            "show_pc": self.show_pc,
            "show_mobile": self.show_mobile,
        }
