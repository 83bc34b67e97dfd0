# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Flows, orders, tasks and approval-log lines: what aiflow will be sent,
built from the records as they are."""

from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.aiflow_connector.protocol.schema import validate

from .common import TaskCenterFixtures


@tagged("post_install", "-at_install")
class TestTaskCenterModels(TaskCenterFixtures, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_center()

    # ------------------------------------------------------------ flows

    def test_register_payload_sends_user_codes_and_odoo_pages(self):
        body = self.flow._aiflow_create_payload()
        validate("flow_create_third_party", body)
        self.assertEqual(body["flowCode"], "DEPT_CHANGE")
        self.assertEqual(body["title"], "部门变更审批")
        # the employee's aiflow code, else the login (the SSO userId rule)
        self.assertEqual(body["managerUserCode"], self.manager_employee.aiflow_code)
        self.assertTrue(self.manager_employee.aiflow_code)
        self.assertEqual(body["operationUserCode"], "tc_reviewer")
        self.assertEqual(body["createBy"], self.manager_employee.aiflow_code)
        self.assertEqual(
            body["initiateUrl"],
            {
                "h5Url": "http://odoo.example.com/aiflow/flow/DEPT_CHANGE/new",
                "webUrl": "http://odoo.example.com/aiflow/flow/DEPT_CHANGE/new",
            },
        )
        self.assertEqual(
            body["detailUrl"]["webUrl"], "http://odoo.example.com/aiflow/flow/DEPT_CHANGE/detail"
        )
        self.assertEqual(body["allowedApplyTerminals"], ["pc", "mobile"])
        self.assertEqual(body["allowedApplyRule"]["allowedApplyType"], "all")

    def test_pages_follow_the_public_url_unless_overridden(self):
        self.params.set_param("web.base.url", "https://erp.example.cn/")
        self.flow.invalidate_recordset()
        self.assertEqual(
            self.flow.detail_h5_url, "https://erp.example.cn/aiflow/flow/DEPT_CHANGE/detail"
        )
        self.flow.detail_h5_url_custom = " https://m.example.cn/approvals "
        body = self.flow._aiflow_create_payload()
        self.assertEqual(body["detailUrl"]["h5Url"], "https://m.example.cn/approvals")
        self.assertEqual(
            body["detailUrl"]["webUrl"], "https://erp.example.cn/aiflow/flow/DEPT_CHANGE/detail"
        )

    def test_custom_rules_name_users_departments_and_groups(self):
        self.flow.write(
            {
                "apply_rule": "custom",
                "apply_user_ids": [(6, 0, [self.manager.id, self.reviewer.id])],
                "apply_department_ids": [(6, 0, [self.document.id])],
                "apply_group_codes": "SALES, FINANCE\nSALES",
                "apply_on_mobile": False,
            }
        )
        body = self.flow._aiflow_create_payload()
        validate("flow_create_third_party", body)
        self.assertEqual(
            body["allowedApplyRule"],
            {
                "allowedApplyType": "custom",
                "userCodes": [self.manager_employee.aiflow_code, "tc_reviewer"],
                "deptCodes": [self.document.aiflow_code],
                "userGroupCodes": ["SALES", "FINANCE"],
            },
        )
        self.assertEqual(body["allowedApplyTerminals"], ["pc"])
        self.assertEqual(body["allowedManageRule"]["allowedApplyType"], "all")
        self.assertEqual(self.flow._aiflow_people(), self.manager | self.reviewer | self.env.user)

    def test_bad_flow_definitions_are_refused(self):
        for code in ("", "1FLOW", "SALES ORDER", "销售", "A" * 65, "FLOW;DROP"):
            with self.subTest(code=code), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    self.flow.flow_code = code
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.flow.write({"apply_on_pc": False, "apply_on_mobile": False})
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.flow.manage_rule = "custom"
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.flow.copy({"flow_code": "OTHER"})  # a second flow for departments
            self.env.flush_all()

    def test_registered_flow_keeps_its_code_and_online_needs_a_version(self):
        with self.assertRaises(UserError):
            self.flow._aiflow_online_payload()
        self.flow.sudo().write({"state": "registered", "flow_version": 3, "update_desc": "首发"})
        self.assertEqual(
            self.flow._aiflow_online_payload(),
            {"flowCode": "DEPT_CHANGE", "flowVersion": 3, "updateDesc": "首发"},
        )
        validate("flow_online_third_party", self.flow._aiflow_online_payload())
        with self.assertRaises(UserError):
            self.flow.flow_code = "DEPT_MOVE"
        self.flow.title = "部门调整"  # the rest stays editable

    def test_users_read_flows_and_only_admins_change_them(self):
        flow = self.flow.with_user(self.reviewer)
        self.assertEqual(flow.flow_code, "DEPT_CHANGE")
        with self.assertRaises(AccessError):
            flow.title = "hijacked"
        self.assertEqual(self.flow._aiflow_online_flow_for("hr.department"), self.flow.browse())
        self.flow.sudo().state = "online"
        self.assertEqual(self.flow._aiflow_online_flow_for("hr.department"), self.flow)

    # ------------------------------------------------------------ orders

    def _order(self, document=None):
        return self.env["aiflow.order"]._aiflow_start(
            self.flow, document or self.document, self.manager
        )

    def test_order_snapshot_in_the_configured_timezone(self):
        self.params.set_param("aiflow_connector.timezone", "America/New_York")
        self.flow.cc_user_ids = self.reviewer
        order = self._order()
        self.assertEqual(order.business_key, "DEPT_CHANGE-Research_Lab")
        self.assertGreater(order.id, 0)
        created = datetime(2025, 1, 24, 15, 0, 0)
        self.env.cr.execute(
            "UPDATE aiflow_order SET create_date = %s, update_time = %s WHERE id = %s",
            (created, created + timedelta(minutes=5), order.id),
        )
        order.invalidate_recordset()
        task = self.env["aiflow.order.task"].create(
            {
                "order_id": order.id,
                "source_key": "step,1",
                "name": "部门经理审批",
                "assignee_ids": [(6, 0, [self.manager.id, self.reviewer.id])],
                "deadline": created + timedelta(hours=24),
            }
        )
        self.assertEqual(task.task_key, f"{order.id}-1")
        body = order._aiflow_snapshot()
        validate("order_task_sync", body)
        self.assertEqual(body["orderId"], order.id)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("ing", "ing"))
        self.assertEqual(body["initiator"], self.manager_employee.aiflow_code)
        self.assertEqual(body["createTime"], "2025-01-24 10:00:00")
        self.assertEqual(body["updateTime"], "2025-01-24 10:05:00")
        self.assertEqual(
            body["ccUsers"], [{"userCode": "tc_reviewer", "ccTime": "2025-01-24 10:00:00"}]
        )
        self.assertEqual(
            body["tasks"],
            [
                {
                    "taskId": task.task_key,
                    "taskName": "部门经理审批",
                    "assigneeUserCode": [self.manager_employee.aiflow_code, "tc_reviewer"],
                    "taskStatus": "ing",
                    "taskResult": "new",
                    "deadLine": "2025-01-25 10:00:00",
                    "nodeType": "audit",
                    "showPc": True,
                    "showMobile": True,
                }
            ],
        )
        self.assertEqual(order._aiflow_people(), self.manager | self.reviewer)

    def test_finishing_an_order_closes_its_open_tasks(self):
        order = self._order()
        tasks = self.env["aiflow.order.task"].create(
            [
                {
                    "order_id": order.id,
                    "source_key": f"step,{n}",
                    "name": f"Step {n}",
                    "assignee_ids": [(6, 0, [self.reviewer.id])],
                    "deadline": datetime(2030, 1, 1),
                }
                for n in (1, 2)
            ]
        )
        self.assertEqual(tasks.mapped("task_key"), [f"{order.id}-1", f"{order.id}-2"])
        tasks[0].write({"status": "over", "result": "pass", "handle_time": datetime(2029, 1, 1)})
        order._aiflow_set_result("revoke")
        self.assertEqual((order.status, order.result), ("over", "revoke"))
        self.assertEqual(tasks.mapped("result"), ["pass", "revoke"])
        self.assertEqual(tasks.mapped("status"), ["over", "over"])
        self.assertEqual(tasks[0].handle_time, datetime(2029, 1, 1))
        self.assertTrue(tasks[1].handle_time)
        body = order._aiflow_snapshot()
        validate("order_task_sync", body)
        self.assertEqual(body["tasks"][1]["taskResult"], "revoke")

    def test_business_keys_stay_unique_and_readable(self):
        first = self._order()
        first._aiflow_set_result("reject")
        second = self._order()
        self.assertEqual(second.business_key, "DEPT_CHANGE-Research_Lab-2")
        twin = self.env["hr.department"].create({"name": "Research  Lab"})
        self.assertEqual(self._order(twin).business_key, "DEPT_CHANGE-Research_Lab-3")
        odd = self.env["hr.department"].create({"name": "100%_off"})
        self.assertEqual(self._order(odd).business_key, "DEPT_CHANGE-100%_off")
        self.assertEqual(self._order(odd).business_key, "DEPT_CHANGE-100%_off-2")

    def test_orders_and_logs_are_history(self):
        order = self._order()
        task = self.env["aiflow.order.task"].create(
            {
                "order_id": order.id,
                "name": "Step",
                "assignee_ids": [(6, 0, [self.reviewer.id])],
                "deadline": datetime(2030, 1, 1),
            }
        )
        log = self.env["aiflow.order.log"].create(
            {
                "order_id": order.id,
                "task_id": task.id,
                "handler_id": self.reviewer.id,
                "result": "APPROVED",
                "comment": "同意",
                "handle_time": datetime(2025, 1, 24, 2, 0, 0),
            }
        )
        body = log._aiflow_payload()
        validate("approval_log_sync", body)
        self.assertEqual(body["orderId"], order.id)
        self.assertEqual(body["businessKey"], order.business_key)
        self.assertEqual(
            body["logs"],
            [
                {
                    "taskId": task.task_key,
                    "taskName": "Step",
                    "handlerUserCode": "tc_reviewer",
                    "handleResult": "APPROVED",
                    "handleComment": "同意",
                    "handleTime": "2025-01-24 10:00:00",
                }
            ],
        )
        with self.assertRaises(UserError):
            log.comment = "changed my mind"
        with self.assertRaises(UserError):
            log.unlink()
        with self.assertRaises(UserError):
            order.unlink()
        # operators read orders; nobody edits them by hand
        with self.assertRaises(AccessError):
            order.with_user(self.reviewer).read(["business_key"])
        self.reviewer.groups_id += self.env.ref("aiflow_connector.group_aiflow_operator")
        self.assertEqual(order.with_user(self.reviewer).business_key, order.business_key)
        with self.assertRaises(AccessError):
            order.with_user(self.reviewer).write({"result": "pass"})
