# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""'Retry all dead' in the sync console: the dead rows of the list's selection
or current filter are queued again, after a confirmation when they are many,
and the operator is told how many were."""

import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..outbox import states

# More dead rows than this at once are queued again only once confirmed.
CONFIRM_ABOVE = 20


class AiflowOutboxRetryDead(models.TransientModel):
    _name = "aiflow.outbox.retry.dead"
    _description = "Retry the dead rows of the sync queue"

    domain = fields.Text(required=True, readonly=True, help="The rows' filter, as JSON.")
    dead_count = fields.Integer(readonly=True)
    question = fields.Char(compute="_compute_question")

    @api.depends("dead_count")
    def _compute_question(self):
        for wizard in self:
            wizard.question = self.env._(
                "Queue %(count)s dead rows again? aiflow receives them at the next delivery.",
                count=wizard.dead_count,
            )

    @api.model
    def _aiflow_dead_domain(self, domain):
        # The filter comes from the browser: parsed here so that a broken
        # one is refused with a message rather than a traceback.
        try:
            dead_domain = expression.AND(
                [expression.normalize_domain(domain), [("state", "=", states.DEAD)]]
            )
            expression.expression(dead_domain, self.env["aiflow.outbox"])
        except (AssertionError, TypeError, ValueError) as exc:
            raise UserError(self.env._("The list's filter cannot be read.")) from exc
        return dead_domain

    @api.model
    def _aiflow_retry_dead(self, domain):
        """Queue the dead rows matching ``domain`` again, or ask first when
        they are many. Returns the action the console runs next."""
        dead_domain = self._aiflow_dead_domain(domain)
        count = self.env["aiflow.outbox"].search_count(dead_domain)
        if count <= CONFIRM_ABOVE:
            return self._aiflow_requeue(dead_domain)
        wizard = self.create({"domain": json.dumps(dead_domain, default=str), "dead_count": count})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Retry dead rows"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        # The rows still dead now: some may have been retried meanwhile.
        return self._aiflow_requeue(self._aiflow_dead_domain(json.loads(self.domain)))

    @api.model
    def _aiflow_requeue(self, dead_domain):
        rows = self.env["aiflow.outbox"].search(dead_domain)
        rows._aiflow_requeue()
        if not rows:
            return self._aiflow_notification(0, 0, nothing=self.env._("No dead rows to retry."))
        return self._aiflow_notification(len(rows), 0)

    @api.model
    def _aiflow_notification(self, queued, skipped, nothing=None):
        """What the console shows once rows were queued again (and reloads)."""
        if nothing:
            message, kind = nothing, "warning"
        elif skipped:
            message = self.env._(
                "Rows queued again: %(count)s. Left as they are (delivered, cancelled "
                "or being sent): %(skipped)s.",
                count=queued,
                skipped=skipped,
            )
            kind = "warning" if not queued else "success"
        else:
            message, kind = self.env._("Rows queued again: %(count)s.", count=queued), "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
