# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (these tests commit on connections of their own, never the test's transaction)
"""Full resync: dry run, one run at a time, hierarchy order, progress."""

from contextlib import closing

import psycopg2.errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.aiflow_connector.outbox import queries
from odoo.addons.aiflow_connector.protocol.client import AiflowClient
from odoo.addons.aiflow_connector.protocol.signing import METHOD_SDK, Credential, Signer
from odoo.addons.aiflow_connector.wizards.aiflow_full_resync import RESYNC_PARAM

from .common import DEPT_PATH, SECRET, USER_PATH, OrgSyncCase


@tagged("post_install", "-at_install")
class TestFullResync(OrgSyncCase):
    def test_dry_run_confirm_progress_and_single_run(self):
        root, mid, leaf, boss, cto, lead, staff = self.make_tree()
        archived_dept = self.Dept.create({"name": "Closed", "parent_id": root.id})
        archived_dept.action_archive()
        staff[0].action_archive()
        no_dept = self.Emp.create({"name": "Floating"})
        self.deliver()
        self.sandbox.reset()  # aiflow lost everything: time for a resync

        Dept = self.Dept.with_context(active_test=False)
        Emp = self.Emp.with_context(active_test=False)
        wizard = self.env["aiflow.full.resync"].create({})
        self.assertEqual(
            wizard.department_enabled_count, Dept.search_count([("active", "=", True)])
        )
        self.assertEqual(
            wizard.department_disabled_count, Dept.search_count([("active", "=", False)])
        )
        self.assertEqual(
            wizard.employee_enabled_count,
            Emp.search_count([("active", "=", True), ("department_id", "!=", False)]),
        )
        self.assertEqual(
            wizard.employee_disabled_count,
            Emp.search_count([("active", "=", False), ("department_id", "!=", False)]),
        )
        self.assertEqual(
            wizard.employee_skipped_count, Emp.search_count([("department_id", "=", False)])
        )
        self.assertGreaterEqual(wizard.department_disabled_count, 1)
        self.assertGreaterEqual(wizard.employee_skipped_count, 1)
        # The dry run sends and queues nothing.
        self.commit_point()
        self.assertFalse(self.Outbox.search([("state", "=", "pending")]))
        self.assertEqual(self.calls(), [])

        wizard.action_confirm()
        self.assertEqual(wizard.state, "running")
        self.assertTrue(wizard.running)
        total = wizard.total_count
        self.assertEqual(total, Dept.search_count([]) + Emp.search_count([]))
        self.assertEqual(wizard.sent_count, 0)

        # A second click (or a second admin) does not start another run.
        with self.assertRaises(UserError):
            self.env["aiflow.full.resync"].create({}).action_confirm()

        self.deliver()
        wizard.invalidate_recordset()
        self.assertFalse(wizard.running)
        self.assertEqual(wizard.failed_count, 0)
        # Everyone sendable was sent; employees without a department were not.
        self.assertEqual(
            wizard.sent_count, total - Emp.search_count([("department_id", "=", False)])
        )
        skipped = total - wizard.sent_count
        self.assertEqual(
            wizard.summary,
            f"Finished: {wizard.sent_count} of {total} sent, 0 failed (their errors are "
            "in the sync queue), 0 cancelled. "
            + ("1 employee was not sent" if skipped == 1 else f"{skipped} employees were not sent")
            + ": they have no department, which aiflow requires, and aiflow has never had them.",
        )
        self.assertEqual(wizard.progress, 100.0)
        wizard.action_refresh()
        self.assertEqual(wizard.state, "done")

        state = self.sandbox.state
        self.assertEqual(state["departments"][archived_dept.aiflow_code]["status"], 0)
        self.assertEqual(state["users"][staff[0].aiflow_code]["status"], 0)
        self.assertNotIn(no_dept.aiflow_code, state["users"])
        dept_ids = [i["deptId"] for i in self.sent_items(DEPT_PATH)]
        self.assertLess(dept_ids.index(root.aiflow_code), dept_ids.index(mid.aiflow_code))
        self.assertLess(dept_ids.index(mid.aiflow_code), dept_ids.index(leaf.aiflow_code))
        user_ids = [i["userId"] for i in self.sent_items(USER_PATH)]
        self.assertLess(user_ids.index(boss.aiflow_code), user_ids.index(cto.aiflow_code))
        self.assertLess(user_ids.index(cto.aiflow_code), user_ids.index(lead.aiflow_code))
        first_user_call = next(i for i, c in enumerate(self.calls()) if c["path"] == USER_PATH)
        self.assertTrue(all(c["path"] == DEPT_PATH for c in self.calls()[:first_user_call]))

        # Finished: a new run may start.
        again = self.env["aiflow.full.resync"].create({})
        again.action_confirm()
        self.assertEqual(again.state, "running")

    def test_signing_sdk_gone_mid_run_sends_nothing_and_says_why(self):
        """The vendor SDK chosen for signing disappears while a resync runs
        (the worker checks it when it starts, so this is a client built
        before): nothing goes, the departments' rows are dead with the
        reason (not "aiflow refused"), what depends on them waits, and once
        signing works again a retry delivers everyone."""
        self.make_tree()
        self.deliver()
        self.sandbox.reset()
        wizard = self.env["aiflow.full.resync"].create({})
        wizard.action_confirm()
        self.commit_point()
        sdk_signer = Signer(Credential("COMPANY001", "APP001", SECRET), method=METHOD_SDK)
        with AiflowClient(self.sandbox.url, sdk_signer) as client:
            self.Outbox._aiflow_deliver(client=client)
        self.env.invalidate_all()
        self.assertEqual(self.calls(), [])
        rows = self.Outbox.search([("resync_token", "=", wizard.resync_token)])
        dead = rows.filtered(lambda row: row.state == "dead")
        self.assertEqual(set(dead.mapped("endpoint")), {"department_sync"})
        for row in dead:
            self.assertIn("aflow-client-python", row.last_error)
            self.assertNotIn("refused", row.last_error)
        self.assertEqual(set((rows - dead).mapped("state")), {"pending"})

        dead.action_retry_now()  # the built-in signing method is configured
        for _run in range(3):
            self.deliver()
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertEqual(
            {item["deptId"] for item in self.sent_items(DEPT_PATH)},
            set(self.Dept.search([]).mapped("aiflow_code")),
        )

    def test_finished_summary_reads_naturally_in_english_and_chinese(self):
        wizard = self.env["aiflow.full.resync"].create({})
        counts = {"done": 40, "dead": 2, "cancelled": 1, "skipped": 3}
        self.assertEqual(
            wizard._finished_summary(counts, 46),
            "Finished: 40 of 46 sent, 2 failed (their errors are in the sync queue), "
            "1 cancelled. 3 employees were not sent: they have no department, which "
            "aiflow requires, and aiflow has never had them.",
        )
        self.assertEqual(
            wizard._finished_summary({"done": 5, "skipped": 1}, 6),
            "Finished: 5 of 6 sent, 0 failed (their errors are in the sync queue), "
            "0 cancelled. 1 employee was not sent: they have no department, which "
            "aiflow requires, and aiflow has never had them.",
        )
        # nothing skipped: no sentence about it
        self.assertEqual(
            wizard._finished_summary({"done": 5}, 5),
            "Finished: 5 of 5 sent, 0 failed (their errors are in the sync queue), 0 cancelled.",
        )
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["aiflow_connector"], ["zh_CN"])
        chinese = wizard.with_context(lang="zh_CN")
        self.assertEqual(
            chinese._finished_summary(counts, 46),
            "已完成：共 46 条，已发送 40 条，失败 2 条（错误信息见同步队列），已取消 1 条。"
            "3 名员工未发送：他们没有部门（aiflow 要求必须有部门），且 aiflow 中从未有过他们。",
        )
        self.assertEqual(
            chinese._finished_summary({"done": 5, "skipped": 1}, 6),
            "已完成：共 6 条，已发送 5 条，失败 0 条（错误信息见同步队列），已取消 0 条。"
            "1 名员工未发送：该员工没有部门（aiflow 要求必须有部门），且 aiflow 中从未有过该员工。",
        )
        labels = {
            name: field.get_description(chinese.env)["string"]
            for name, field in wizard._fields.items()
            if name.endswith("_count") and name.startswith(("department_", "employee_"))
        }
        self.assertEqual(
            labels,
            {
                "department_enabled_count": "在用部门",
                "department_disabled_count": "已归档部门",
                "employee_enabled_count": "在职员工",
                "employee_disabled_count": "已归档员工",
                "employee_skipped_count": "没有部门的员工",
            },
        )

    def test_only_administrators(self):
        operator = new_test_user(
            self.env,
            login="aiflow_operator_resync",
            groups="aiflow_connector.group_aiflow_operator",
        )
        wizard = self.env["aiflow.full.resync"].create({})
        with self.assertRaises(AccessError):
            wizard.with_user(operator).action_confirm()

    def test_two_clicks_at_once_start_one_resync(self):
        """The second click's transaction began before the first committed:
        it fails to serialise (Odoo replays such a request), and the replay
        refuses to start a second run."""
        dbname = self.env.cr.dbname

        runs_before = self.env["aiflow.resync.run"].search([]).ids

        def cleanup():
            with closing(sql_db.db_connect(dbname).cursor()) as cr:
                queries.delete_rows(cr, resync_token=True)
                cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", (RESYNC_PARAM,))
                cr.execute("DELETE FROM aiflow_resync_run WHERE NOT (id = ANY(%s))", (runs_before,))
                cr.commit()

        self.addCleanup(cleanup)
        with (
            closing(sql_db.db_connect(dbname).cursor()) as first_cr,
            closing(sql_db.db_connect(dbname).cursor()) as second_cr,
        ):
            first = api.Environment(first_cr, SUPERUSER_ID, {})["aiflow.full.resync"]
            second = api.Environment(second_cr, SUPERUSER_ID, {})["aiflow.full.resync"]
            first_wizard = first.create({})
            first_cr.commit()
            second_wizard = second.create({})  # the second click's transaction begins
            first_wizard.action_confirm()
            first_cr.commit()
            with (
                self.assertRaises(psycopg2.errors.SerializationFailure),
                mute_logger("odoo.sql_db"),
            ):
                second_wizard.action_confirm()
            second_cr.rollback()
            # The replay, in a new transaction.
            with self.assertRaises(UserError):
                second.create({}).action_confirm()
            second_cr.rollback()
            runs = second.env["aiflow.resync.run"].search([("id", "not in", runs_before)])
            self.assertEqual(len(runs), 1)
            self.assertEqual(runs.state, "running")

    def test_progress_widget_is_in_the_backend_bundle(self):
        paths = [
            path for path, *_rest in self.env["ir.asset"]._get_asset_paths("web.assets_backend", {})
        ]
        self.assertTrue(
            any(
                p.endswith("aiflow_connector/static/src/js/aiflow_resync_progress.js")
                for p in paths
            )
        )
        arch = self.env.ref("aiflow_connector.aiflow_full_resync_view_form").arch
        self.assertIn('widget="aiflow_resync_progress"', arch)
