# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sync console's buttons: what they act on and what they say."""

import json

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.aiflow_connector.wizards.aiflow_outbox_retry_dead import CONFIRM_ABOVE


@tagged("post_install", "-at_install")
class TestConsoleActions(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        operator = new_test_user(
            cls.env,
            login="aiflow_console_operator",
            groups="aiflow_connector.group_aiflow_operator",
        )
        cls.Outbox = cls.env["aiflow.outbox"].with_user(operator)

    def row(self, key, state, **values):
        return (
            self.env["aiflow.outbox"]
            .create(
                dict(
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": key,
                        "payload": json.dumps({"deptId": key}),
                        "state": state,
                        "attempts": 3,
                        "last_error": "refused" if state == "dead" else False,
                    },
                    **values,
                )
            )
            .with_user(self.Outbox.env.user)
        )

    def message(self, action):
        self.assertEqual(action["tag"], "display_notification")
        # The list or form reloads once the notification is shown.
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        return action["params"]["message"]

    def test_retry_all_dead_acts_on_the_current_filter_only(self):
        target = self.row("CON-FILTER-A", "dead")
        other = self.row("CON-FILTER-B", "dead")
        pending = self.row("CON-FILTER-A2", "pending", attempts=0)
        action = self.Outbox.with_context(
            active_domain=[("record_key", "ilike", "CON-FILTER-A")]
        ).action_retry_all_dead()
        self.assertEqual(self.message(action), "Rows queued again: 1.")
        self.assertEqual((target.state, target.attempts, target.last_error), ("pending", 0, False))
        self.assertEqual(other.state, "dead")
        self.assertEqual(pending.state, "pending")

    def test_retry_all_dead_acts_on_the_selection_only(self):
        selected = self.row("CON-SEL-A", "dead")
        done = self.row("CON-SEL-DONE", "done")
        other = self.row("CON-SEL-B", "dead")
        # The list's filter is ignored when rows are selected.
        action = (selected | done).with_context(active_domain=[]).action_retry_all_dead()
        self.assertEqual(self.message(action), "Rows queued again: 1.")
        self.assertEqual(selected.state, "pending")
        self.assertEqual(done.state, "done")
        self.assertEqual(other.state, "dead")

    def test_retry_all_dead_with_none_says_so(self):
        self.row("CON-NONE-DONE", "done")
        action = self.Outbox.with_context(
            active_domain=[("record_key", "=", "CON-NONE-DONE")]
        ).action_retry_all_dead()
        self.assertEqual(self.message(action), "No dead rows to retry.")
        self.assertEqual(action["params"]["type"], "warning")

    def test_many_dead_rows_ask_first_with_their_count(self):
        many = CONFIRM_ABOVE + 3
        rows = self.env["aiflow.outbox"]
        for number in range(many):
            rows |= self.row(f"CON-MANY-{number:03d}", "dead")
        outside = self.row("CON-OUTSIDE", "dead")
        action = self.Outbox.with_context(
            active_domain=[("record_key", "like", "CON-MANY-")]
        ).action_retry_all_dead()
        self.assertEqual(action["res_model"], "aiflow.outbox.retry.dead")
        self.assertEqual(action["target"], "new")
        # Nothing changed before the operator confirms.
        self.assertEqual(set(rows.mapped("state")), {"dead"})
        wizard = self.Outbox.env["aiflow.outbox.retry.dead"].browse(action["res_id"])
        self.assertEqual(wizard.dead_count, many)
        self.assertIn(f"Queue {many} dead rows again?", wizard.question)
        # One was retried meanwhile: the confirmation counts what it did.
        rows[0].action_retry_now()
        self.assertEqual(self.message(wizard.action_confirm()), f"Rows queued again: {many - 1}.")
        self.assertEqual(set(rows.mapped("state")), {"pending"})
        self.assertEqual(outside.state, "dead")

    def test_twenty_dead_rows_need_no_confirmation(self):
        for number in range(CONFIRM_ABOVE):
            self.row(f"CON-TWENTY-{number:03d}", "dead")
        action = self.Outbox.with_context(
            active_domain=[("record_key", "like", "CON-TWENTY-")]
        ).action_retry_all_dead()
        self.assertEqual(self.message(action), f"Rows queued again: {CONFIRM_ABOVE}.")

    def test_a_filter_that_is_not_a_domain_is_refused(self):
        self.row("CON-BAD", "dead")
        for bad in ("state = dead", [("state", "=")], 42):
            with self.subTest(bad=bad), self.assertRaises(UserError):
                self.Outbox.with_context(active_domain=bad).action_retry_all_dead()
        self.assertEqual(self.Outbox.search([("record_key", "=", "CON-BAD")]).state, "dead")

    def test_retry_now_leaves_done_cancelled_and_sending_rows(self):
        dead = self.row("CON-NOW-DEAD", "dead")
        retrying = self.row("CON-NOW-RETRY", "retrying")
        done = self.row("CON-NOW-DONE", "done", done_at="2026-01-01 00:00:00")
        cancelled = self.row("CON-NOW-CANCEL", "cancelled")
        sending = self.row("CON-NOW-SEND", "sending")
        action = (dead | retrying | done | cancelled | sending).action_retry_now()
        self.assertEqual(
            self.message(action),
            "Rows queued again: 2. Left as they are (delivered, cancelled or being sent): 3.",
        )
        self.assertEqual((dead.state, retrying.state), ("pending", "pending"))
        self.assertEqual(
            (done.state, done.attempts, cancelled.state, sending.state),
            ("done", 3, "cancelled", "sending"),
        )
        self.assertEqual(self.message(done.action_retry_now())[:20], "Rows queued again: 0")
        self.assertEqual(done.action_retry_now()["params"]["type"], "warning")

    def test_retry_now_is_not_offered_on_done_or_cancelled_rows(self):
        arch = etree.fromstring(self.env["aiflow.outbox"].get_view(view_type="form")["arch"])
        (button,) = arch.xpath("//header/button[@name='action_retry_now']")
        for state, offered in (
            ("dead", True),
            ("retrying", True),
            ("pending", False),
            ("sending", False),
            ("done", False),
            ("cancelled", False),
        ):
            with self.subTest(state=state):
                self.assertEqual(not safe_eval(button.get("invisible"), {"state": state}), offered)
