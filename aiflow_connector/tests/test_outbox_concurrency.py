# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (these tests commit on connections of their own, never the test's transaction)
"""Two workers on two real database connections deliver one queue together.

The rows are committed through a connection of their own (the test's own
transaction is invisible to other connections) and removed at the end.
"""

import json
import threading
import time
from contextlib import closing

import psycopg2

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.aiflow_connector import settings as aiflow_settings
from odoo.addons.aiflow_connector.outbox import (
    claims,
    prefetch,
    queries,
    resync,
    settler,
    sources,
)
from odoo.addons.aiflow_connector.protocol import org_payloads
from odoo.addons.aiflow_connector.protocol.client import AiflowClient
from odoo.addons.aiflow_connector.protocol.signing import Credential, Signer

from .common import DEPT_PATH, PREFIX, SECRET, OrgSyncCase

ROWS = 120


@tagged("post_install", "-at_install")
class TestTwoWorkers(OrgSyncCase):
    def _real_env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    @staticmethod
    def _delete_committed_rows(dbname, token):
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            queries.delete_rows(cr, resync_token=token)
            cr.commit()

    def test_two_workers_send_no_row_twice(self):
        dbname = self.env.cr.dbname
        token = f"two-workers-{id(self)}"
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            env = self._real_env(cr)
            rows = env["aiflow.outbox"].create(
                [
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": f"{token}-{n}",
                        "payload": json.dumps(
                            {
                                "deptId": f"{token}-{n}",
                                "deptName": f"Parallel {n}",
                                "parentId": "",
                                "status": 1,
                            }
                        ),
                        "priority": 40,
                        "resync_token": token,
                    }
                    for n in range(ROWS)
                ]
            )
            row_ids = rows.ids
            cr.commit()

        self.addCleanup(self._delete_committed_rows, dbname, token)

        settings = aiflow_settings.read(
            {
                PREFIX + "sync_enabled": "True",
                PREFIX + "sync_batch_size": "5",
                PREFIX + "sync_max_attempts": "3",
            }.get
        )
        # 20 ms a call: neither worker sends all 24 batches before the other
        # has claimed, even on a busy machine (both must take part).
        self.sandbox.slow_down(0.02)
        results, errors = [], []
        start = threading.Barrier(2)

        def worker():
            try:
                client = AiflowClient(
                    self.sandbox.url, Signer(Credential("COMPANY001", "APP001", SECRET))
                )
                with closing(sql_db.db_connect(dbname).cursor()) as cr:
                    env = self._real_env(cr)
                    start.wait(timeout=10)
                    results.append(
                        env["aiflow.outbox"]
                        .with_context(aiflow_outbox_commit=True)
                        ._aiflow_deliver(settings=settings, client=client)
                    )
                    cr.commit()
            except Exception as exc:  # reported below, in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 2)

        sent = [
            item["deptId"]
            for call in self.calls(DEPT_PATH)
            for item in call["body"]["departments"]
            if item["deptId"].startswith(token)
        ]
        self.assertEqual(len(sent), ROWS, "every row sent")
        self.assertEqual(len(set(sent)), ROWS, "no row sent twice")
        # Both workers took part (claims are small: 5 rows x 5 batches).
        self.assertTrue(all(result.get("sent") for result in results), results)
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            self.assertEqual(queries.state_counts(cr, row_ids), {"done": ROWS})

    def test_save_while_a_worker_claims_the_row_does_not_fail(self):
        """A user's transaction (REPEATABLE READ) began before a worker
        claimed the record's pending row: the save still commits, and the
        change gets a row of its own."""
        dbname = self.env.cr.dbname
        name = f"Claimed meanwhile {id(self)}"
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            dept = self._real_env(cr)["hr.department"].create({"name": name})
            dept_id = dept.id
            cr.commit()

        def cleanup():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                queries.delete_rows(cr, res_model="hr.department", res_id=dept_id)
                cr.execute("DELETE FROM hr_department WHERE id = %s", (dept_id,))
                cr.commit()

        self.addCleanup(cleanup)
        with (
            closing(sql_db.db_connect(dbname).cursor()) as user_cr,
            closing(sql_db.db_connect(dbname).cursor()) as worker_cr,
        ):
            user_env = self._real_env(user_cr)
            queries.state_counts(user_cr)  # snapshot taken
            worker = self._real_env(worker_cr)["aiflow.outbox"].with_context(
                aiflow_outbox_commit=True
            )
            claim_token, claimed = claims.claim(worker.env, 1000)
            self.assertIn(
                dept_id, [row.res_id for row in claimed if row.res_model == "hr.department"]
            )
            user_env["hr.department"].browse(dept_id).write({"name": name + " renamed"})
            user_cr.commit()  # must not raise a serialization failure
            states = queries.select(
                user_cr,
                SQL("state"),
                SQL("res_model = 'hr.department' AND res_id = %s", dept_id),
                SQL("ORDER BY id"),
            )
            self.assertEqual([state for (state,) in states], ["sending", "pending"])
            # Rows of others the claim took go back as they were.
            claims.release(worker.env, claim_token, dict.fromkeys(row.id for row in claimed))
            worker_cr.commit()

    def test_a_record_being_sent_is_not_claimed_by_another_worker(self):
        """Worker A sends a record; the record changes and gets a new row.
        Worker B must leave that row until A has the answer: sent at once,
        A's older payload could reach aiflow after B's and undo it."""
        dbname = self.env.cr.dbname
        token = f"one-record-{id(self)}"

        def row(name):
            payload = {"deptId": token, "deptName": name, "parentId": "", "status": 1}
            # Priority 1: ahead of anything else a claim could meet.
            return {
                "endpoint": "department_sync",
                "mode": "fixed",
                "record_key": token,
                "payload": json.dumps(payload),
                "priority": 1,
                "resync_token": token,
            }

        self.addCleanup(self._delete_committed_rows, dbname, token)
        with (
            closing(sql_db.db_connect(dbname).cursor()) as user_cr,
            closing(sql_db.db_connect(dbname).cursor()) as a_cr,
            closing(sql_db.db_connect(dbname).cursor()) as b_cr,
        ):
            outbox = self._real_env(user_cr)["aiflow.outbox"]
            worker_a = self._real_env(a_cr)["aiflow.outbox"].with_context(aiflow_outbox_commit=True)
            worker_b = self._real_env(b_cr)["aiflow.outbox"].with_context(aiflow_outbox_commit=True)
            first = outbox.create(row("Old name")).id
            user_cr.commit()
            token_a, claimed_a = claims.claim(worker_a.env, 1)
            self.assertEqual([r.id for r in claimed_a], [first])
            second = outbox.create(row("New name")).id
            user_cr.commit()

            token_b, claimed_b = claims.claim(worker_b.env, 1000)
            self.assertNotIn(second, [r.id for r in claimed_b])
            claims.release(worker_b.env, token_b, dict.fromkeys(r.id for r in claimed_b))
            b_cr.commit()

            # A has its answer: now the new row may go.
            claims.settle(worker_a.env, token_a, [claims.Outcome(first, "done", sent=True)])
            a_cr.commit()
            token_b, claimed_b = claims.claim(worker_b.env, 1)
            self.assertEqual([r.id for r in claimed_b], [second])
            claims.release(worker_b.env, token_b, {second: None})
            b_cr.commit()

    def test_a_lapsed_claim_does_not_hold_the_record_back(self):
        """A worker that died while sending: once its lease ran out, its row
        and the record's newer one are claimed together and sent as one item."""
        dbname = self.env.cr.dbname
        token = f"lapsed-{id(self)}"

        self.addCleanup(self._delete_committed_rows, dbname, token)
        with (
            closing(sql_db.db_connect(dbname).cursor()) as user_cr,
            closing(sql_db.db_connect(dbname).cursor()) as worker_cr,
        ):
            outbox = self._real_env(user_cr)["aiflow.outbox"]
            rows = outbox.create(
                [
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": token,
                        "payload": json.dumps({"deptId": token, "deptName": name}),
                        "priority": 1,
                        "resync_token": token,
                        "state": state,
                        "claimed_at": claimed_at,
                        "claim_token": "dead-worker" if state == "sending" else False,
                    }
                    for name, state, claimed_at in (
                        ("Old name", "sending", "2000-01-01 00:00:00"),
                        ("New name", "pending", False),
                    )
                ]
            )
            user_cr.commit()
            worker = self._real_env(worker_cr)["aiflow.outbox"].with_context(
                aiflow_outbox_commit=True
            )
            claim_token, claimed = claims.claim(worker.env, 2)
            self.assertEqual([r.id for r in claimed], rows.ids)
            claims.release(worker.env, claim_token, dict.fromkeys(rows.ids))
            worker_cr.commit()

    def _committed_rows(self, dbname, token, count):
        """``count`` fixed department rows committed for real; their ids."""
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            rows = self._real_env(cr)["aiflow.outbox"].create(
                [
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": f"{token}-{n}",
                        "payload": json.dumps({"deptId": f"{token}-{n}", "deptName": "P"}),
                        "priority": 1,
                        "resync_token": token,
                    }
                    for n in range(count)
                ]
            )
            cr.commit()
        self.addCleanup(self._delete_committed_rows, dbname, token)
        return rows.ids

    def test_a_prefetched_claim_not_used_goes_back_to_the_queue(self):
        dbname = self.env.cr.dbname
        token = f"prefetch-{id(self)}"
        row_ids = self._committed_rows(dbname, token, 3)
        settings = aiflow_settings.read({PREFIX + "sync_enabled": "True"}.get)
        with closing(sql_db.db_connect(dbname).cursor()) as worker_cr:
            worker = self._real_env(worker_cr)["aiflow.outbox"].with_context(
                aiflow_outbox_commit=True
            )
            used = prefetch.Prefetch(worker.env, settings, 1000, set())
            taken = used.result()
            self.assertTrue(set(row_ids) <= {row.id for row in taken.rows})
            # Built and checked on the prefetch thread.
            self.assertEqual(taken.items[row_ids[0]]["deptId"], f"{token}-0")
            self.assertIsNone(taken.problems[row_ids[0]])
            self.assertEqual(queries.state_counts(worker_cr, row_ids), {"sending": 3})
            claims.release(worker.env, taken.token, dict.fromkeys(r.id for r in taken.rows))
            worker_cr.commit()

            unused = prefetch.Prefetch(worker.env, settings, 1000, set())
            unused.cancel()
            worker_cr.commit()
            self.assertEqual(queries.state_counts(worker_cr, row_ids), {"pending": 3})
            self.assertEqual(
                {row.claim_token for row in worker.browse(row_ids)}, {False}, "no claim left"
            )

    def test_an_outcome_the_settler_cannot_record_stops_the_run(self):
        dbname = self.env.cr.dbname
        token = f"settler-{id(self)}"
        row_ids = self._committed_rows(dbname, token, 2)
        with closing(sql_db.db_connect(dbname).cursor()) as worker_cr:
            worker = self._real_env(worker_cr)["aiflow.outbox"].with_context(
                aiflow_outbox_commit=True
            )
            claim_token, _claimed = claims.claim(worker.env, 1000)
            recorder = settler.Settler(worker.env)
            self.assertTrue(recorder.threaded)
            recorder.submit(claim_token, [claims.Outcome(row_ids[0], "done", sent=True)])
            recorder.drain()
            # Recorded and committed on the settler's own connection.
            self.assertEqual(queries.state_counts(worker_cr, row_ids), {"done": 1, "sending": 1})
            bad = claims.Outcome(row_ids[1], "retrying", next_at="not a time", sent=True)
            with mute_logger("odoo.sql_db"):
                recorder.submit(claim_token, [bad])
                with self.assertRaises(psycopg2.Error):
                    recorder.drain()
                # Sticky: nothing more is recorded, the worker stops.
                with self.assertRaises(psycopg2.Error):
                    recorder.submit(claim_token, [claims.Outcome(row_ids[1], "done")])
                with self.assertRaises(psycopg2.Error):
                    recorder.close()
            self.assertEqual(queries.state_counts(worker_cr, row_ids), {"done": 1, "sending": 1})
            claims.release(worker.env, claim_token, {row_ids[1]: None})
            worker_cr.commit()

    def test_a_resyncs_new_rows_are_written_a_few_calls_at_a_time(self):
        dbname = self.env.cr.dbname
        token = f"new-rows-{id(self)}"
        self.addCleanup(self._delete_committed_rows, dbname, token)
        people = sources.get(org_payloads.USER_SYNC, "hr.employee")
        departments = sources.get(org_payloads.DEPARTMENT_SYNC, "hr.department")

        def sent(first, count):
            return [
                resync.Written(n, f"{token}-{n}", f"Row {n}", "done", None, "{}", "{}", sent=True)
                for n in range(first, first + count)
            ]

        def written():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                return sum(queries.resync_counts(cr, token).values())

        def written_soon(expected):
            for _attempt in range(100):
                if written() == expected:
                    return True
                time.sleep(0.05)
            return False

        with closing(sql_db.db_connect(dbname).cursor()) as worker_cr:
            worker = self._real_env(worker_cr)(context={"aiflow_outbox_commit": True})
            recorder = settler.Settler(worker)
            self.assertTrue(recorder.threaded)
            recorder.new_rows_per_write = 3
            recorder.submit_new(token, people, sent(1, 2))
            time.sleep(0.2)
            self.assertEqual(written(), 0, "two rows wait for a third")
            recorder.submit_new(token, people, sent(3, 2))
            self.assertTrue(written_soon(4), "four rows are written without a drain")
            recorder.submit_new(token, people, sent(5, 1))
            # Another source's rows: the first one's go first.
            recorder.submit_new(token, departments, sent(6, 1))
            self.assertTrue(written_soon(5))
            recorder.drain()
            self.assertEqual(written(), 6, "a drain writes what waits")
            recorder.submit_new(token, people, sent(7, 1))
            recorder.close()
            self.assertEqual(written(), 7, "so does the end of the run")

            # Rows waiting when the run ends before any was handed over.
            recorder = settler.Settler(worker)
            recorder.submit_new(token, people, sent(8, 1))
            recorder.close()
            self.assertEqual(written(), 8)
