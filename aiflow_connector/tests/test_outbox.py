# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The outbox worker's failure handling, against the sandbox over HTTP."""

import select
import time
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields, sql_db
from odoo.tests import tagged

from odoo.addons.aiflow_connector.outbox import claims, delivery, queries, wakeup

from .common import CJK, DEPT_PATH, PREFIX, USER_PATH, OrgSyncCase, closed_port


class SaveFailed(Exception):
    """The user's save fails after the change was made."""


@tagged("post_install", "-at_install")
class TestOutbox(OrgSyncCase):
    def make_due(self, rows=None):
        """Time passes: every waiting retry is due now."""
        rows = rows if rows is not None else self.Outbox.search([("state", "=", "retrying")])
        rows.write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})

    def test_retry_delay_grows_with_jitter_up_to_the_cap(self):
        self.assertEqual(claims.retry_delay(1, rand=lambda: 0.5), 30)
        self.assertEqual(claims.retry_delay(3, rand=lambda: 0.5), 120)
        self.assertEqual(claims.retry_delay(30, rand=lambda: 0.5), 3600)
        self.assertEqual(claims.retry_delay(1, rand=lambda: 0.0), 15)
        self.assertEqual(claims.retry_delay(1, rand=lambda: 0.999), 30 * 1.499)

    def test_retryable_failures_back_off_then_dead_letter(self):
        dept = self.Dept.create({"name": "Retry me"})
        self.sandbox.fail_next(1, mode="http503")
        before = fields.Datetime.now()
        self.deliver()
        row = self.rows(dept)
        self.assertEqual(row.state, "retrying")
        self.assertEqual(row.attempts, 1)
        self.assertGreaterEqual(row.next_attempt_at, before + timedelta(seconds=14))
        self.assertIn("503", row.response_body)
        self.assertTrue(row.last_error)
        self.assertFalse(self.aiflow_dept(dept))

        # Not due yet: the worker leaves it alone.
        self.deliver()
        self.assertEqual(row.attempts, 1)

        # -1024 is retryable too; the limit (3 in these tests) ends in dead.
        self.sandbox.fail_next(2, mode="status-1024")
        self.make_due()
        self.deliver()
        self.assertEqual((row.state, row.attempts), ("retrying", 2))
        self.make_due()
        self.deliver()
        self.assertEqual((row.state, row.attempts), ("dead", 3))
        self.assertIn("-1024", row.last_error)

        # Fixed: retry from the console.
        row.action_retry_now()
        self.deliver()
        self.assertEqual(row.state, "done")
        self.assertTrue(self.aiflow_dept(dept))

    def test_permanent_failure_dead_at_once_and_retry_all_dead(self):
        depts = self.Dept.create([{"name": "P1"}, {"name": "P2"}])
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PREFIX + "app_secret", "wrong-secret")
        self.deliver()
        rows = self.rows(depts)
        self.assertEqual(set(rows.mapped("state")), {"dead"})
        self.assertEqual(set(rows.mapped("attempts")), {1})
        self.assertNotIn("wrong-secret", rows[0].last_error + (rows[0].response_body or ""))
        self.assertEqual(len(self.calls(DEPT_PATH)), 1)
        # Dead rows stay dead: no further calls.
        self.deliver()
        self.assertEqual(len(self.calls(DEPT_PATH)), 1)

        params.set_param(PREFIX + "app_secret", "your_app_secret")
        self.Outbox.action_retry_all_dead()
        self.deliver()
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertTrue(all(self.aiflow_dept(d) for d in depts))

    def test_fail_details_mark_only_named_records_and_children_wait(self):
        parent = self.Dept.create({"name": "Known parent"})
        self.deliver()
        # aiflow forgets the parent: its child will be refused, not the others.
        self.sandbox.reset()
        child = self.Dept.create({"name": "Orphan", "parent_id": parent.id})
        sibling = self.Dept.create({"name": "Fine root"})
        member = self.Emp.create({"name": "In orphan", "department_id": child.id})
        elsewhere = self.Emp.create({"name": "In root", "department_id": sibling.id})
        self.deliver()
        child_row, sibling_row = self.rows(child), self.rows(sibling)
        self.assertEqual(child_row.state, "dead")
        self.assertIn("PARENT_NOT_FOUND", child_row.last_error)
        self.assertIn("failDetail", child_row.response_body)
        self.assertEqual(sibling_row.state, "done")
        self.assertEqual(self.rows(elsewhere).state, "done")
        # The member of the refused department is not sent: it waits.
        member_row = self.rows(member)
        self.assertEqual(member_row.state, "pending")
        self.assertIn(child.aiflow_code, member_row.last_error)
        self.assertNotIn(member.aiflow_code, [u["userId"] for u in self.sent_items(USER_PATH)])

        # Cause fixed (the parent is queued again, as a full resync does; a
        # delivered row is not retried), then retry the dead one.
        parent._aiflow_changed()
        self.Outbox.action_retry_all_dead()
        self.deliver()
        self.assertEqual(child_row.state, "done")
        self.assertEqual(member_row.state, "done")
        self.assertEqual(self.aiflow_user(member)["deptId"], child.aiflow_code)

    def test_notes_and_errors_in_the_admin_language(self):
        # Written where no user is (the worker): for the admin, in their
        # language; the payloads keep the worker's own.
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)
        self.env.ref("base.user_admin").lang = "zh_CN"
        parent = self.Dept.create({"name": "Known parent"})
        self.deliver()
        self.sandbox.reset()  # aiflow forgets the parent
        child = self.Dept.create({"name": "Orphan", "parent_id": parent.id})
        member = self.Emp.create({"name": "In orphan", "department_id": child.id})
        self.deliver()
        self.assertTrue(
            self.rows(child).last_error.startswith("aiflow 拒绝了该记录：PARENT_NOT_FOUND")
        )
        self.assertEqual(
            self.rows(member).last_error, f"等待 {child.aiflow_code} 先同步到 aiflow。"
        )
        self.assertEqual(self.sent_items(DEPT_PATH)[-1]["deptName"], "Orphan")
        # aiflow unreachable: the error too
        self._configure(base_url=f"http://127.0.0.1:{closed_port()}")
        self.Dept.create({"name": "Unreachable"})
        self.deliver()
        retrying = self.Outbox.search([("state", "=", "retrying")], limit=1)
        self.assertRegex(retrying.last_error, CJK)

    def test_sync_disabled_rows_wait(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PREFIX + "sync_enabled", "False")
        dept = self.Dept.create({"name": "Waits"})
        self.deliver()
        self.assertEqual(self.rows(dept).state, "pending")
        self.assertEqual(self.calls(), [])
        params.set_param(PREFIX + "sync_enabled", "True")
        self.deliver()
        self.assertEqual(self.rows(dept).state, "done")

    def test_rollback_leaves_nothing(self):
        count = self.Outbox.search_count([])
        with self.assertRaises(SaveFailed), self.env.cr.savepoint():
            self.Dept.create({"name": "Rolled back"})
            raise SaveFailed()
        self.commit_point()
        self.assertEqual(self.Outbox.search_count([]), count)

    def test_stale_claim_is_claimed_again(self):
        dept = self.Dept.create({"name": "Claimed by a dead worker"})
        self.commit_point()
        row = self.rows(dept)
        row.write(
            {
                "state": "sending",
                "claim_token": "dead-worker",
                "claimed_at": fields.Datetime.now() - timedelta(minutes=5),
            }
        )
        self.deliver()
        self.assertEqual(row.state, "sending", "a fresh claim is left alone")
        row.claimed_at = fields.Datetime.now() - claims.CLAIM_LEASE - timedelta(seconds=1)
        self.deliver()
        self.assertEqual(row.state, "done")
        self.assertTrue(self.aiflow_dept(dept))

    def test_the_next_claim_is_not_built_before_a_success_callback_ran(self):
        """The next claim is taken beside the last group of the current one,
        unless a group of it stores what aiflow answered (a flow's version),
        which the next claim's payloads may carry."""
        run = delivery.Run(self.env, settings=None, client=None)
        seen = []

        def send(group):
            seen.append((group.source.endpoint, group.last))
            return False, set()

        def row(row_id, endpoint, model):
            return claims.ClaimedRow(row_id, endpoint, "live", model, 1, "K", None, 0)

        org = [row(1, "department_sync", "hr.department"), row(2, "user_sync", "hr.employee")]
        with patch.object(delivery.Group, "send", send):
            run.send("token", org)
            self.assertEqual(seen, [("department_sync", False), ("user_sync", True)])
            seen.clear()
            flow = row(3, "flow_create_third_party", "aiflow.flow")
            self.assertIsNotNone(flow.source.on_success)
            run.send("token", [*org, flow])
            self.assertEqual([last for _endpoint, last in seen], [False, False, False])

    def test_a_long_run_renews_its_claim(self):
        """A claim holds many batches: a worker still sending them renews it
        once half the lease is gone, so no other worker takes its rows."""
        dept = self.Dept.create({"name": "Claimed by a slow worker"})
        self.commit_point()
        token, _claimed = claims.claim(self.env, 1000)
        row = self.rows(dept)
        self.assertEqual(row.claim_token, token)
        lapsed = fields.Datetime.now() - claims.CLAIM_LEASE - timedelta(seconds=1)
        run = delivery.Run(self.env, settings=None, client=None)
        run.claimed = time.monotonic()
        row.claimed_at = lapsed
        self.commit_point()
        run.keep_claim(token)
        self.assertEqual(row.claimed_at, lapsed, "a fresh claim is not renewed")
        run.claimed = time.monotonic() - claims.LEASE_RENEWAL.total_seconds()
        run.keep_claim(token)
        self.assertGreater(row.claimed_at, lapsed + claims.CLAIM_LEASE / 2)
        claims.claim(self.env, 1000)
        self.assertEqual(row.state, "sending")
        self.assertEqual(row.claim_token, token, "a renewed claim stays with its worker")
        row.claimed_at = lapsed
        self.commit_point()
        claims.claim(self.env, 1000)
        self.assertNotEqual(row.claim_token, token, "without renewal the claim lapses")

    def test_rows_waiting_for_another_worker_are_looked_at_again_soon(self):
        parent = self.Dept.create({"name": "Sent by another worker"})
        self.commit_point()
        self.rows(parent).write(
            {
                "state": "sending",
                "claim_token": "other-worker",
                "claimed_at": fields.Datetime.now(),
            }
        )
        child = self.Dept.create({"name": "Child", "parent_id": parent.id})
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox")
        start = fields.Datetime.now()

        def later_triggers():
            # the commits' own triggers are for now; a come-back is later
            return (
                self.env["ir.cron.trigger"]
                .sudo()
                .search([("cron_id", "=", cron.id), ("call_at", ">", start + timedelta(seconds=5))])
            )

        stats = self.deliver()
        self.assertEqual(stats["waiting_in_flight"], 1)
        self.assertEqual(self.rows(child).state, "pending")
        self.assertIn(parent.aiflow_code, self.rows(child).last_error)
        # That worker may already have finished its run: this one comes back.
        come_back = later_triggers()
        self.assertEqual(len(come_back), 1)
        self.assertGreaterEqual(come_back.call_at, start + delivery.IN_FLIGHT_RECHECK)
        self.assertLess(come_back.call_at, start + timedelta(minutes=1))

        # Waiting for a dead parent is not a reason to come back.
        come_back.unlink()
        self.rows(parent).write({"state": "dead", "claim_token": False, "claimed_at": False})
        stats = self.deliver()
        self.assertFalse(stats.get("waiting_in_flight"))
        self.assertEqual(self.rows(child).state, "pending")
        self.assertFalse(later_triggers())

    def test_batches_of_configured_size(self):
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "sync_batch_size", "7")
        root = self.Dept.create({"name": "Root"})
        self.Dept.create([{"name": f"Child {n}", "parent_id": root.id} for n in range(20)])
        stats = self.deliver()
        sizes = [len(c["body"]["departments"]) for c in self.calls(DEPT_PATH)]
        self.assertEqual(sizes, [7, 7, 7])
        self.assertEqual(stats["requests"], 3)
        self.assertEqual(
            self.calls(DEPT_PATH)[0]["body"]["departments"][0]["deptId"], root.aiflow_code
        )

    def test_console_cancel_and_vacuum(self):
        dept = self.Dept.create({"name": "Cancel me"})
        self.commit_point()
        row = self.rows(dept)
        row.action_cancel()
        self.assertEqual(row.state, "cancelled")
        self.deliver()
        self.assertEqual(self.calls(), [])
        self.assertEqual(dept.aiflow_sync_state, "cancelled")
        action = dept.action_aiflow_sync_rows()
        self.assertEqual(self.Outbox.search(action["domain"]), row)

        old = self.Dept.create({"name": "Old"})
        self.deliver()
        old_row = self.rows(old)
        queries.set_date(
            self.env.cr,
            (old_row | row).ids,
            "write_date",
            fields.Datetime.now() - timedelta(days=40),
        )
        fresh = self.Dept.create({"name": "Fresh"})
        self.deliver()
        self.Outbox._cron_vacuum()
        self.assertFalse((old_row | row).exists())
        self.assertTrue(self.rows(fresh).exists())

    def test_aiflow_down_while_200_changes_nothing_lost(self):
        self.sandbox.go_down()
        self.addCleanup(self.sandbox.come_back)
        depts = self.Dept.browse()
        parent = self.Dept.browse()
        for n in range(20):
            parent = self.Dept.create(
                {"name": f"Level {n}", "parent_id": parent.id if n % 4 else False}
            )
            depts |= parent
        employees = self.Emp.browse()
        boss = self.Emp.browse()
        for n in range(100):
            boss = self.Emp.create(
                {
                    "name": f"Person {n}",
                    "department_id": depts[n % 20].id,
                    "parent_id": boss.id if n % 10 else False,
                }
            )
            employees |= boss
        changes = 120
        for n in range(40):
            employees[n].write({"name": f"Person {n} renamed"})
            changes += 1
        for n in range(20):
            employees[50 + n].write({"department_id": depts[(n + 7) % 20].id})
            changes += 1
        for n in range(10):
            depts[n].write({"name": f"Renamed level {n}"})
            changes += 1
        for n in range(5):
            employees[90 + n].action_archive()
            changes += 1
        for n in range(5):
            employees[80 + n].aiflow_code = f"UMOVED{n}"
            changes += 1
        self.assertGreaterEqual(changes, 200)
        for _attempt in range(2):
            self.deliver()
            self.make_due()
        self.assertFalse(self.Outbox.search([("state", "=", "done")]))
        self.assertFalse(self.Outbox.search([("state", "=", "dead")]))

        self.sandbox.come_back()
        for _round in range(5):
            self.make_due()
            self.deliver()
        self.assertFalse(
            self.Outbox.search([("state", "not in", ("done", "cancelled"))]),
            "every change is delivered",
        )
        state = self.sandbox.state
        for dept in depts:
            got = state["departments"][dept.aiflow_code]
            self.assertEqual(got["deptName"], dept.name)
            self.assertEqual(got["parentId"], dept.parent_id.aiflow_code or "")
        for employee in employees.with_context(active_test=False):
            got = state["users"][employee.aiflow_code]
            self.assertEqual(got["realName"], employee.name)
            self.assertEqual(got["deptId"], employee.department_id.aiflow_code)
            self.assertEqual(got["status"], 1 if employee.active else 0)
        # aiflow refused no record: every answer had failCount 0.
        calls = self.calls()
        self.assertTrue(calls)
        self.assertTrue(all(c["status"] == 0 for c in calls))
        done = self.Outbox.search([("state", "=", "done"), ("response_body", "!=", False)])
        self.assertTrue(done)
        self.assertTrue(all('"failCount": 0' in r.response_body for r in done))

    def test_unreachable_is_retryable_with_a_readable_error(self):
        dept = self.Dept.create({"name": "Unreachable"})
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "base_url", "http://127.0.0.1:9")
        self.deliver()
        row = self.rows(dept)
        self.assertEqual(row.state, "retrying")
        self.assertIn("127.0.0.1:9", row.last_error)
        self.assertNotIn("Traceback", row.last_error)

    def test_commit_triggers_the_cron_which_delivers(self):
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        dept = self.Dept.create({"name": "Triggered"})
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before)
        self.commit_point()  # the precommit of the user's transaction
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)
        self.assertFalse(self.calls(), "nothing is sent inside the user's transaction")
        cron.method_direct_trigger()
        self.assertEqual(self.rows(dept).state, "done")
        self.assertTrue(self.aiflow_dept(dept))

        # Sync off: rows are queued, the cron is not woken.
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "sync_enabled", "False")
        self.Dept.create({"name": "Quiet"})
        count = Trigger.search_count([("cron_id", "=", cron.id)])
        self.commit_point()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), count)

        # Sync on, the cron archived by an administrator: rows are queued, the
        # cron is not woken (nor the workers: nothing is due for them).
        self.env["ir.config_parameter"].sudo().set_param(PREFIX + "sync_enabled", "True")
        cron.sudo().active = False
        self.env.flush_all()
        archived_while = self.Dept.create({"name": "Archived cron"})
        self.commit_point()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), count)
        self.assertEqual(self.rows(archived_while).state, "pending")

    def test_cron_workers_are_woken_on_a_kept_connection(self):
        _name, params = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**params)
        self.addCleanup(listener.close)
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute("LISTEN cron_trigger")
        for _n in range(2):  # the second one reuses the connection
            wakeup.notify_cron_workers(self.env.cr.dbname)
        deadline = time.monotonic() + 5
        received = []
        while len(received) < 2 and time.monotonic() < deadline:
            if select.select([listener], [], [], 0.5)[0]:
                listener.poll()
                received.extend(n.payload for n in listener.notifies)
                listener.notifies.clear()
        self.assertEqual(received, [self.env.cr.dbname] * 2)
        self.assertFalse(wakeup.notify_connection().closed)
        # a wake-up does not make the save wait for a disk sync of its own
        with wakeup.notify_connection().cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            self.assertEqual(cursor.fetchone()[0], "off")

    def test_out_of_time_gives_rows_back_and_asks_for_another_run(self):
        self._configure(sync_batch_size="5")
        root = self.Dept.create({"name": "Root"})
        self.Dept.create([{"name": f"Child {n}", "parent_id": root.id} for n in range(12)])
        self.commit_point()
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        clock = iter([0.0, 0.0] + [1000.0] * 50)  # the budget runs out after the claim
        with patch.object(delivery.time, "monotonic", lambda: next(clock)):
            self.Outbox._aiflow_deliver(time_budget=10)
        self.assertEqual(self.calls(), [])
        rows = self.Outbox.search([("res_model", "=", "hr.department")])
        self.assertEqual(set(rows.mapped("state")), {"pending"})
        self.assertEqual(set(rows.mapped("attempts")), {0})
        self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), triggers)
        self.deliver()
        self.assertEqual(set(rows.mapped("state")), {"done"})
