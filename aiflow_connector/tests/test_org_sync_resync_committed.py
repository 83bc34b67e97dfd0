# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (these tests commit on connections of their own, never the test's transaction)
"""A full resync as the cron runs it: committed, on connections of its own.

Inside a test's transaction the worker does everything on its one cursor.
Here it works as in production: the rows are written by the settler's
thread, the employees are read on a connection of their own while the
departments go out, and each batch is built once the previous request is
on the wire. The records are committed first and removed at the end.
"""

import threading
import uuid
from contextlib import closing
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import tagged

from odoo.addons.aiflow_connector import settings as aiflow_settings
from odoo.addons.aiflow_connector.outbox import queries, resync, resync_reads
from odoo.addons.aiflow_connector.protocol.client import AiflowClient
from odoo.addons.aiflow_connector.protocol.signing import Credential, Signer

from .common import DEPT_PATH, PREFIX, SECRET, USER_PATH, OrgSyncCase

NO_SYNC = {"aiflow_no_sync": True, "tracking_disable": True, "mail_create_nolog": True}


@tagged("post_install", "-at_install")
class TestCommittedFullResync(OrgSyncCase):
    def _committed_tree(self, dbname, tag):
        """Two departments (one under the other) and four people (three
        under a boss), committed; removed with their rows at the end."""
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, NO_SYNC)
            root = env["hr.department"].create({"name": f"{tag} root"})
            child = env["hr.department"].create({"name": f"{tag} child", "parent_id": root.id})
            boss = env["hr.employee"].create({"name": f"{tag} boss", "department_id": root.id})
            staff = env["hr.employee"].create(
                [
                    {"name": f"{tag} staff {n}", "department_id": child.id, "parent_id": boss.id}
                    for n in range(3)
                ]
            )
            tree = {
                "departments": [root.aiflow_code, child.aiflow_code],
                "people": [boss.aiflow_code, *staff.mapped("aiflow_code")],
                "dept_ids": [root.id, child.id],
                "emp_ids": [boss.id, *staff.ids],
            }
            cr.commit()

        def cleanup():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, NO_SYNC)
                env["hr.employee"].browse(tree["emp_ids"]).unlink()
                env["hr.department"].browse(tree["dept_ids"][::-1]).unlink()
                cr.commit()

        self.addCleanup(cleanup)
        return tree

    def _run(self, deliveries=1, batch_size=2):
        """A full resync of everything in scope, confirmed and then sent by
        the worker ``deliveries`` times as the cron does (committed, in
        batches of ``batch_size``); returns (token, stats of each delivery, the thread each
        source was read on, each time)."""
        dbname = self.env.cr.dbname
        settings = aiflow_settings.read(
            {
                PREFIX + "sync_enabled": "True",
                PREFIX + "sync_batch_size": str(batch_size),  # several calls per source
                PREFIX + "sync_max_attempts": "3",
            }.get
        )
        token = uuid.uuid4().hex
        read_on = []
        real_left = resync_reads.left

        def left(env, run_token, source):
            read_on.append((source.model, threading.current_thread().name))
            return real_left(env, run_token, source)

        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            cr.execute("SELECT coalesce(max(id), 0) FROM ir_cron_trigger")
            (last_trigger,) = cr.fetchone()

        def cleanup_rows():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                queries.delete_rows(cr, resync_token=token)
                cr.execute("DELETE FROM aiflow_resync_run WHERE resync_token = %s", (token,))
                # The worker's come-backs (a retry's time) would wake later tests' cron.
                cr.execute("DELETE FROM ir_cron_trigger WHERE id > %s", (last_trigger,))
                cr.commit()

        self.addCleanup(cleanup_rows)
        client = AiflowClient(self.sandbox.url, Signer(Credential("COMPANY001", "APP001", SECRET)))
        self.addCleanup(client.close)
        stats = []
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            total = resync.start(env, token)
            env["aiflow.resync.run"].create({"resync_token": token, "total_count": total})
            cr.commit()
            resync_reads.left = left
            try:
                for _delivery in range(deliveries):
                    stats.append(
                        env["aiflow.outbox"]
                        .with_context(aiflow_outbox_commit=True)
                        ._aiflow_deliver(settings=settings, client=client)
                    )
                    cr.commit()
            finally:
                resync_reads.left = real_left
        return token, stats, read_on

    def _run_state(self, token):
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["aiflow.resync.run"].search([("resync_token", "=", token)]).state

    def _row_states(self, token, keys):
        """aiflow id -> states of the resync's rows for ``keys``."""
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            rows = api.Environment(cr, SUPERUSER_ID, {})["aiflow.outbox"].search(
                [("resync_token", "=", token), ("record_key", "in", list(keys))]
            )
            states = {}
            for row in rows:
                states.setdefault(row.record_key, []).append(row.state)
            return states

    def _sent_of(self, tree):
        """aiflow ids of ``tree`` the sandbox received, in sending order."""
        sent = [
            item["deptId" if call["path"] == DEPT_PATH else "userId"]
            for call in self.calls()
            if call["path"] in (DEPT_PATH, USER_PATH)
            for item in call["body"]["departments" if call["path"] == DEPT_PATH else "users"]
        ]
        return [key for key in sent if key in tree["departments"] + tree["people"]]

    def _reader_threads_left(self):
        return [t for t in threading.enumerate() if t.name == "aiflow-resync-read"]

    def test_committed_resync_sends_everyone_once_parents_first(self):
        tree = self._committed_tree(self.env.cr.dbname, f"Committed resync {uuid.uuid4().hex[:8]}")
        token, (stats,), read_on = self._run()
        self.assertEqual(self._run_state(token), "done")
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            counts = queries.resync_counts(cr, token)
            cr.execute(
                "SELECT total_count FROM aiflow_resync_run WHERE resync_token = %s", (token,)
            )
            (total,) = cr.fetchone()

        self.assertFalse(stats.get("failed"), stats)
        self.assertEqual(counts, {"done": total}, "one row each, all delivered")
        # The first source is read on the worker's cursor, the next one
        # beside the sending of the first.
        self.assertEqual(
            read_on,
            [
                ("hr.department", threading.current_thread().name),
                ("hr.employee", "aiflow-resync-read"),
            ],
        )

        ours = self._sent_of(tree)
        self.assertCountEqual(ours, tree["departments"] + tree["people"], "each sent once")
        position = {key: ours.index(key) for key in ours}
        root, child = tree["departments"]
        boss, *staff = tree["people"]
        self.assertLess(position[root], position[child])
        self.assertLess(max(position[d] for d in tree["departments"]), position[boss])
        self.assertTrue(all(position[boss] < position[person] for person in staff))
        self.assertGreater(len(self.calls(USER_PATH)), 1, "batches of two")

    def test_committed_resync_aiflow_down_hands_the_read_ahead_to_the_queue(self):
        tree = self._committed_tree(self.env.cr.dbname, f"Committed down {uuid.uuid4().hex[:8]}")
        # aiflow answers the first call with a 503 while the employees are
        # being read on their own connection.
        self.sandbox.fail_next(1, mode="http503")
        token, (stats,), read_on = self._run()

        # The employees read ahead are handed over as read, not read again.
        self.assertEqual([model for model, _thread in read_on], ["hr.department", "hr.employee"])
        self.assertEqual(read_on[1][1], "aiflow-resync-read")
        self.assertEqual(self._reader_threads_left(), [])
        # The worker's part is over; the resync runs on in the queue.
        self.assertEqual(self._run_state(token), "done")
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            self.assertTrue(queries.resync_running(cr, token))
        self.assertEqual(self.calls(USER_PATH), [], "no employee sent while aiflow is down")
        # Nothing lost: each record has one row, queued for the queue's retries.
        states = self._row_states(token, tree["departments"] + tree["people"])
        self.assertEqual(sorted(states), sorted(tree["departments"] + tree["people"]))
        self.assertTrue(all(len(rows) == 1 for rows in states.values()), states)
        self.assertEqual({states[key][0] for key in tree["people"]}, {"pending"})
        self.assertLessEqual(
            {states[key][0] for key in tree["departments"]}, {"pending", "retrying"}
        )
        self.assertGreaterEqual(stats["retrying"], 1)

    def test_committed_resync_out_of_time_goes_on_in_the_next_run(self):
        tree = self._committed_tree(self.env.cr.dbname, f"Committed late {uuid.uuid4().hex[:8]}")
        answered = resync.FullResync._hold_back_refused
        first_answer = []

        def then_out_of_time(run, *args):
            if not first_answer:
                first_answer.append(True)
                run.run.deadline = 0  # the time budget is spent with this answer
            return answered(run, *args)

        with patch.object(resync.FullResync, "_hold_back_refused", then_out_of_time):
            # One record a call: the run stops with a department still to go.
            token, _stats, read_on = self._run(deliveries=2, batch_size=1)

        # The first run stopped during the departments; the employees read
        # beside them were let go, and read again by the next run.
        self.assertEqual(self._reader_threads_left(), [])
        self.assertEqual(
            [model for model, _thread in read_on],
            ["hr.department", "hr.employee", "hr.department", "hr.employee"],
        )
        self.assertEqual(self._run_state(token), "done")
        states = self._row_states(token, tree["departments"] + tree["people"])
        self.assertEqual(states, {key: ["done"] for key in tree["departments"] + tree["people"]})
        self.assertCountEqual(
            self._sent_of(tree), tree["departments"] + tree["people"], "each sent once"
        )
