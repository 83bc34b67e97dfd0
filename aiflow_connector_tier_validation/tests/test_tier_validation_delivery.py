# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The sales example end to end against the aiflow sandbox over HTTP: the
flow registered and put online, each approval round delivered as order
snapshots and approval logs, through aiflow being down."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.aiflow_connector.protocol.schema import validate
from odoo.addons.aiflow_connector.protocol.wire_time import to_wire
from odoo.addons.aiflow_connector.tests.common import OrgSyncCase

from .common import ZONE, TierValidationSteps

FLOW_PATH = "/aflow/api/flow/create_third_party"
ONLINE_PATH = "/aflow/api/flow/online_third_party"
ORDER_PATH = "/aflow/api/order/sync/task"
LOG_PATH = "/aflow/api/order/approval/log"


@tagged("post_install", "-at_install")
class TestTierValidationDelivery(TierValidationSteps, OrgSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.requester = new_test_user(env, login="dl_requester", name="Requester", groups=sales)
        cls.first = new_test_user(env, login="dl_first", name="First Reviewer", groups=sales)
        cls.second = new_test_user(env, login="dl_second", name="Second Reviewer", groups=sales)
        cls.third = new_test_user(env, login="dl_third", name="Third Reviewer", groups=sales)
        company = cls.requester.company_id.id
        cls.dept = env["hr.department"].create({"name": "Sales", "company_id": company})
        cls.requester_employee, cls.first_employee = env["hr.employee"].create(
            [
                {
                    "name": name,
                    "user_id": user.id,
                    "company_id": company,
                    "department_id": cls.dept.id,
                }
                for name, user in (("Requester", cls.requester), ("First", cls.first))
            ]
        )
        # the second reviewer has no employee: aiflow knows them by login
        cls.directors = env["res.groups"].create(
            {"name": "Sales directors (delivery)", "users": [(6, 0, cls.second.ids)]}
        )
        cls.sale_model = env["ir.model"]._get_id("sale.order")
        cls.flow = env["aiflow.flow"].create(
            {
                "flow_code": "SALES_ORDER",
                "title": "销售订单审批流程",
                "model_id": cls.sale_model,
                "group_id": "GROUP001",
                "manager_user_id": cls.first.id,
                "operation_user_id": cls.first.id,
                "config_user_id": cls.first.id,
                "creator_user_id": cls.requester.id,
                "update_desc": "首次上线",
            }
        )
        cls.tier_first, cls.tier_second = env["tier.definition"].create(
            [
                {
                    "name": "Sales manager approval",
                    "model_id": cls.sale_model,
                    "review_type": "individual",
                    "reviewer_id": cls.first.id,
                    "sequence": 30,
                    "approve_sequence": True,
                    "has_comment": True,
                },
                {
                    "name": "Director approval",
                    "model_id": cls.sale_model,
                    "review_type": "group",
                    "reviewer_group_id": cls.directors.id,
                    "sequence": 20,
                    "approve_sequence": True,
                    "has_comment": True,
                },
            ]
        )
        cls.partner = env["res.partner"].create({"name": "Customer Co"})
        cls.product = env["product.product"].create({"name": "Widget", "list_price": 100})

    def setUp(self):
        super().setUp()
        self._configure(timezone=ZONE)

    # ------------------------------------------------------------ helpers

    def go_online(self):
        admin_flow = self.flow.with_user(self.admin)
        admin_flow.action_aiflow_register()
        self.deliver()
        admin_flow.action_aiflow_go_online()
        self.deliver()

    def new_sale(self):
        return (
            self.env["sale.order"]
            .with_user(self.requester)
            .create(
                {
                    "partner_id": self.partner.id,
                    "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
                }
            )
        )

    def request(self, sale):
        sale.with_user(self.requester).request_validation()
        self.settle()
        return self.env["aiflow.order"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", sale.id)], order="id desc", limit=1
        )

    def synced(self, order):
        """Bodies of the order snapshots aiflow accepted, in arrival order."""
        bodies = [c["body"] for c in self.calls(ORDER_PATH) if c["body"]["orderId"] == order.id]
        for body in bodies:
            validate("order_task_sync", body)
        return bodies

    def assertDelivered(self, order):
        """aiflow's copy of the order equals the order in Odoo now."""
        self.assertEqual(
            self.sandbox.state["orders"][str(order.id)]["tasks"], order._aiflow_snapshot()["tasks"]
        )
        stored = dict(self.sandbox.state["orders"][str(order.id)])
        for extra in ("syncCount", "receivedAt"):
            stored.pop(extra)
        self.assertEqual(stored, order._aiflow_snapshot())

    # ------------------------------------------------------------ tests

    def test_sales_example_registered_online_approved_and_delivered(self):
        # only an administrator sends a flow to aiflow
        with self.assertRaises(AccessError):
            self.flow.with_user(self.requester).action_aiflow_register()
        self.go_online()
        self.assertEqual((self.flow.state, self.flow.flow_version), ("online", 1))
        self.assertIn("1", self.flow.last_outcome)
        self.assertEqual(self.flow.aiflow_sync_state, "done")
        stored = self.sandbox.state["flows"]["SALES_ORDER"]
        self.assertEqual(stored["onlineVersion"], 1)
        self.assertEqual(stored["versions"]["1"]["updateDesc"], "首次上线")
        # the people the flow names reached aiflow before it
        calls = [c["path"] for c in self.calls()]
        self.assertLess(calls.index("/aflow/api/sys/sync/user"), calls.index(FLOW_PATH))
        self.assertLess(calls.index(FLOW_PATH), calls.index(ONLINE_PATH))

        sale = self.new_sale()
        order = self.request(sale)
        self.assertEqual(order.aiflow_sync_state, "pending")
        self.deliver()
        self.assertEqual(order.aiflow_sync_state, "done")
        self.assertEqual(sale.aiflow_order_sync_state, "done")
        (first,) = self.synced(order)
        self.assertEqual((first["orderStatus"], first["orderResult"]), ("ing", "ing"))
        (task,) = first["tasks"]  # nothing for the second tier yet
        self.assertEqual((task["taskStatus"], task["taskResult"]), ("ing", "new"))
        self.assertEqual(task["assigneeUserCode"], [self.first_employee.aiflow_code])
        self.assertEqual(first["initiator"], self.requester_employee.aiflow_code)
        self.assertEqual(first["createTime"], to_wire(order.create_date, ZONE))

        self.decide(sale, self.first, "validate", "价格合理，同意")
        self.deliver()
        self.decide(sale, self.second, "validate", "OK for the director")
        self.deliver()
        sale.with_user(self.requester).action_confirm()
        self.deliver()
        self.assertEqual(sale.state, "sale")
        bodies = self.synced(order)
        self.assertEqual(len(bodies), 3)
        middle, last = bodies[1], bodies[2]
        self.assertEqual(middle["tasks"][1]["assigneeUserCode"], ["dl_second"])  # by login
        self.assertEqual((last["orderStatus"], last["orderResult"]), ("over", "pass"))
        self.assertEqual(
            [(t["taskStatus"], t["taskResult"]) for t in last["tasks"]],
            [("over", "pass"), ("over", "pass")],
        )
        reviews = sale.review_ids.sorted(lambda review: (review.reviewed_date, review.id))
        self.assertEqual(
            [t["handleTime"] for t in last["tasks"]],
            [to_wire(review.reviewed_date, ZONE) for review in reviews],
        )
        self.assertDelivered(order)
        logs = self.sandbox.state["approval_logs"][str(order.id)]["logs"]
        self.assertEqual(
            [(log["handlerUserCode"], log["handleResult"], log["handleComment"]) for log in logs],
            [
                (self.first_employee.aiflow_code, "APPROVED", "价格合理，同意"),
                ("dl_second", "APPROVED", "OK for the director"),
            ],
        )
        for call in self.calls(LOG_PATH):
            validate("approval_log_sync", call["body"])
        # each log went after the snapshot holding its task
        paths = [(c["path"], c["body"].get("orderId")) for c in self.calls()]
        first_log = paths.index((LOG_PATH, order.id))
        self.assertEqual(paths[first_log - 1], (ORDER_PATH, order.id))

    def test_refused_registration_shows_on_the_flow(self):
        self.deliver()  # the organization first
        self._configure(sync_max_attempts="1")
        self.sandbox.fail_next(1, mode="status-1024")
        self.flow.with_user(self.admin).action_aiflow_register()
        self.deliver()
        self.assertEqual(self.flow.state, "draft")
        self.assertEqual(self.flow.aiflow_sync_state, "dead")
        self.assertTrue(self.flow.aiflow_last_error)
        with self.assertRaises(UserError):
            self.flow.with_user(self.admin).action_aiflow_go_online()

    def test_reject_and_restart_end_in_the_same_state_on_both_sides(self):
        self.go_online()
        rejected, restarted = self.new_sale(), self.new_sale()
        orders = [self.request(rejected), self.request(restarted)]
        self.deliver()
        self.decide(rejected, self.first, "reject", "折扣太大")
        self.decide(restarted, self.first, "validate", "fine")
        restarted.with_user(self.requester).restart_validation()
        self.settle()
        self.deliver()
        expected = [
            ("reject", [("over", "reject")]),
            ("revoke", [("over", "pass"), ("over", "revoke")]),
        ]
        for order, (result, tasks) in zip(orders, expected, strict=True):
            self.assertEqual((order.status, order.result), ("over", result))
            body = self.synced(order)[-1]
            self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", result))
            self.assertEqual([(t["taskStatus"], t["taskResult"]) for t in body["tasks"]], tasks)
            self.assertDelivered(order)
        logs = self.sandbox.state["approval_logs"]
        self.assertEqual(logs[str(orders[0].id)]["logs"][0]["handleResult"], "REJECTED")
        self.assertEqual(logs[str(orders[1].id)]["logs"][0]["handleResult"], "APPROVED")
        # a new request opens a new order, delivered under its own key
        again = self.request(restarted)
        self.assertNotEqual(again, orders[1])
        self.deliver()
        self.assertEqual(self.synced(again)[0]["orderResult"], "ing")

    def test_deleting_a_document_under_validation_ends_its_order_as_deleted(self):
        self.go_online()
        sale = self.new_sale()
        order = self.request(sale)
        self.deliver()
        self.env["sale.order"].browse(sale.id).unlink()
        self.settle()
        self.deliver()
        body = self.synced(order)[-1]
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "delete"))
        self.assertEqual([t["taskResult"] for t in body["tasks"]], ["revoke"])

    def test_a_reviewer_never_synced_is_synced_before_the_order(self):
        self.go_online()
        newcomer = new_test_user(self.env, login="dl_newcomer", groups="base.group_user")
        team = self.env["hr.department"].create({"name": "Newcomers", "parent_id": self.dept.id})
        employee = self.env["hr.employee"].create(
            {"name": "Newcomer", "user_id": newcomer.id, "department_id": team.id}
        )
        self.commit_point()
        # aiflow never got them nor their team (their rows were cleaned away)
        (self.rows(employee) | self.rows(team)).unlink()
        self.tier_first.reviewer_id = newcomer
        order = self.request(self.new_sale())
        self.commit_point()
        self.assertTrue(self.rows(employee))  # queued again with the order
        self.assertTrue(self.rows(team))  # and their team, which aiflow needs first
        self.deliver()
        self.assertEqual(self.aiflow_user(employee)["deptId"], team.aiflow_code)
        self.assertTrue(self.aiflow_dept(team))
        paths = [(c["path"], c["body"]) for c in self.calls()]
        user_at = next(
            i
            for i, (path, body) in enumerate(paths)
            if path == "/aflow/api/sys/sync/user"
            and employee.aiflow_code in [u["userId"] for u in body["users"]]
        )
        order_at = next(i for i, (path, body) in enumerate(paths) if path == ORDER_PATH)
        self.assertLess(user_at, order_at)
        self.assertEqual(
            self.synced(order)[0]["tasks"][0]["assigneeUserCode"], [employee.aiflow_code]
        )

    def test_aiflow_down_while_thirty_approvals_happen_nothing_is_lost(self):
        self.go_online()
        self.env["tier.definition"].create(
            {
                "name": "Finance approval",
                "model_id": self.sale_model,
                "review_type": "individual",
                "reviewer_id": self.third.id,
                "sequence": 10,
                "approve_sequence": True,
                "has_comment": True,
            }
        )
        sales = [self.new_sale() for _i in range(10)]
        orders = [self.request(sale) for sale in sales]
        self.sandbox.go_down()
        try:
            for step, user in enumerate((self.first, self.second, self.third)):
                for number, sale in enumerate(sales):
                    self.decide(sale, user, "validate", f"step {step} doc {number}")
                self.deliver()  # refused connections: rows retry later
        finally:
            self.sandbox.come_back()
        self.assertFalse(self.sandbox.state["orders"])
        for _round in range(10):
            self.Outbox.search([("state", "in", ("retrying", "dead"))]).action_retry_now()
            self.deliver()
            if not self.Outbox.search([("state", "!=", "done"), ("state", "!=", "cancelled")]):
                break
        self.assertFalse(self.Outbox.search([("state", "not in", ("done", "cancelled"))]))
        for number, order in enumerate(orders):
            self.assertEqual((order.status, order.result), ("over", "pass"))
            self.assertDelivered(order)
            # the newest snapshot replaced the unsent older ones
            self.assertEqual(len(self.synced(order)), 1)
            logs = self.sandbox.state["approval_logs"][str(order.id)]["logs"]
            self.assertEqual(
                [log["handleComment"] for log in logs],
                [f"step {step} doc {number}" for step in range(3)],
            )
