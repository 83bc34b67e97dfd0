# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Workflow events and approval logs pushed by the sandbox to Odoo's real
HTTP server: stored, applied once, and visible in the console."""

from datetime import datetime

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


def start_event(key="PARTNER-001", order_id=9_000_000_001, **changes):
    event = {
        "orderId": order_id,
        "businessKey": key,
        "taskId": "T-START",
        "taskName": "发起",
        "action": "START",
        "formData": {
            "name": "深圳供应商",
            "ref": "SUP-42",
            "type": "invoice",
            "partner_latitude": 22.5,
            "color": 3,
            "is_company": True,
        },
        "handlerUserCode": "eng_login_only",
        "handleTime": "2025-01-24 15:30:00",
    }
    event.update(changes)
    return event


def end_event(action, key="PARTNER-001", order_id=9_000_000_001, **changes):
    event = {
        "orderId": order_id,
        "businessKey": key,
        "taskId": "T-MGR",
        "taskName": "部门经理审批",
        "action": action,
        "handleTime": "2025-01-25 09:00:00",
    }
    event.update(changes)
    return event


@tagged("post_install", "-at_install")
class TestWorkflowEvents(WebhookCase):
    def start(self, key="PARTNER-001", order_id=9_000_000_001, **changes):
        result = self.push(start_event(key, order_id, **changes))
        body = self.assertEnvelope(result, 200, 0, "success")
        self.assertTrue(body["data"]["success"])
        return self.order_of(key)

    def test_start_creates_document_and_engine_order(self):
        order = self.start(
            formData={**start_event()["formData"], "parent_id": str(self.company_partner.id)}
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.flow_id, self.flow)
        self.assertEqual(order.aiflow_order_ref, "9000000001")  # a Long, beyond 32 bits
        self.assertEqual((order.status, order.result), ("ing", "ing"))
        partner = order._aiflow_document()
        self.assertEqual(partner._name, "res.partner")
        self.assertEqual(partner.name, "深圳供应商")
        self.assertEqual(partner.ref, "SUP-42")
        self.assertEqual(partner.type, "invoice")
        self.assertEqual(partner.parent_id, self.company_partner)
        self.assertEqual(partner.partner_latitude, 22.5)
        self.assertEqual(partner.color, 3)
        self.assertTrue(partner.is_company)
        # the handler is resolved by login (no employee) and is the initiator
        self.assertEqual(order.initiator_id, self.login_user)
        event = order.inbound_event_ids
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "applied")
        self.assertEqual(event.handler_id, self.login_user)
        self.assertEqual((event.res_model, event.res_id), ("res.partner", partner.id))
        # 15:30 in Shanghai is 07:30 UTC
        self.assertEqual(event.handle_time, datetime(2025, 1, 24, 7, 30))
        self.assertEqual(event.task_key, "T-START")
        # aiflow owns an engine order: nothing is queued back to it
        self.env.flush_all()
        rows = self.env["aiflow.outbox"].search(
            [("res_model", "=", "aiflow.order"), ("res_id", "=", order.id)]
        )
        self.assertFalse(rows)

    def test_start_links_order_already_holding_business_key(self):
        order = self.start()
        again = start_event(handleTime="2025-01-24 16:00:00", taskId="T-START-2")
        self.assertEnvelope(self.push(again), 200, 0, "success")
        self.assertEqual(self.order_of("PARTNER-001"), order)
        self.assertEqual(self.env["res.partner"].search_count([("ref", "=", "SUP-42")]), 1)
        self.assertEqual(len(order.inbound_event_ids), 2)

    def test_start_links_order_opened_from_odoo(self):
        partner = self.env["res.partner"].create({"name": "Opened in Odoo"})
        order = self.env["aiflow.order"].create(
            {
                "flow_id": self.flow.id,
                "business_key": "odoo-side-key-1",
                "res_model": "res.partner",
                "res_id": partner.id,
                "initiator_id": self.approver.id,
            }
        )
        refused = start_event(key="odoo-side-key-1", processVariables={"flowCode": "LEAVE"})
        self.assertEnvelope(self.push(refused), 200, -1024, "businessKey odoo-side-key-1")
        self.assertFalse(order.aiflow_order_ref)
        self.assertEnvelope(self.push(start_event(key="odoo-side-key-1", order_id=77)), 200, 0)
        self.assertEqual(order.aiflow_order_ref, "77")
        self.assertEqual(
            order.inbound_event_ids.filtered(lambda e: e.state == "applied").res_id, partner.id
        )
        self.assertEqual(self.env["res.partner"].search_count([("ref", "=", "SUP-42")]), 0)

    def test_flow_found_by_process_variable(self):
        result = self.push(start_event(key="contract 7", processVariables={"flowCode": "PARTNER"}))
        self.assertEnvelope(result, 200, 0)
        self.assertEqual(self.order_of("contract 7").flow_id, self.flow)

    def test_start_without_flow_is_stored_failed(self):
        body = self.assertEnvelope(self.push(start_event(key="NOFLOW-1")), 200, -1024)
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(event.state, "failed")
        self.assertIn("NOFLOW-1", event.error)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "SUP-42")]))

    def test_complete_approves_and_runs_effect(self):
        order = self.start()
        partner = order._aiflow_document()
        result = self.push(
            end_event("COMPLETE", handlerUserCode=self.approver_employee.aiflow_code)
        )
        self.assertEnvelope(result, 200, 0, "success")
        self.assertEqual((order.status, order.result), ("over", "pass"))
        self.assertEqual(partner.function, "Approved")
        complete = order.inbound_event_ids.filtered(lambda e: e.action == "COMPLETE")
        self.assertEqual(complete.handler_id, self.approver)  # by the employee's code
        self.assertEqual(complete.task_name, "部门经理审批")

    def test_reject_and_cancel_on_other_documents(self):
        rejected = self.start("PARTNER-R", 11)
        cancelled = self.start("PARTNER-C", 12)
        self.assertEnvelope(self.push(end_event("REJECT", "PARTNER-R", 11)), 200, 0)
        self.assertEnvelope(self.push(end_event("CANCEL", "PARTNER-C", 12)), 200, 0)
        self.assertEqual((rejected.status, rejected.result), ("over", "reject"))
        self.assertEqual(rejected._aiflow_document().function, "Rejected")
        self.assertEqual((cancelled.status, cancelled.result), ("over", "revoke"))
        self.assertEqual(cancelled._aiflow_document().function, "Cancelled")

    def test_end_of_ended_order_is_refused(self):
        order = self.start()
        self.assertEnvelope(self.push(end_event("COMPLETE")), 200, 0)
        body = self.assertEnvelope(self.push(end_event("REJECT")), 200, -1024)
        self.assertIn("PARTNER-001", body["msg"])
        self.assertEqual(order.result, "pass")
        self.assertEqual(order._aiflow_document().function, "Approved")

    def test_wrong_order_id_is_refused(self):
        self.start()
        body = self.assertEnvelope(self.push(end_event("COMPLETE", order_id=777)), 200, -1024)
        self.assertIn("777", body["msg"])
        self.assertEqual(self.order_of("PARTNER-001").status, "ing")

    def test_same_event_twice_is_applied_once(self):
        order = self.start()
        event = end_event("COMPLETE")
        first = self.assertEnvelope(self.push(event), 200, 0)
        second = self.assertEnvelope(self.push(event), 200, 0)
        self.assertNotIn("duplicate", first["data"])
        self.assertTrue(second["data"]["duplicate"])
        self.assertEqual(second["data"]["eventId"], first["data"]["eventId"])
        stored = self.events(business_key="PARTNER-001", action="COMPLETE")
        self.assertEqual(stored.mapped("state"), ["applied", "duplicate"])
        self.assertEqual(stored[1].duplicate_of_id, stored[0])
        self.assertEqual(stored[0].attempts, 1)
        self.assertEqual(order.result, "pass")

    def test_effect_failing_is_stored_and_rerun(self):
        order = self.start()
        action = self.flow.effect_pass_action_id
        code = action.code
        action.code = "raise UserError('ERP closed for inventory')"
        body = self.assertEnvelope(self.push(end_event("COMPLETE")), 200, -1024)
        self.assertIn("ERP closed for inventory", body["msg"])
        self.assertEqual(order.status, "ing")  # nothing half-done
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(event.state, "failed")
        # on the order's timeline even though it failed
        self.assertEqual(event.order_id, order)
        self.assertEqual(event.handle_time, datetime(2025, 1, 25, 1, 0))
        self.assertEqual(event.answer_status, -1024)
        # aiflow retries (-1024): the delivery applies the failed event again
        again = self.assertEnvelope(self.push(end_event("COMPLETE")), 200, -1024)
        self.assertEqual(again["data"]["eventId"], event.id)
        self.assertEqual(event.attempts, 2)
        retry = self.events(business_key="PARTNER-001", action="COMPLETE")[-1]
        self.assertEqual((retry.state, retry.answer_status), ("duplicate", -1024))
        action.code = code
        event.with_user(self.admin).action_aiflow_rerun()
        self.assertEqual(event.state, "applied")
        self.assertEqual(event.attempts, 3)
        self.assertEqual(order.result, "pass")
        self.assertEqual(order._aiflow_document().function, "Approved")

    def test_document_deleted(self):
        order = self.start()
        order._aiflow_document().unlink()
        body = self.assertEnvelope(self.push(end_event("COMPLETE")), 200, -1024)
        self.assertIn("no longer exists", body["msg"])


@tagged("post_install", "-at_install")
class TestUnknownKeyAndRerun(WebhookCase):
    def test_unknown_business_key_stored_then_rerun(self):
        body = self.assertEnvelope(
            self.push(end_event("COMPLETE", key="PARTNER-LATE", order_id=55)), 200, -1024
        )
        self.assertIn("PARTNER-LATE", body["msg"])
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(
            (event.state, event.kind, event.action), ("failed", "workflow", "COMPLETE")
        )
        self.assertIn('"PARTNER-LATE"', event.raw_body)
        self.assertIn('"businessKey": "PARTNER-LATE"', event.body_pretty)
        # the cause is fixed: the process is started, then the admin re-runs
        self.assertEnvelope(self.push(start_event(key="PARTNER-LATE", order_id=55)), 200, 0)
        event.with_user(self.admin).action_aiflow_rerun()
        self.assertEqual(event.state, "applied")
        order = self.order_of("PARTNER-LATE")
        self.assertEqual(order.result, "pass")
        self.assertEqual(event.order_id, order)
        action = event.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", order.res_id))

    def test_applied_in_admin_language_and_superuser_company(self):
        # the answer and the kept error are for the admin: in their language,
        # read again once they change it
        body = self.assertEnvelope(
            self.push(end_event("COMPLETE", key="PARTNER-EN", order_id=57)), 200, -1024
        )
        self.assertIn("No order has businessKey PARTNER-EN", body["msg"])
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)
        self.env.ref("base.user_admin").lang = "zh_CN"
        body = self.assertEnvelope(
            self.push(end_event("COMPLETE", key="PARTNER-ZH", order_id=56)), 200, -1024
        )
        self.assertIn("没有单据的业务单据号为 PARTNER-ZH", body["msg"])
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(event.error, body["msg"])
        # as the superuser, in the company env.company would give it (named
        # in the context); a console re-run keeps the companies chosen there
        other = self.env["res.company"].create({"name": "aiflow second company"})
        self.env.ref("base.user_root").write(
            {"company_ids": [Command.link(other.id)], "company_id": other.id}
        )
        Event = self.env["aiflow.inbound.event"]
        env = Event.env(context={})[Event._name]._aiflow_apply_env()
        self.assertEqual(
            (env.uid, env.su, env.company, env.lang), (SUPERUSER_ID, True, other, "zh_CN")
        )
        main = self.env.ref("base.main_company")
        env = Event.with_context(allowed_company_ids=[main.id])._aiflow_apply_env()
        self.assertEqual(env.company, main)

    def test_rerun_refuses_applied_duplicate_and_non_admin(self):
        self.push(start_event())
        self.push(start_event())
        applied, duplicate = self.events(business_key="PARTNER-001")
        for event in (applied, duplicate):
            with self.assertRaises(UserError):
                event.with_user(self.admin).action_aiflow_rerun()
        failed_body = self.push(end_event("COMPLETE", key="PARTNER-NONE"))["response"]
        failed = self.env["aiflow.inbound.event"].browse(failed_body["data"]["eventId"])
        operator = self.env["res.users"].create(
            {
                "name": "Operator",
                "login": "eng_operator",
                "groups_id": [(6, 0, [self.env.ref("aiflow_connector.group_aiflow_operator").id])],
            }
        )
        with self.assertRaises(AccessError):
            failed.with_user(operator).action_aiflow_rerun()
        self.assertEqual(failed.state, "failed")

    def test_console_views_load_for_operator(self):
        self.push(end_event("COMPLETE", key="PARTNER-NONE"))
        operator = new_test_user(
            self.env, login="eng_console", groups="aiflow_connector.group_aiflow_operator"
        )
        action = self.env.ref("aiflow_connector.aiflow_inbound_event_action")
        menu = self.env.ref("aiflow_connector.aiflow_inbound_event_menu")
        self.assertEqual(menu.action, action)
        Event = self.env["aiflow.inbound.event"].with_user(operator)
        views = Event.get_views([(False, "list"), (False, "form"), (False, "search")])
        # only administrators are offered Re-run
        self.assertNotIn("action_aiflow_rerun", views["views"]["form"]["arch"])
        admin_views = (
            self.env["aiflow.inbound.event"]
            .with_user(self.admin)
            .get_views([(False, "list"), (False, "form")])
        )
        self.assertIn("action_aiflow_rerun", admin_views["views"]["form"]["arch"])
        self.assertIn("action_aiflow_rerun", admin_views["views"]["list"]["arch"])
        event = Event.search([("business_key", "=", "PARTNER-NONE")])
        self.assertEqual(event.state, "failed")
        self.assertIn("PARTNER-NONE", event.body_pretty)
        with self.assertRaises(AccessError):
            event.action_aiflow_rerun()

    def test_settings_show_webhook_urls(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://erp.example.com")
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        self.assertEqual(
            settings.aiflow_url_workflow_receive,
            "https://erp.example.com/odoo/api/workflow/receive",
        )
        self.assertEqual(
            settings.aiflow_url_approval_log,
            "https://erp.example.com/odoo/api/workflow/approval/log",
        )
        arch = self.env.ref("aiflow_connector.res_config_settings_view_form").arch
        for name in ("aiflow_url_workflow_receive", "aiflow_url_approval_log"):
            self.assertRegex(arch, rf'name="{name}"\s+widget="CopyClipboardChar"')


@tagged("post_install", "-at_install")
class TestFormValues(WebhookCase):
    def assertRefused(self, form_data, field, key="PARTNER-BAD", flow_code=None):
        event = start_event(key=key, formData={"name": "Bad one", **form_data})
        if flow_code:
            event["processVariables"] = {"flowCode": flow_code}
        body = self.assertEnvelope(self.push(event), 200, -1024)
        self.assertIn(f"formData.{field}", body["msg"])
        self.assertFalse(self.order_of(key))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Bad one")]))
        return body["msg"]

    def test_text_in_number_field(self):
        self.assertRefused({"color": "three"}, "color")

    def test_float_in_integer_field(self):
        self.assertRefused({"color": 1.5}, "color")

    def test_unknown_selection_key(self):
        msg = self.assertRefused({"type": "warehouse"}, "type")
        self.assertIn("warehouse", msg)

    def test_unknown_many2one_id(self):
        self.assertRefused({"parent_id": 987654321}, "parent_id")

    def test_many2one_not_an_id(self):
        self.assertRefused({"parent_id": "Parent Co"}, "parent_id")

    def test_required_field_null(self):
        event = {
            "orderId": 30,
            "businessKey": "LEAVE-0",
            "taskId": "T1",
            "taskName": "Start",
            "action": "START",
            "formData": {"name": "Closing", "date_from": None, "date_to": "2025-02-01 18:00:00"},
        }
        body = self.assertEnvelope(self.push(event), 200, -1024)
        self.assertIn("formData.date_from", body["msg"])
        self.assertIn("required", body["msg"])
        self.assertFalse(self.order_of("LEAVE-0"))

    def test_bad_dates(self):
        for bad in ("2025-02-30 10:00:00", "2025/01/02 10:00:00", "2025-01-02", 20250102):
            with self.subTest(bad=bad):
                event = {
                    "orderId": 31,
                    "businessKey": "LEAVE-1",
                    "taskId": "T1",
                    "taskName": "Start",
                    "action": "START",
                    "formData": {
                        "name": "Closing",
                        "date_from": bad,
                        "date_to": "2025-02-01 18:00:00",
                    },
                }
                body = self.assertEnvelope(self.push(event), 200, -1024)
                self.assertIn("formData.date_from", body["msg"])
                self.assertFalse(self.order_of("LEAVE-1"))
                self.assertFalse(
                    self.env["resource.calendar.leaves"].search([("name", "=", "Closing")])
                )

    def test_datetime_read_in_configured_zone(self):
        event = {
            "orderId": 32,
            "businessKey": "LEAVE-2",
            "taskId": "T1",
            "taskName": "Start",
            "action": "START",
            "formData": {
                "name": "Spring Festival",
                "date_from": "2025-01-28 09:00:00",
                "date_to": "2025-02-04 18:00:00",
                "not_on_the_form": "ignored",
            },
        }
        self.assertEnvelope(self.push(event), 200, 0)
        leave = self.order_of("LEAVE-2")._aiflow_document()
        self.assertEqual(leave.date_from, datetime(2025, 1, 28, 1, 0))
        self.assertEqual(leave.date_to, datetime(2025, 2, 4, 10, 0))


@tagged("post_install", "-at_install")
class TestApprovalLogs(WebhookCase):
    def line(self, task="T-MGR", result="APPROVED", time="2025-01-24 16:00:00", **changes):
        line = {
            "taskId": task,
            "taskName": "部门经理审批",
            "handlerUserCode": self.approver_employee.aiflow_code,
            "handleResult": result,
            "handleComment": "同意 <b>ok</b>",
            "handleTime": time,
            "formData": {"comment": "同意"},
        }
        line.update(changes)
        return line

    def logs(self, *lines, key="PARTNER-001", order_id=9_000_000_001):
        return {"orderId": order_id, "businessKey": key, "logs": list(lines)}

    def aiflow_notes(self, partner):
        return partner.message_ids.filtered(lambda m: "aiflow:" in (m.body or ""))

    def test_logs_reach_order_and_chatter_once(self):
        self.push(start_event())
        order = self.order_of("PARTNER-001")
        partner = order._aiflow_document()
        first = self.line()
        self.assertEnvelope(self.push_logs(self.logs(first)), 200, 0, "success")
        again = self.push_logs(self.logs(first))
        self.assertTrue(self.assertEnvelope(again, 200, 0)["data"]["duplicate"])
        unknown = self.line(
            task="T-CEO",
            result="TRANSFERRED",
            time="2025-01-24 17:00:00",
            handlerUserCode="ceo-not-in-odoo",
            handleComment=None,
        )
        # the same line again inside a later, longer list
        self.assertEnvelope(self.push_logs(self.logs(first, unknown)), 200, 0)
        lines = order.log_ids.sorted("handle_time")
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0].handler_id, self.approver)
        self.assertEqual(lines[0].result, "APPROVED")
        self.assertEqual(lines[0].handle_time, datetime(2025, 1, 24, 8, 0))
        self.assertEqual((lines[0].task_key, lines[0].task_name), ("T-MGR", "部门经理审批"))
        self.assertFalse(lines[1].handler_id)
        self.assertEqual(lines[1].handler_code, "ceo-not-in-odoo")
        self.assertFalse(lines[1].result)
        self.assertEqual(lines[1].result_text, "TRANSFERRED")
        notes = self.aiflow_notes(partner)
        self.assertEqual(len(notes), 2)
        mine = notes.filtered(lambda m: "T-MGR" in m.body or "部门经理审批" in m.body)
        self.assertEqual(len(mine), 2)  # both lines name the task
        by_approver = notes.filtered(lambda m: m.author_id == self.approver.partner_id)
        self.assertEqual(len(by_approver), 1)
        self.assertIn("Zhao Approver", by_approver.body)
        self.assertIn("2025-01-24 16:00:00", by_approver.body)
        self.assertIn("&lt;b&gt;ok&lt;/b&gt;", by_approver.body)  # a comment is text
        self.assertIn("ceo-not-in-odoo", (notes - by_approver).body)
        # nothing of an engine order goes back to aiflow
        self.env.flush_all()
        self.assertFalse(
            self.env["aiflow.outbox"].search(
                [("res_model", "=", "aiflow.order.log"), ("res_id", "in", lines.ids)]
            )
        )

    def test_received_lines_kept_once_by_the_unique_index(self):
        self.push(start_event())
        order = self.order_of("PARTNER-001")
        Log = self.env["aiflow.order.log"]

        def received(key):
            return {
                "order_id": order.id,
                "inbound_key": key,
                "task_key": "T-MGR",
                "task_name": "部门经理审批",
                "handler_id": None,
                "handler_code": "someone",
                "result": None,
                "result_text": "SEEN",
                "comment": None,
                "handle_time": datetime(2025, 1, 24, 8, 0),
            }

        self.assertFalse(order.log_ids)  # the order's lines are now in the cache
        self.assertEqual(Log._aiflow_insert_received([received("a"), received("b")]), {"a", "b"})
        # a list repeating a kept line inserts only the new one
        self.assertEqual(Log._aiflow_insert_received([received("b"), received("c")]), {"c"})
        self.assertEqual(sorted(order.log_ids.mapped("inbound_key")), ["a", "b", "c"])
        self.assertEqual(order.log_ids.mapped("create_uid"), self.env.user)

    def test_logs_of_unknown_order(self):
        body = self.assertEnvelope(
            self.push_logs(self.logs(self.line(), key="PARTNER-NOPE")), 200, -1024
        )
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual((event.state, event.kind), ("failed", "approval_log"))
