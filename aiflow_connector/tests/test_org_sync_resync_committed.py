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

    def test_committed_resync_sends_everyone_once_parents_first(self):
        dbname = self.env.cr.dbname
        tree = self._committed_tree(dbname, f"Committed resync {uuid.uuid4().hex[:8]}")
        settings = aiflow_settings.read(
            {
                PREFIX + "sync_enabled": "True",
                PREFIX + "sync_batch_size": "2",  # several calls per source
                PREFIX + "sync_max_attempts": "3",
            }.get
        )
        token = uuid.uuid4().hex
        read_on = {}
        real_left = resync_reads.left

        def left(env, run_token, source):
            read_on[source.model] = threading.current_thread().name
            return real_left(env, run_token, source)

        def cleanup_rows():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                queries.delete_rows(cr, resync_token=token)
                cr.execute("DELETE FROM aiflow_resync_run WHERE resync_token = %s", (token,))
                cr.commit()

        self.addCleanup(cleanup_rows)
        client = AiflowClient(self.sandbox.url, Signer(Credential("COMPANY001", "APP001", SECRET)))
        self.addCleanup(client.close)
        with closing(sql_db.db_connect(dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            total = resync.start(env, token)
            env["aiflow.resync.run"].create({"resync_token": token, "total_count": total})
            cr.commit()
            resync_reads.left = left
            try:
                stats = (
                    env["aiflow.outbox"]
                    .with_context(aiflow_outbox_commit=True)
                    ._aiflow_deliver(settings=settings, client=client)
                )
            finally:
                resync_reads.left = real_left
            cr.commit()
            run = env["aiflow.resync.run"].search([("resync_token", "=", token)])
            self.assertEqual(run.state, "done")
            counts = queries.resync_counts(cr, token)

        self.assertFalse(stats.get("failed"), stats)
        self.assertEqual(counts, {"done": total}, "one row each, all delivered")
        # The first source is read on the worker's cursor, the next one
        # beside the sending of the first.
        self.assertEqual(read_on["hr.department"], threading.current_thread().name)
        self.assertEqual(read_on["hr.employee"], "aiflow-resync-read")

        order = [
            (call["path"], item["deptId" if call["path"] == DEPT_PATH else "userId"])
            for call in self.calls()
            if call["path"] in (DEPT_PATH, USER_PATH)
            for item in call["body"]["departments" if call["path"] == DEPT_PATH else "users"]
        ]
        ours = [key for _path, key in order if key in tree["departments"] + tree["people"]]
        self.assertCountEqual(ours, tree["departments"] + tree["people"], "each sent once")
        position = {key: ours.index(key) for key in ours}
        root, child = tree["departments"]
        boss, *staff = tree["people"]
        self.assertLess(position[root], position[child])
        self.assertLess(max(position[d] for d in tree["departments"]), position[boss])
        self.assertTrue(all(position[boss] < position[person] for person in staff))
        self.assertGreater(len(self.calls(USER_PATH)), 1, "batches of two")
