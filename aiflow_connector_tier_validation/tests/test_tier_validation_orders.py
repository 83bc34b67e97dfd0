# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The spec's sales example with configuration only: flow SALES_ORDER for
sale.order, two tiers (a named user, then a group, approved in sequence),
and the aiflow order each approval round becomes."""

from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.aiflow_connector.protocol.schema import validate
from odoo.addons.aiflow_connector.protocol.wire_time import to_wire

from .common import ZONE, TierValidationSteps


@tagged("post_install", "-at_install")
class TestTierValidationOrders(TierValidationSteps, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["ir.config_parameter"].sudo().set_param("aiflow_connector.timezone", ZONE)
        sales = "base.group_user,sales_team.group_sale_salesman_all_leads"
        cls.requester = new_test_user(env, login="so_requester", name="Requester", groups=sales)
        cls.first = new_test_user(env, login="so_first", name="First Reviewer", groups=sales)
        cls.second = new_test_user(env, login="so_second", name="Second Reviewer", groups=sales)
        cls.observer = new_test_user(env, login="so_cc", name="Observer", groups=sales)
        company = cls.requester.company_id.id
        cls.requester_employee = env["hr.employee"].create(
            {"name": "Requester", "user_id": cls.requester.id, "company_id": company}
        )
        cls.first_employee = env["hr.employee"].create(
            {"name": "First Reviewer", "user_id": cls.first.id, "company_id": company}
        )
        # the second reviewer has no employee: aiflow knows them by login
        cls.directors = env["res.groups"].create(
            {"name": "Sales directors", "users": [(6, 0, cls.second.ids)]}
        )
        sale_model = env["ir.model"]._get_id("sale.order")
        cls.flow = env["aiflow.flow"].create(
            {
                "flow_code": "SALES_ORDER",
                "title": "销售订单审批流程",
                "model_id": sale_model,
                "group_id": "GROUP001",
                "manager_user_id": cls.first.id,
                "operation_user_id": cls.first.id,
                "config_user_id": cls.first.id,
                "cc_user_ids": [(6, 0, cls.observer.ids)],
            }
        )
        cls.flow.sudo().write({"state": "online", "flow_version": 1})
        cls.tier_first = env["tier.definition"].create(
            {
                "name": "Sales manager approval",
                "model_id": sale_model,
                "review_type": "individual",
                "reviewer_id": cls.first.id,
                "sequence": 30,
                "approve_sequence": True,
                "has_comment": True,
                "aiflow_deadline_hours": 8,
                "aiflow_show_mobile": False,
            }
        )
        cls.tier_second = env["tier.definition"].create(
            {
                "name": "Director approval",
                "model_id": sale_model,
                "review_type": "group",
                "reviewer_group_id": cls.directors.id,
                "sequence": 20,
                "approve_sequence": True,
                "has_comment": True,
                "aiflow_node_type": "handle",
            }
        )
        cls.partner = env["res.partner"].create({"name": "Customer Co"})
        cls.product = env["product.product"].create({"name": "Widget", "list_price": 100})

    def setUp(self):
        super().setUp()
        self.sale = (
            self.env["sale.order"]
            .with_user(self.requester)
            .create(
                {
                    "partner_id": self.partner.id,
                    "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})],
                }
            )
        )

    # ------------------------------------------------------------ helpers

    def request(self):
        self.sale.with_user(self.requester).request_validation()
        self.settle()
        return self.orders()[:1]

    def orders(self):
        return self.env["aiflow.order"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", self.sale.id)], order="id desc"
        )

    def snapshot(self, order):
        body = order._aiflow_snapshot()
        validate("order_task_sync", body)
        return body

    def code(self, employee):
        self.assertTrue(employee.aiflow_code)
        return employee.aiflow_code

    # ------------------------------------------------------------ tests

    def test_requested_validation_opens_an_order_with_the_first_tier_only(self):
        order = self.request()
        self.assertTrue(order)
        self.assertEqual(order.flow_id, self.flow)
        self.assertEqual(order.business_key, f"SALES_ORDER-{self.sale.name}")
        self.assertEqual(order.initiator_id, self.requester)
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("ing", "ing"))
        self.assertEqual(body["orderId"], order.id)
        self.assertEqual(body["initiator"], self.code(self.requester_employee))
        self.assertEqual(body["ccUsers"][0]["userCode"], "so_cc")
        (task,) = body["tasks"]
        self.assertEqual(task["taskName"], "Sales manager approval")
        self.assertEqual(task["assigneeUserCode"], [self.code(self.first_employee)])
        self.assertEqual((task["taskStatus"], task["taskResult"]), ("ing", "new"))
        self.assertEqual(
            (task["nodeType"], task["showPc"], task["showMobile"]), ("audit", True, False)
        )
        record = order.task_ids
        self.assertEqual(task["deadLine"], to_wire(record.deadline, ZONE))
        self.assertEqual((record.deadline - order.create_date).total_seconds() // 3600, 8)
        self.assertNotIn("handleTime", task)

    def test_approved_by_both_reviewers_the_order_passes(self):
        order = self.request()
        first_task_id = order.task_ids.task_key
        self.decide(self.sale, self.first, "validate", "价格合理，同意")
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("ing", "ing"))
        done, todo = body["tasks"]
        self.assertEqual(done["taskId"], first_task_id)
        self.assertEqual((done["taskStatus"], done["taskResult"]), ("over", "pass"))
        self.assertIn("handleTime", done)
        # the second tier reaches its reviewers only now, by login (no employee)
        self.assertEqual(todo["assigneeUserCode"], ["so_second"])
        self.assertEqual((todo["taskStatus"], todo["taskResult"]), ("ing", "new"))
        self.assertEqual((todo["nodeType"], todo["showMobile"]), ("handle", True))

        self.decide(self.sale, self.second, "validate", "OK for the director")
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "pass"))
        self.assertEqual(
            [(t["taskId"], t["taskStatus"], t["taskResult"]) for t in body["tasks"]],
            [(first_task_id, "over", "pass"), (order.task_ids[1].task_key, "over", "pass")],
        )
        reviews = self.sale.review_ids.sorted(lambda review: (review.reviewed_date, review.id))
        self.assertEqual(
            [t["handleTime"] for t in body["tasks"]],
            [to_wire(review.reviewed_date, ZONE) for review in reviews],
        )
        self.assertEqual(order.task_ids.mapped("handler_id"), self.first | self.second)
        logs = order.log_ids
        self.assertEqual(
            [(log.handler_id, log.result, log.comment) for log in logs],
            [
                (self.first, "APPROVED", "价格合理，同意"),
                (self.second, "APPROVED", "OK for the director"),
            ],
        )
        payloads = [log._aiflow_payload() for log in logs]
        for payload in payloads:
            validate("approval_log_sync", payload)
        self.assertEqual(
            [p["logs"][0]["handlerUserCode"] for p in payloads],
            [self.code(self.first_employee), "so_second"],
        )
        self.assertEqual(payloads[0]["logs"][0]["taskId"], first_task_id)
        self.assertEqual(payloads[1]["logs"][0]["handleComment"], "OK for the director")
        # validated: the quotation confirms, and the order stays as it was
        self.sale.with_user(self.requester).action_confirm()
        self.assertEqual(self.sale.state, "sale")
        self.assertEqual(self.snapshot(order), body)

    def test_a_rejection_ends_the_order_and_the_next_tier_is_never_sent(self):
        order = self.request()
        self.decide(self.sale, self.first, "reject", "折扣太大")
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "reject"))
        (task,) = body["tasks"]
        self.assertEqual((task["taskStatus"], task["taskResult"]), ("over", "reject"))
        self.assertIn("handleTime", task)
        self.assertEqual(
            [(log.handler_id, log.result, log.comment) for log in order.log_ids],
            [(self.first, "REJECTED", "折扣太大")],
        )

    def test_restart_withdraws_the_round_and_a_new_request_opens_another(self):
        order = self.request()
        self.decide(self.sale, self.first, "validate", "fine")
        self.sale.with_user(self.requester).restart_validation()
        self.settle()
        self.assertFalse(self.sale.review_ids)
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "revoke"))
        self.assertEqual(
            [(t["taskStatus"], t["taskResult"]) for t in body["tasks"]],
            [("over", "pass"), ("over", "revoke")],
        )
        self.assertTrue(all("handleTime" in t for t in body["tasks"]))
        self.assertEqual(len(order.log_ids), 1)

        second_round = self.request()
        self.assertNotEqual(second_round, order)
        self.assertEqual(second_round.business_key, f"SALES_ORDER-{self.sale.name}-2")
        body = self.snapshot(second_round)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("ing", "ing"))
        self.assertEqual(len(body["tasks"]), 1)
        self.assertNotIn(body["tasks"][0]["taskId"], order.task_ids.mapped("task_key"))

    def test_restart_after_a_rejection_keeps_the_rejection(self):
        order = self.request()
        self.decide(self.sale, self.first, "reject", "no")
        self.sale.with_user(self.requester).restart_validation()
        self.settle()
        self.assertEqual((order.status, order.result), ("over", "reject"))

    def test_deleting_the_document_under_validation_ends_its_order_as_deleted(self):
        order = self.request()
        self.sale.with_env(self.env).unlink()  # as an administrator
        self.settle()
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "delete"))
        self.assertEqual(
            [(t["taskStatus"], t["taskResult"]) for t in body["tasks"]], [("over", "revoke")]
        )

    def test_cancelling_the_quotation_withdraws_the_round(self):
        order = self.request()
        self.sale.with_user(self.requester).with_context(
            disable_cancel_warning=True
        ).action_cancel()
        self.settle()
        self.assertEqual((order.status, order.result), ("over", "revoke"))

    def test_no_order_without_an_online_flow(self):
        self.flow.sudo().state = "registered"
        self.assertFalse(self.request())
        self.assertTrue(self.sale.review_ids)
        self.decide(self.sale, self.first, "validate", "fine")
        self.assertFalse(self.orders())

    def test_the_document_shows_its_aiflow_order_to_operators(self):
        order = self.request()
        self.assertEqual(self.sale.aiflow_order_count, 1)
        self.assertEqual(self.sale.aiflow_order_result, "ing")
        action = self.sale.action_aiflow_orders()
        self.assertEqual(self.env["aiflow.order"].search(action["domain"]), order)
        operator_view = self.form_arch(self.env["sale.order"])
        self.assertIn('name="action_aiflow_orders"', operator_view)
        self.assertIn('name="aiflow_order_result"', operator_view)
        seller_view = self.form_arch(self.env["sale.order"].with_user(self.requester))
        self.assertNotIn('name="action_aiflow_orders"', seller_view)

    def form_arch(self, model):
        arch = model.get_view(view_type="form")["arch"]
        return arch.decode() if isinstance(arch, bytes) else arch

    def test_parallel_tiers_a_rejection_withdraws_the_other_to_do(self):
        (self.tier_first | self.tier_second).write({"approve_sequence": False})
        order = self.request()
        body = self.snapshot(order)
        self.assertEqual(
            [(t["assigneeUserCode"], t["taskStatus"]) for t in body["tasks"]],
            [([self.code(self.first_employee)], "ing"), (["so_second"], "ing")],
        )
        self.decide(self.sale, self.first, "reject", "no")
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "reject"))
        self.assertEqual([t["taskResult"] for t in body["tasks"]], ["reject", "revoke"])
        # a late decision on the withdrawn to-do is still recorded
        self.sale.with_user(self.second)._validate_tier()
        self.settle()
        body = self.snapshot(order)
        self.assertEqual((body["orderStatus"], body["orderResult"]), ("over", "reject"))
        self.assertEqual([t["taskResult"] for t in body["tasks"]], ["reject", "pass"])
        self.assertEqual(order.log_ids.mapped("result"), ["REJECTED", "APPROVED"])
