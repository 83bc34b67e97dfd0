# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bad input on the two webhooks, one test each: every answer is the
contract's HTTP status and envelope, never an HTTP 500; unsigned requests
are not stored, signed ones are (as invalid)."""

import json

from odoo.tests import tagged

from ..protocol.webhook import MAX_BODY_BYTES
from .common import (
    APPROVAL_LOG_PATH,
    SECRET,
    WORKFLOW_PATH,
    WRONG_SECRET,
    WebhookCase,
)

EVENT = {
    "orderId": 123456,
    "businessKey": "PARTNER-ATTACK",
    "taskId": "TASK001",
    "taskName": "部门经理审批",
    "action": "COMPLETE",
    "formData": {"customerName": "客户名称", "amount": 10000},
    "processVariables": {"variable1": "value1"},
    "handlerUserCode": "eng_login_only",
    "handleTime": "2025-01-24 15:30:00",
}
LOGS = {
    "orderId": 123456,
    "businessKey": "PARTNER-ATTACK",
    "logs": [
        {
            "taskId": "TASK001",
            "taskName": "部门经理审批",
            "handlerUserCode": "eng_login_only",
            "handleResult": "APPROVED",
            "handleComment": "审批意见",
            "handleTime": "2025-01-24 15:30:00",
            "formData": {"comment": "审批意见"},
        }
    ],
}
# field -> (a value of the wrong type, the start of the message)
WRONG_TYPES = {
    "orderId": ("123456", "orderId: wrong type"),
    "businessKey": (42, "businessKey: wrong type"),
    "taskId": (["T"], "taskId: wrong type"),
    "taskName": ({"a": 1}, "taskName: wrong type"),
    "action": (True, "action: wrong type"),
    "formData": ("a=b", "formData: wrong type"),
    "processVariables": ([1], "processVariables: wrong type"),
    "handlerUserCode": (7, "handlerUserCode: wrong type"),
    "handleTime": ("2025/01/24 15:30", "handleTime: not yyyy-MM-dd HH:mm:ss"),
}
LOG_WRONG_TYPES = {
    "orderId": (1.5, "orderId: wrong type"),
    "businessKey": (None, "businessKey: missing"),
    "logs": ({"taskId": "T"}, "logs: wrong type"),
    "logs[0].handleTime": ("yesterday", "logs[0].handleTime: not yyyy-MM-dd HH:mm:ss"),
    "logs[0].handleResult": (1, "logs[0].handleResult: wrong type"),
    "logs[0].formData": ("x", "logs[0].formData: wrong type"),
}


def _without(body, path):
    body = json.loads(json.dumps(body))
    if path.startswith("logs[0]."):
        del body["logs"][0][path.split(".", 1)[1]]
    else:
        del body[path]
    return body


def _with(body, path, value):
    body = json.loads(json.dumps(body))
    if path.startswith("logs[0]."):
        body["logs"][0][path.split(".", 1)[1]] = value
    else:
        body[path] = value
    return body


@tagged("post_install", "-at_install")
class TestWebhookAttacks(WebhookCase):
    def stored(self):
        return self.env["aiflow.inbound.event"].search_count([])

    def send_signed(self, path, raw, content_type="application/json"):
        return self.post(path, raw, self.signed_headers(raw, content_type))

    def assertRefusedUnstored(self, response, http_status, status, msg=None, before=None):
        body = self.assertEnvelope(response, http_status, status)
        if msg is not None:
            self.assertEqual(body["msg"], msg)
        self.assertIsNone(body["data"])
        self.assertEqual(self.stored(), before)
        return body

    def assertStoredInvalid(self, response, msg_start, path=WORKFLOW_PATH):
        body = self.assertEnvelope(response, 400, -4002, msg_start)
        self.assertIsNone(body["data"])
        event = self.env["aiflow.inbound.event"].search([], limit=1)
        self.assertEqual(event.state, "invalid")
        self.assertEqual(event.error, body["msg"])
        self.assertEqual(event.kind, "workflow" if path == WORKFLOW_PATH else "approval_log")
        self.assertTrue(event.signature_ok)
        return event

    # -- method and size ---------------------------------------------------
    def test_get_is_refused(self):
        before = self.stored()
        response = self.post(WORKFLOW_PATH, None, method="GET")
        self.assertRefusedUnstored(response, 405, -4001, before=before)
        self.assertIn("POST", response.json()["msg"])

    def test_put_is_refused(self):
        before = self.stored()
        raw = json.dumps(EVENT).encode()
        response = self.post(APPROVAL_LOG_PATH, raw, self.signed_headers(raw), method="PUT")
        self.assertRefusedUnstored(response, 405, -4001, before=before)

    def test_oversized_body(self):
        before = self.stored()
        raw = json.dumps({**EVENT, "formData": {"blob": "x" * MAX_BODY_BYTES}}).encode()
        response = self.send_signed(WORKFLOW_PATH, raw)
        body = self.assertRefusedUnstored(response, 413, -4002, before=before)
        self.assertIn(str(MAX_BODY_BYTES), body["msg"])

    def test_oversized_chunked_body(self):
        before = self.stored()
        chunk = b"x" * 65536
        sent = []

        def chunks():
            # a JSON start, then more than the limit, never a Content-Length
            yield b'{"blob": "'
            for _n in range(MAX_BODY_BYTES // len(chunk) + 2):
                sent.append(len(chunk))
                yield chunk
            yield b'"}'

        headers = {"Content-Type": "application/json", "A-Signature": "0" * 64}
        response = self.post(WORKFLOW_PATH, chunks(), headers)
        body = self.assertRefusedUnstored(response, 413, -4002, before=before)
        self.assertIn(str(MAX_BODY_BYTES), body["msg"])

    def test_chunked_body_within_limit_is_read(self):
        raw = json.dumps(EVENT).encode()
        headers = self.signed_headers(raw)
        response = self.post(WORKFLOW_PATH, iter([raw[:10], raw[10:]]), headers)
        # the signature matched the bytes read: the event is valid (and
        # cannot be applied, its businessKey being unknown)
        self.assertEnvelope(response, 200, -1024)

    # -- signature ------------------------------------------------------------
    def test_no_signature(self):
        before = self.stored()
        raw = json.dumps(EVENT).encode()
        response = self.post(WORKFLOW_PATH, raw, {"Content-Type": "application/json"})
        self.assertRefusedUnstored(response, 403, -4002, "签名验证失败", before)

    def test_wrong_signature(self):
        before = self.stored()
        result = self.push(EVENT, secret=WRONG_SECRET)
        self.assertEnvelope(result, 403, -4002, "签名验证失败")
        self.assertEqual(self.stored(), before)

    def test_signature_of_another_body(self):
        before = self.stored()
        raw = json.dumps(EVENT).encode()
        other = json.dumps({**EVENT, "action": "REJECT"}).encode()
        headers = {"Content-Type": "application/json", "A-Signature": self.signature(other)}
        response = self.post(WORKFLOW_PATH, raw, headers)
        self.assertRefusedUnstored(response, 403, -4002, "签名验证失败", before)

    def test_signature_not_hex(self):
        before = self.stored()
        raw = json.dumps(EVENT).encode()
        headers = {
            "Content-Type": "application/json",
            "A-Signature": "签名".encode() * 16 + b"\xff",
        }
        response = self.post(WORKFLOW_PATH, raw, headers)
        self.assertRefusedUnstored(response, 403, -4002, "签名验证失败", before)

    def test_signature_upper_case_accepted(self):
        raw = json.dumps(EVENT).encode()
        headers = {"Content-Type": "application/json", "A-Signature": self.signature(raw).upper()}
        self.assertEnvelope(self.post(WORKFLOW_PATH, raw, headers), 200, -1024)

    def test_approval_log_wrong_signature(self):
        before = self.stored()
        result = self.push_logs(LOGS, secret=WRONG_SECRET)
        self.assertEnvelope(result, 403, -4002, "签名验证失败")
        self.assertEqual(self.stored(), before)

    # -- signed, but not an event ---------------------------------------------------
    def test_wrong_content_type(self):
        raw = json.dumps(EVENT).encode()
        response = self.send_signed(WORKFLOW_PATH, raw, "text/plain")
        self.assertStoredInvalid(response, "Content-Type")

    def test_missing_content_type(self):
        raw = json.dumps(EVENT).encode()
        response = self.send_signed(WORKFLOW_PATH, raw, None)
        self.assertStoredInvalid(response, "Content-Type")

    def test_form_content_type_cannot_be_verified(self):
        # Odoo parses a form body before any route runs, so its raw bytes
        # are gone: the signature cannot match, and nothing is stored
        before = self.stored()
        raw = json.dumps(EVENT).encode()
        response = self.send_signed(WORKFLOW_PATH, raw, "application/x-www-form-urlencoded")
        self.assertRefusedUnstored(response, 403, -4002, "签名验证失败", before)

    def test_content_type_with_charset(self):
        raw = json.dumps(EVENT).encode()
        response = self.send_signed(WORKFLOW_PATH, raw, "Application/JSON; charset=utf-8")
        self.assertEnvelope(response, 200, -1024)

    def test_empty_body(self):
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, b""), "empty body")

    def test_invalid_json(self):
        response = self.send_signed(WORKFLOW_PATH, b'{"orderId": 1,')
        self.assertStoredInvalid(response, "body is not valid JSON")

    def test_invalid_utf8(self):
        response = self.send_signed(WORKFLOW_PATH, b'{"businessKey": "\xff\xfe"}')
        self.assertStoredInvalid(response, "body is not valid UTF-8")

    def test_nul_byte_body_is_stored(self):
        response = self.send_signed(WORKFLOW_PATH, b'{"a": "\x00"}')
        event = self.assertStoredInvalid(response, "body is not valid JSON")
        self.assertIn("\\x00", event.raw_body)

    def test_json_array(self):
        raw = json.dumps([EVENT]).encode()
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, raw), "body must be a JSON object")

    def test_json_string(self):
        raw = json.dumps("hello").encode()
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, raw), "body must be a JSON object")

    def test_deeply_nested_json(self):
        raw = b'{"formData": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, raw), "body is not valid JSON")

    def test_unknown_action(self):
        raw = json.dumps({**EVENT, "action": "APPROVE"}).encode()
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, raw), "action: not one of")

    def test_order_id_beyond_long(self):
        raw = json.dumps({**EVENT, "orderId": 2**63}).encode()
        self.assertStoredInvalid(self.send_signed(WORKFLOW_PATH, raw), "orderId: out of range")

    def test_approval_logs_empty_object(self):
        response = self.send_signed(APPROVAL_LOG_PATH, b"{}")
        self.assertStoredInvalid(response, "orderId: missing", APPROVAL_LOG_PATH)


def _missing_test(path_, field):
    base = EVENT if path_ == WORKFLOW_PATH else LOGS

    def test(self):
        raw = json.dumps(_without(base, field)).encode()
        self.assertStoredInvalid(self.send_signed(path_, raw), f"{field}: missing", path_)

    return test


def _wrong_type_test(path_, field, value, msg_start):
    base = EVENT if path_ == WORKFLOW_PATH else LOGS

    def test(self):
        raw = json.dumps(_with(base, field, value)).encode()
        self.assertStoredInvalid(self.send_signed(path_, raw), msg_start, path_)

    return test


def _name(field):
    return field.replace("[0].", "_0_")


for _field in ("orderId", "businessKey", "taskId", "taskName", "action"):
    setattr(TestWebhookAttacks, f"test_missing_{_field}", _missing_test(WORKFLOW_PATH, _field))
for _field in (
    "orderId",
    "businessKey",
    "logs",
    "logs[0].taskId",
    "logs[0].taskName",
    "logs[0].handlerUserCode",
    "logs[0].handleResult",
    "logs[0].handleTime",
):
    setattr(
        TestWebhookAttacks,
        f"test_logs_missing_{_name(_field)}",
        _missing_test(APPROVAL_LOG_PATH, _field),
    )
for _field, (_value, _msg) in WRONG_TYPES.items():
    setattr(
        TestWebhookAttacks,
        f"test_wrong_type_{_field}",
        _wrong_type_test(WORKFLOW_PATH, _field, _value, _msg),
    )
for _field, (_value, _msg) in LOG_WRONG_TYPES.items():
    setattr(
        TestWebhookAttacks,
        f"test_logs_wrong_type_{_name(_field)}",
        _wrong_type_test(APPROVAL_LOG_PATH, _field, _value, _msg),
    )


@tagged("post_install", "-at_install")
class TestWebhookReplay(WebhookCase):
    def start(self, key):
        return {
            "orderId": 4242,
            "businessKey": key,
            "taskId": "T-START",
            "taskName": "发起",
            "action": "START",
            "formData": {"name": "Replayed Partner"},
        }

    # Two identical requests at the same moment are not sent here: Odoo's
    # test server runs every request thread on the test's one database
    # connection, so simultaneous requests race inside Odoo's own request
    # handling (it failed now and then in ir.http's _pre_dispatch, before
    # any webhook code ran). Real simultaneity, each delivery on its own
    # connection as in Odoo's workers, is test_webhook_concurrency's; the
    # fuzz test also repeats events against a live server with 2 workers.

    def test_sandbox_control_api_pushes(self):
        # the sandbox's own control route, as an operator would drive it
        self.env.flush_all()
        control = self.sandbox.url + "/sandbox/push/workflow"
        response = self.opener.post(
            control, data=json.dumps(self.start("PARTNER-CTL")).encode(), timeout=60
        )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text)
        pushed = response.json()["data"]
        self.assertEqual(pushed["httpStatus"], 200)
        self.assertEqual(pushed["response"]["status"], 0)
        self.assertEqual(self.order_of("PARTNER-CTL").flow_id, self.flow)
        response = self.opener.post(
            control + "?secret=" + WRONG_SECRET,
            data=json.dumps(self.start("PARTNER-CTL2")).encode(),
            timeout=60,
        )
        self.assertEqual(response.json()["data"]["httpStatus"], 403)
        self.assertNotEqual(SECRET, WRONG_SECRET)
