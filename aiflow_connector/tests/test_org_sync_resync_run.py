# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A full resync as the worker sends it: one row per record, written with its
outcome; the rows already waiting settled by it, never sent twice; what
aiflow refuses, or cannot take, handed to the queue; a run that stops goes on
where it stopped; one worker at a time."""

from contextlib import closing
from unittest.mock import patch

from odoo import fields, sql_db
from odoo.tests import tagged

from odoo.addons.aiflow_connector.outbox import resync
from odoo.addons.aiflow_connector.sandbox import envelope
from odoo.addons.aiflow_connector.sandbox.state import RecordRejected, SandboxState

from .common import DEPT_PATH, USER_PATH, OrgSyncCase


@tagged("post_install", "-at_install")
class TestFullResyncRun(OrgSyncCase):
    def setUp(self):
        super().setUp()
        self.tree = self.make_tree()
        self.deliver()
        self.sandbox.reset()  # aiflow lost everything: time for a resync

    def start(self):
        wizard = self.env["aiflow.full.resync"].create({})
        wizard.action_confirm()
        self.commit_point()
        return wizard

    def run_rows(self, wizard):
        return self.Outbox.search([("resync_token", "=", wizard.resync_token)])

    def everyone(self):
        Dept = self.Dept.with_context(active_test=False)
        Emp = self.Emp.with_context(active_test=False)
        return Dept.search([]), Emp.search([])

    def assert_one_row_each(self, wizard):
        depts, emps = self.everyone()
        rows = self.run_rows(wizard)
        self.assertEqual(
            sorted(rows.mapped(lambda r: (r.res_model, r.res_id))),
            sorted(
                [("hr.department", i) for i in depts.ids] + [("hr.employee", i) for i in emps.ids]
            ),
        )
        self.assertEqual(wizard.total_count, len(rows))
        return rows

    def sent_keys(self, path):
        key = "deptId" if path == DEPT_PATH else "userId"
        return [item[key] for item in self.sent_items(path)]

    def test_rows_waiting_before_are_settled_not_sent_twice(self):
        mid, leaf = self.tree[1:3]
        self.sandbox.fail_next(1, mode="http503")
        leaf.name = "Platform (retrying)"
        self.deliver()
        retrying = self.rows(leaf).filtered(lambda r: r.state == "retrying")
        self.assertEqual(len(retrying), 1)
        mid.name = "Engineering (waiting)"
        self.commit_point()
        pending = self.rows(mid).filtered(lambda r: r.state == "pending")
        self.assertEqual(len(pending), 1)
        self.sandbox.reset()

        wizard = self.start()
        # Claimed by the resync: the queue leaves them to it.
        self.assertEqual((retrying | pending).mapped("state"), ["sending", "sending"])
        self.deliver()
        wizard.invalidate_recordset()
        rows = self.assert_one_row_each(wizard)
        self.assertIn(retrying, rows)
        self.assertIn(pending, rows)
        self.assertEqual((retrying | pending).mapped("state"), ["done", "done"])
        self.assertEqual(retrying.attempts, 2)  # its failed try, then the resync's
        sent = self.sent_keys(DEPT_PATH)
        self.assertEqual(sorted(sent), sorted(set(sent)))  # each department once
        self.assertEqual(self.aiflow_dept(leaf)["deptName"], "Platform (retrying)")
        self.assertEqual(self.aiflow_dept(mid)["deptName"], "Engineering (waiting)")
        self.assertFalse(wizard.running)
        self.assertEqual(wizard.progress, 100.0)

    def test_refused_department_holds_back_what_depends_on_it(self):
        root, mid, leaf, boss, cto, lead, staff = self.tree
        upsert = SandboxState._upsert_department

        def refuse_mid(state, item, index, list_key):
            if item["deptId"] == mid.aiflow_code:
                raise RecordRejected(envelope.INVALID_PARAMETER, "refused for the test")
            return upsert(state, item, index, list_key)

        wizard = self.start()
        with patch.object(SandboxState, "_upsert_department", refuse_mid):
            self.deliver()
        wizard.invalidate_recordset()
        rows = self.assert_one_row_each(wizard)

        def row_of(record):
            return rows.filtered(lambda r: r.res_model == record._name and r.res_id == record.id)

        self.assertEqual(row_of(mid).state, "dead")
        self.assertIn("refused for the test", row_of(mid).last_error)
        self.assertIn("failDetail", row_of(mid).response_body)
        self.assertEqual((row_of(root).state, row_of(boss).state), ("done", "done"))
        # Its child went in the same call, after it: aiflow refused it too.
        self.assertEqual(row_of(leaf).state, "dead")
        self.assertIn("PARENT_NOT_FOUND", row_of(leaf).last_error)
        # The people below them: not sent, waiting in the queue.
        held = cto | lead | staff
        for record in held:
            self.assertEqual(row_of(record).state, "pending", record.name)
        self.assertIn(mid.aiflow_code, row_of(cto).last_error)
        self.assertIn(leaf.aiflow_code, row_of(lead).last_error)
        self.assertFalse(set(held.mapped("aiflow_code")) & set(self.sent_keys(USER_PATH)))
        self.assertTrue(wizard.running)
        self.assertEqual(wizard.failed_count, 2)

        # Cause fixed, the failure retried from the console: the queue
        # delivers the rest, and the resync is over.
        self.Outbox.action_retry_all_dead()
        self.deliver()
        wizard.invalidate_recordset()
        self.assertEqual(set(self.run_rows(wizard).mapped("state")), {"done"})
        self.assertTrue(self.aiflow_dept(leaf))
        self.assertTrue(all(self.aiflow_user(e) for e in held if e.active))
        self.assertFalse(wizard.running)
        self.assertEqual(wizard.progress, 100.0)

    def test_aiflow_unreachable_hands_the_rest_to_the_queue(self):
        self._configure(sync_batch_size="2")
        wizard = self.start()
        self.sandbox.fail_next(1, mode="http503")
        stats = self.deliver()
        wizard.invalidate_recordset()
        # Nothing lost: every record has its row, the first batch retrying,
        # the rest queued (the queue then sent what did not wait for them).
        rows = self.assert_one_row_each(wizard)
        first = rows.filtered(lambda r: r.state == "retrying")
        self.assertEqual(len(first), 2)
        self.assertEqual(set(first.mapped("attempts")), {1})
        self.assertIn("503", first[0].response_body)
        self.assertNotIn("dead", rows.mapped("state"))
        self.assertTrue(wizard.running)
        self.assertGreaterEqual(stats["retrying"], 2)

        # Time passes: the queue's retries deliver everything.
        for _round in range(3):
            self.Outbox.search([("state", "=", "retrying")]).write(
                {"next_attempt_at": fields.Datetime.now()}
            )
            self.deliver()
        wizard.invalidate_recordset()
        self.assertEqual(set(self.run_rows(wizard).mapped("state")), {"done"})
        self.assertFalse(wizard.running)
        self.assertEqual(
            wizard.summary.split(".")[0],
            f"Finished: {wizard.sent_count} of "
            f"{wizard.total_count} sent, 0 failed (their errors are in the sync queue), "
            "0 cancelled",
        )

    def test_out_of_time_goes_on_where_it_stopped(self):
        self._configure(sync_batch_size="2")
        answered = resync.FullResync._hold_back_refused

        def then_out_of_time(run, *args):
            run.run.deadline = 0  # the time budget is spent with this answer
            return answered(run, *args)

        wizard = self.start()
        with patch.object(resync.FullResync, "_hold_back_refused", then_out_of_time):
            self.deliver()
        wizard.invalidate_recordset()
        self.assertEqual(len(self.run_rows(wizard)), 2)
        self.assertTrue(wizard.running)
        self.assertEqual(len(self.calls()), 1)

        self.deliver()
        wizard.invalidate_recordset()
        rows = self.assert_one_row_each(wizard)
        self.assertEqual(set(rows.mapped("state")), {"done"})
        for path in (DEPT_PATH, USER_PATH):
            sent = self.sent_keys(path)
            self.assertEqual(len(sent), len(set(sent)), path)  # nobody twice
        self.assertFalse(wizard.running)

    def test_one_worker_sends_a_resync(self):
        wizard = self.start()
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:
            # Another worker is sending the resync.
            other.execute("SELECT pg_advisory_lock(%s)", (resync.RUN_LOCK_KEY,))
            try:
                self.deliver()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s)", (resync.RUN_LOCK_KEY,))
        self.assertEqual(self.calls(), [])
        wizard.invalidate_recordset()
        self.assertTrue(wizard.running)
        self.deliver()
        wizard.invalidate_recordset()
        self.assertEqual(set(self.assert_one_row_each(wizard).mapped("state")), {"done"})

    def test_record_deleted_during_the_resync_leaves_no_row_claimed(self):
        staff = self.tree[-1]
        gone = staff[0]
        gone.name = "Leaving soon"
        self.commit_point()
        waiting = self.rows(gone).filtered(lambda r: r.state == "pending")
        wizard = self.start()
        self.assertEqual(waiting.state, "sending")  # claimed by the resync
        gone.unlink()
        self.deliver()
        wizard.invalidate_recordset()
        # Not left claimed until its lease runs out: back to the queue,
        # which has delivered it (the record's last payload, disabled).
        self.assertEqual(waiting.state, "done")
        self.assertFalse(wizard.running)
        self.assertEqual(self.sandbox.state["users"][waiting.record_key]["status"], 0)
