# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Flows, order snapshots and approval logs delivered to the sandbox by the
outbox, without any approval engine installed: the records are written as
an engine would."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import OrgSyncCase, TaskCenterFixtures

FLOW_PATH = "/aflow/api/flow/create_third_party"
ONLINE_PATH = "/aflow/api/flow/online_third_party"
ORDER_PATH = "/aflow/api/order/sync/task"
LOG_PATH = "/aflow/api/order/approval/log"


@tagged("post_install", "-at_install")
class TestTaskCenterDelivery(TaskCenterFixtures, OrgSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_center()
        cls.dept = cls.env["hr.department"].create({"name": "Approvals"})
        cls.manager_employee.department_id = cls.dept

    def make_due(self):
        self.Outbox.search([("state", "=", "retrying")]).write(
            {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)}
        )

    def flow_as_admin(self):
        return self.flow.with_user(self.admin)

    def online(self):
        self.flow_as_admin().action_aiflow_register()
        self.deliver()
        self.flow_as_admin().action_aiflow_go_online()
        self.deliver()
        self.assertEqual(self.flow.state, "online")

    def order_with_task(self):
        order = self.env["aiflow.order"]._aiflow_start(self.flow, self.document, self.manager)
        task = self.env["aiflow.order.task"].create(
            {
                "order_id": order.id,
                "name": "部门经理审批",
                "assignee_ids": [(6, 0, self.reviewer.ids)],
                "deadline": datetime(2030, 1, 1),
            }
        )
        return order, task

    def decide(self, order, task, comment, minute):
        when = datetime(2026, 1, 5, 9, minute)
        self.env["aiflow.order.log"].create(
            {
                "order_id": order.id,
                "task_id": task.id,
                "handler_id": self.reviewer.id,
                "result": "APPROVED",
                "comment": comment,
                "handle_time": when,
            }
        )
        order.update_time = when

    # ------------------------------------------------------------ flows

    def test_flow_waits_for_its_manager_then_is_registered_and_put_online(self):
        self.deliver()
        manager_row = self.rows(self.manager_employee)
        manager_row.write({"state": "dead"})  # aiflow refused the manager earlier
        self.flow_as_admin().action_aiflow_register()
        self.deliver()
        self.assertEqual(self.calls(FLOW_PATH), [])
        self.assertEqual(self.flow.aiflow_sync_state, "pending")
        self.assertIn(self.manager_employee.aiflow_code, self.flow.aiflow_last_error)
        # the Go online button refuses a flow aiflow has no version of
        with self.assertRaises(UserError):
            self.flow_as_admin().action_aiflow_go_online()

        manager_row.action_retry_now()
        self.deliver()
        self.assertEqual((self.flow.state, self.flow.flow_version), ("registered", 1))
        self.assertTrue(self.flow.last_outcome_at)
        self.flow.update_desc = "first release"
        self.flow_as_admin().action_aiflow_go_online()
        self.deliver()
        self.assertEqual(self.flow.state, "online")
        self.assertEqual(self.calls(ONLINE_PATH)[0]["body"]["updateDesc"], "first release")
        stored = self.sandbox.state["flows"]["DEPT_CHANGE"]
        self.assertEqual(stored["onlineVersion"], 1)
        self.assertEqual(self.flow.online_version, 1)
        # registered again: aiflow gives version 2; the flow stays online
        # (orders keep opening) until version 2 goes online in turn
        self.flow_as_admin().action_aiflow_register()
        self.deliver()
        self.assertEqual((self.flow.state, self.flow.flow_version), ("online", 2))
        self.assertEqual(self.flow.online_version, 1)
        self.assertEqual(self.flow._aiflow_online_flow_for("hr.department"), self.flow)
        self.flow_as_admin().action_aiflow_go_online()
        self.deliver()
        self.assertEqual((self.flow.flow_version, self.flow.online_version), (2, 2))
        self.assertEqual(self.sandbox.state["flows"]["DEPT_CHANGE"]["onlineVersion"], 2)

    def test_only_administrators_send_flows(self):
        for action in ("action_aiflow_register", "action_aiflow_go_online"):
            with self.assertRaises(AccessError):
                getattr(self.flow.with_user(self.manager), action)()
        self.commit_point()
        self.assertFalse(self.rows(self.flow))

    # ------------------------------------------------------------ orders and logs

    def test_logs_wait_for_the_snapshot_and_arrive_each_in_order(self):
        self.online()
        order, task = self.order_with_task()
        self.deliver()
        self.assertEqual(order.aiflow_sync_state, "done")
        self.sandbox.fail_next(1, mode="http503")  # the next snapshot fails once
        for minute, comment in enumerate(("first look", "second look", "同意")):
            self.decide(order, task, comment, minute)
            self.commit_point()
        self.deliver()
        self.assertEqual(order.aiflow_sync_state, "retrying")
        logs = self.rows(order.log_ids)
        self.assertEqual(len(logs), 3)  # never merged
        self.assertEqual(set(logs.mapped("state")), {"pending"})
        self.assertEqual(self.calls(LOG_PATH), [])
        self.make_due()
        self.deliver()
        self.assertEqual(set(logs.mapped("state")), {"done"})
        sent = [call["body"]["logs"][0]["handleComment"] for call in self.calls(LOG_PATH)]
        self.assertEqual(sent, ["first look", "second look", "同意"])
        self.assertEqual(
            self.sandbox.state["approval_logs"][str(order.id)]["logs"][0]["handleTime"],
            "2026-01-05 17:00:00",  # Asia/Shanghai, the default zone
        )
        paths = [call["path"] for call in self.calls()]
        self.assertLess(len(paths) - paths[::-1].index(ORDER_PATH) - 1, paths.index(LOG_PATH))

    def test_an_order_is_resent_on_every_change_and_the_console_names_it(self):
        self.online()
        order, task = self.order_with_task()
        self.deliver()
        task.write({"status": "over", "result": "pass", "handle_time": datetime(2026, 1, 5)})
        self.deliver()
        order._aiflow_set_result("pass")
        self.deliver()
        bodies = [call["body"] for call in self.calls(ORDER_PATH)]
        self.assertEqual(
            [(b["orderResult"], b["tasks"][0]["taskResult"]) for b in bodies],
            [("ing", "new"), ("ing", "pass"), ("pass", "pass")],
        )
        row = self.rows(order)[:1]
        self.assertEqual(row.display_name.split(" ")[0:3], ["Order", "and", "task"])
        action = order.action_aiflow_sync_rows()
        self.assertEqual(len(self.Outbox.search(action["domain"])), 3)

    def test_a_newer_snapshot_waits_while_an_older_one_is_in_flight(self):
        self.online()
        order, task = self.order_with_task()
        self.deliver()
        task.write({"status": "over", "result": "pass", "handle_time": datetime(2026, 1, 5)})
        self.commit_point()
        older = self.rows(order).filtered(lambda row: row.state == "pending")
        # another worker is sending that snapshot right now
        older.write({"state": "sending", "claim_token": "other-worker"})
        order._aiflow_set_result("pass")
        self.commit_point()
        newer = self.rows(order).filtered(lambda row: row.state == "pending")
        self.assertEqual(len(newer), 1)
        self.assertNotEqual(newer, older)
        self.deliver()
        self.assertEqual(newer.state, "pending")  # not sent beside the older one
        self.assertEqual(len(self.calls(ORDER_PATH)), 1)
        older.write({"state": "done", "claim_token": False})  # its worker got the answer
        self.deliver()
        self.assertEqual(newer.state, "done")
        last = self.calls(ORDER_PATH)[-1]["body"]
        self.assertEqual(last, order._aiflow_snapshot())
        self.assertEqual(last["orderResult"], "pass")
