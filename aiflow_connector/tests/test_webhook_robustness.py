# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Webhook inputs found in review: a START whose initiator Odoo does not
know, an application failing for an unplanned reason (its detail kept in
Odoo, not sent to aiflow), NUL characters (every signed request stored, the
field named), and how handlers are resolved and noted in the chatter."""

import base64
import json
import logging

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import APPROVAL_LOG_PATH, WORKFLOW_PATH, WebhookCase

EVENT_LOGGER = "odoo.addons.aiflow_connector.models.aiflow_inbound_event"


def start(key, order_id, **changes):
    event = {
        "orderId": order_id,
        "businessKey": key,
        "taskId": "T-START",
        "taskName": "发起",
        "action": "START",
        "formData": {"name": f"Partner {key}"},
    }
    event.update(changes)
    return event


def logs(key, order_id, **line):
    return {
        "orderId": order_id,
        "businessKey": key,
        "logs": [
            {
                "taskId": "T-MGR",
                "taskName": "部门经理审批",
                "handlerUserCode": "someone",
                "handleResult": "APPROVED",
                "handleComment": "同意",
                "handleTime": "2025-01-24 16:00:00",
                **line,
            }
        ],
    }


@tagged("post_install", "-at_install")
class TestStartInitiator(WebhookCase):
    def setUp(self):
        super().setUp()
        # engine flows need no manager: nothing to fall back on
        self.flow.manager_user_id = False

    def started(self, event):
        body = self.assertEnvelope(self.push(event), 200, 0, "success")
        self.assertNotIn("duplicate", body["data"])
        order = self.order_of(event["businessKey"])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.inbound_event_ids.state, "applied")
        return order

    def test_unknown_initiator_code_keeps_the_code(self):
        # the approver's login is not their code: their employee's code is
        order = self.started(start("PARTNER-I1", 101, handlerUserCode="eng_approver"))
        self.assertFalse(order.initiator_id)
        self.assertEqual(order.initiator_code, "eng_approver")
        self.assertEqual(order._aiflow_document().name, "Partner PARTNER-I1")
        self.assertFalse(order.inbound_event_ids.handler_id)

    def test_start_without_handler(self):
        order = self.started(start("PARTNER-I2", 102))
        self.assertFalse(order.initiator_id)
        self.assertFalse(order.initiator_code)

    def test_known_initiator_is_the_user(self):
        code = self.approver_employee.aiflow_code
        order = self.started(start("PARTNER-I3", 103, handlerUserCode=code))
        self.assertEqual(order.initiator_id, self.approver)
        self.assertEqual(order.initiator_code, code)

    def test_order_form_shows_code_without_user(self):
        order = self.started(start("PARTNER-I4", 104, handlerUserCode="ceo-not-in-odoo"))
        arch = self.env["aiflow.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="initiator_code"', arch)
        self.assertEqual(
            order.read(["initiator_id", "initiator_code"])[0]["initiator_code"], "ceo-not-in-odoo"
        )

    def test_task_center_order_needs_initiator(self):
        flow = self.env["aiflow.flow"].create(
            {
                "flow_code": "TC_INIT",
                "title": "Task center",
                "mode": "task_center",
                "model_id": self.env["ir.model"]._get_id("res.bank"),
                "group_id": "GROUP001",
                "manager_user_id": self.env.user.id,
                "operation_user_id": self.env.user.id,
                "config_user_id": self.env.user.id,
                "creator_user_id": self.env.user.id,
            }
        )
        bank = self.env["res.bank"].create({"name": "TC doc"})
        values = {
            "flow_id": flow.id,
            "business_key": "TC_INIT-1",
            "res_model": "res.bank",
            "res_id": bank.id,
        }
        with self.assertRaises(ValidationError):
            self.env["aiflow.order"].create(values)
        order = self.env["aiflow.order"].create({**values, "initiator_id": self.approver.id})
        with self.assertRaises(ValidationError):
            order.initiator_id = False


@tagged("post_install", "-at_install")
class TestUnexpectedFailure(WebhookCase):
    def test_internal_error_is_not_sent_to_aiflow(self):
        self.assertEnvelope(self.push(start("PARTNER-U1", 201)), 200, 0)
        action = self.flow.effect_pass_action_id
        action.code = "env.cr.execute(\"SELECT 1 / 0 FROM res_partner WHERE name = 'x'\")"
        complete = {**start("PARTNER-U1", 201), "action": "COMPLETE", "taskId": "T-END"}
        with self.assertLogs(EVENT_LOGGER, "ERROR") as logged:
            body = self.assertEnvelope(self.push(complete), 200, -1024)
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(
            body["msg"], f"The event could not be applied; it is kept in Odoo as event {event.id}."
        )
        for leaked in ("division", "SELECT", "res_partner", "DivisionByZero"):
            self.assertNotIn(leaked, body["msg"])
        # the detail stays in Odoo: on the event and in the server log
        self.assertEqual(event.state, "failed")
        self.assertTrue(event.error_unexpected)
        self.assertIn("DivisionByZero", event.error)
        self.assertIn("division by zero", event.error)
        self.assertTrue(any("division by zero" in line for line in logged.output))
        self.assertEqual(self.order_of("PARTNER-U1").status, "ing")
        # a planned reason is still said in full, and clears the flag
        action.code = "raise UserError('ERP closed for inventory')"
        again = self.assertEnvelope(self.push(complete), 200, -1024)
        self.assertIn("ERP closed for inventory", again["msg"])
        self.assertFalse(event.error_unexpected)
        action.code = "record.write({'function': 'Approved'})"
        event.with_user(self.admin).action_aiflow_rerun()
        self.assertEqual(event.state, "applied")
        self.assertFalse(event.error_unexpected)

    def test_write_broken_when_saved_fails_the_event(self):
        # the effect's write breaks a database rule only when it is saved
        # (Odoo writes at flush): still the event's failure, all undone
        self.assertEnvelope(self.push(start("PARTNER-U2", 202)), 200, 0)
        action = self.flow.effect_pass_action_id
        action.code = "record.write({'function': 'Approved', 'name': False, 'type': 'contact'})"
        complete = {**start("PARTNER-U2", 202), "action": "COMPLETE", "taskId": "T-END"}
        with self.assertLogs(EVENT_LOGGER, "ERROR"):
            body = self.assertEnvelope(self.push(complete), 200, -1024)
        event = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual((event.state, event.attempts), ("failed", 1))
        self.assertIn("check_name", event.error)
        document = self.order_of("PARTNER-U2")._aiflow_document()
        self.assertEqual((document.function, self.order_of("PARTNER-U2").status), (False, "ing"))


@tagged("post_install", "-at_install")
class TestDocumentRules(WebhookCase):
    def test_start_breaking_a_database_rule_of_the_model(self):
        # res.partner's check: a contact needs a name; formData has none
        event = start("PARTNER-D1", 601, formData={"ref": "NO-NAME"})
        with self.assertNoLogs(None, logging.ERROR):
            body = self.assertEnvelope(self.push(event), 200, -1024)
        self.assertIn("formData does not make a res.partner document", body["msg"])
        self.assertIn("Contacts require a name", body["msg"])
        self.assertNotIn("NO-NAME", body["msg"])  # no row data
        stored = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(stored.state, "failed")
        self.assertFalse(stored.error_unexpected)
        self.assertFalse(self.order_of("PARTNER-D1"))
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "NO-NAME")]))

    def test_start_leaving_a_required_column_empty(self):
        # resource.calendar.leaves requires its dates: null is refused by
        # the form reading; absent, by the database
        event = {
            **start("LEAVE-D2", 602),
            "formData": {"name": "Closing", "date_to": "2025-02-01 18:00:00"},
        }
        with self.assertNoLogs(None, logging.ERROR):
            body = self.assertEnvelope(self.push(event), 200, -1024)
        self.assertIn("formData does not make a resource.calendar.leaves document", body["msg"])
        self.assertIn("date_from", body["msg"])
        self.assertFalse(self.order_of("LEAVE-D2"))


@tagged("post_install", "-at_install")
class TestTimesOutOfRange(WebhookCase):
    """A wire time that is valid but falls before year 1 once in UTC is a
    reason not to apply (said), not an error of the program."""

    def test_event_handle_time(self):
        event = start("PARTNER-T1", 501, handleTime="0001-01-01 00:00:00")
        with self.assertNoLogs(None, logging.ERROR):
            body = self.assertEnvelope(self.push(event), 200, -1024, "handleTime cannot be kept")
        stored = self.env["aiflow.inbound.event"].browse(body["data"]["eventId"])
        self.assertEqual(stored.state, "failed")
        self.assertFalse(stored.error_unexpected)
        self.assertFalse(self.order_of("PARTNER-T1"))

    def test_log_line_handle_time(self):
        self.assertEnvelope(self.push(start("PARTNER-T2", 502)), 200, 0)
        body = logs("PARTNER-T2", 502, handleTime="0001-01-01 07:00:00")
        with self.assertNoLogs(None, logging.ERROR):
            answer = self.push_logs(body)
        self.assertEnvelope(answer, 200, -1024, "logs[0].handleTime cannot be kept")
        self.assertFalse(self.order_of("PARTNER-T2").log_ids)


@tagged("post_install", "-at_install")
class TestNulCharacters(WebhookCase):
    def send_signed(self, path, raw):
        with self.assertNoLogs(None, logging.ERROR):
            return self.post(path, raw, self.signed_headers(raw))

    def assertRefusedStored(self, response, msg_start, raw, kind="workflow"):
        body = self.assertEnvelope(response, 400, -4002, msg_start)
        self.assertIsNone(body["data"])
        event = self.env["aiflow.inbound.event"].search([], limit=1)
        self.assertEqual((event.state, event.kind), ("invalid", kind))
        self.assertEqual(event.error, body["msg"])
        self.assertFalse(event.business_key)
        raw = raw.encode() if isinstance(raw, str) else raw
        # kept losslessly: as text when it is text, else the exact bytes too
        if event.raw_bytes:
            self.assertEqual(base64.b64decode(event.raw_bytes), raw)
        else:
            self.assertEqual(event.raw_body.encode(), raw)
        return event

    def test_escaped_nul_in_business_key(self):
        raw = (
            '{"orderId": 1, "businessKey": "A\\u0000B", "taskId": "T", '
            '"taskName": "N", "action": "START"}'
        )
        response = self.send_signed(WORKFLOW_PATH, raw.encode())
        event = self.assertRefusedStored(response, "businessKey: holds a NUL character", raw)
        self.assertIn("Odoo cannot store", event.error)
        self.assertEqual(event.raw_body, raw)  # text as sent: the escape is text
        self.assertFalse(event.raw_bytes)

    def test_nul_in_form_data_value_and_key(self):
        for form, field in (
            ({"name": "a\x00b"}, "formData.name"),
            ({"ref": "x", "a\x00b": 1}, "formData.a\\u0000b"),
            ({"name": "ok", "nested": [{"deep": "\x00"}]}, "formData.nested[0].deep"),
        ):
            with self.subTest(field=field):
                raw = json.dumps(start("PARTNER-N1", 301, formData=form))
                response = self.send_signed(WORKFLOW_PATH, raw.encode())
                self.assertRefusedStored(response, f"{field}: ", raw)
        self.assertFalse(self.order_of("PARTNER-N1"))

    def test_nul_in_approval_log_line(self):
        raw = json.dumps(logs("PARTNER-N2", 302, handleComment="ok\x00"))
        response = self.send_signed(APPROVAL_LOG_PATH, raw.encode())
        self.assertRefusedStored(
            response, "logs[0].handleComment: holds a NUL", raw, "approval_log"
        )

    def test_raw_nul_byte_kept_exactly(self):
        raw = b'{"orderId": 1, "businessKey": "A\x00B", "taskId": "T", "action": "START"}'
        response = self.send_signed(WORKFLOW_PATH, raw)
        event = self.assertRefusedStored(response, "body is not valid JSON", raw)
        self.assertEqual(base64.b64decode(event.raw_bytes), raw)
        self.assertIn("A\\x00B", event.raw_body)  # readable, escaped

    def test_invalid_utf8_kept_exactly(self):
        raw = b'{"businessKey": "\xff\xfe\x00"}'
        response = self.send_signed(WORKFLOW_PATH, raw)
        event = self.assertRefusedStored(response, "body is not valid UTF-8", raw)
        self.assertEqual(base64.b64decode(event.raw_bytes), raw)


@tagged("post_install", "-at_install")
class TestHandlersAndNotes(WebhookCase):
    def test_codes_resolved_in_one_query(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        archived = self.env["hr.employee"].create(
            {"name": "Archived", "user_id": self.login_user.id, "company_id": other_company.id}
        )
        archived.active = False
        codes = [
            self.approver_employee.aiflow_code,  # an employee's code
            "eng_login_only",  # a user without an employee here: their login
            "eng_approver",  # a login, but its user's code is the employee's
            "nobody",
            False,
        ]
        event = self.env["aiflow.inbound.event"]
        with self.assertQueryCount(1):
            found = self.env["res.users"]._aiflow_users_of_codes(codes)
        self.assertEqual(
            found,
            {
                self.approver_employee.aiflow_code: self.approver,
                "eng_login_only": self.login_user,
            },
        )
        # the same answers as the user's own code (what aiflow was sent)
        self.assertEqual(self.approver._aiflow_oauth_user_code(), codes[0])
        self.assertEqual(self.login_user._aiflow_oauth_user_code(), "eng_login_only")
        self.assertFalse(event._aiflow_user_of_code("nobody"))

    def test_log_note_notifies_nobody(self):
        self.assertEnvelope(self.push(start("PARTNER-L1", 401)), 200, 0)
        partner = self.order_of("PARTNER-L1")._aiflow_document()
        follower = self.env["res.partner"].create({"name": "Follower", "email": "f@example.com"})
        partner.message_subscribe(partner_ids=follower.ids)
        code = self.approver_employee.aiflow_code
        body = logs("PARTNER-L1", 401, handlerUserCode=code, handleComment="看过 <i>了</i>")
        self.assertEnvelope(self.push_logs(body), 200, 0, "success")
        note = partner.message_ids.filtered(lambda m: "aiflow:" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.approver.partner_id)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.message_type, "comment")
        for shown in ("部门经理审批", "APPROVED", "Zhao Approver", "2025-01-24 16:00:00"):
            self.assertIn(shown, note.body)
        self.assertIn("看过 &lt;i&gt;了&lt;/i&gt;", note.body)
        self.assertFalse(note.notification_ids)
        self.assertFalse(self.env["mail.mail"].search([("mail_message_id", "=", note.id)]))
