# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.aiflow_connector.protocol import task_center

# review status -> (task status, task result); "waiting" has no task yet:
# nobody is told of a later tier before it is their turn.
TASK_STATE = {
    "pending": ("ing", "new"),
    "approved": ("over", "pass"),
    "rejected": ("over", "reject"),
    "cancel": ("over", "revoke"),
}
LOG_RESULT = {"pass": task_center.APPROVED, "reject": task_center.REJECTED}
SOURCE_PREFIX = "tier.review,"


def _order_result(reviews):
    """The order's result from the reviews of its round."""
    if not reviews:
        return "revoke"  # the round was withdrawn (restart, document cancelled)
    if any(review.status == "rejected" for review in reviews):
        return "reject"
    if all(review.status == "approved" for review in reviews):
        return "pass"
    return "ing"


class TierReview(models.Model):
    """Keeps the aiflow order of a document in step with its tier reviews."""

    _inherit = "tier.review"

    @api.model_create_multi
    def create(self, vals_list):
        reviews = super().create(vals_list)
        reviews._aiflow_sync_orders(start=True)
        if not self.env.context.get("tier_validation_defer_compute_can_review"):
            # OCA sets the first tiers pending when can_review is computed,
            # lazily; do it now so the order has its first to-dos at once.
            reviews.flush_recordset(["can_review"])
        return reviews

    def write(self, vals):
        result = super().write(vals)
        if {"status", "reviewer_ids"} & set(vals):
            self._aiflow_sync_orders()
        return result

    def unlink(self):
        # restart_validation, or the document cancelled: the reviews go, the
        # order and its tasks stay as history (withdrawn).
        self._aiflow_sync_orders(removed=self)
        return super().unlink()

    # ------------------------------------------------------------------

    def _aiflow_documents(self):
        """``{(model, res_id)}`` of the documents these reviews belong to."""
        return {(review.model, review.res_id) for review in self if review.model and review.res_id}

    def _aiflow_sync_orders(self, start=False, removed=None):
        """Bring the order of each document of these reviews up to date;
        with ``start``, open one when the document's flow is online."""
        removed = removed or self.browse()
        for model_name, res_id in self._aiflow_documents():
            reviews = (
                self.sudo().search([("model", "=", model_name), ("res_id", "=", res_id)]) - removed
            )
            order = (reviews | removed)._aiflow_order(model_name, res_id)
            if not order and start and reviews:
                order = reviews._aiflow_start_order(model_name, res_id)
            if order:
                reviews._aiflow_sync_order(order, removed)

    def _aiflow_order(self, model_name, res_id):
        """The order of this round: the one holding the reviews' tasks (it may
        be finished: a late decision is still recorded), else the document's
        open order."""
        task = (
            self.env["aiflow.order.task"]
            .sudo()
            .search(
                [
                    ("source_key", "in", [SOURCE_PREFIX + str(review.id) for review in self]),
                    ("order_id.res_model", "=", model_name),
                    ("order_id.res_id", "=", res_id),
                ],
                limit=1,
            )
        )
        if task:
            return task.order_id
        return self.env["aiflow.order"]._aiflow_open_orders(model_name, [res_id])[:1]

    def _aiflow_start_order(self, model_name, res_id):
        flow = self.env["aiflow.flow"]._aiflow_online_flow_for(model_name)
        if not flow or model_name not in self.env:
            return None
        document = self.env[model_name].browse(res_id).exists()
        if not document:
            return None
        requester = self.sorted("id")[:1].requested_by or self.env.user
        return self.env["aiflow.order"]._aiflow_start(flow, document, requester)

    def _aiflow_sync_order(self, order, removed):
        """Mirror these reviews (the round's, still there) into ``order``."""
        now = fields.Datetime.now()
        result = _order_result(self)
        tasks = {task.source_key: task for task in order.task_ids}
        changed = False
        for review in self.sorted(lambda r: (r.sequence, r.id)):
            state = TASK_STATE.get(review.status)
            if state is None:
                continue
            if result != "ing" and state[0] != "over":
                state = ("over", "revoke")  # no to-do is left on a finished order
            task = tasks.get(SOURCE_PREFIX + str(review.id))
            if task is None:
                if state[1] == "revoke":
                    continue  # never shown: nothing to withdraw
                task = review._aiflow_new_task(order, now)
                changed = True
            changed |= review._aiflow_update_task(task, state, now)
        for review in removed:
            task = tasks.get(SOURCE_PREFIX + str(review.id))
            if task and task.status != "over":
                task.write({"status": "over", "result": "revoke", "handle_time": now})
                changed = True
        if changed:
            order.update_time = now
        if order.status != "over":
            order._aiflow_set_result(result)

    def _aiflow_new_task(self, order, now):
        definition = self.definition_id
        return (
            self.env["aiflow.order.task"]
            .sudo()
            .create(
                {
                    "order_id": order.id,
                    "source_key": SOURCE_PREFIX + str(self.id),
                    "name": self.name or definition.display_name or "",
                    "sequence": self.sequence,
                    "assignee_ids": [fields.Command.set(self.reviewer_ids.ids)],
                    "deadline": now + timedelta(hours=definition.aiflow_deadline_hours or 24),
                    "node_type": definition.aiflow_node_type or "audit",
                    "show_pc": definition.aiflow_show_pc,
                    "show_mobile": definition.aiflow_show_mobile,
                    "status": "ing",
                    "result": "new",
                }
            )
        )

    def _aiflow_update_task(self, task, state, now):
        """Put ``task`` in ``state`` (status, result); a decision adds a log
        line. True when the task changed."""
        status, result = state
        values = {}
        if status == "ing" and set(task.assignee_ids.ids) != set(self.reviewer_ids.ids):
            values["assignee_ids"] = [fields.Command.set(self.reviewer_ids.ids)]
        if (task.status, task.result) != state:
            values.update(status=status, result=result)
            if status == "over":
                values["handle_time"] = self.reviewed_date or now
                if result in LOG_RESULT:
                    values["handler_id"] = (self.done_by or self.env.user).id
        if not values:
            return False
        task.write(values)
        if "handler_id" in values:
            self.env["aiflow.order.log"].sudo().create(
                {
                    "order_id": task.order_id.id,
                    "task_id": task.id,
                    "handler_id": values["handler_id"],
                    "result": LOG_RESULT[result],
                    "comment": self.comment or "",
                    "handle_time": values["handle_time"],
                }
            )
        return True
