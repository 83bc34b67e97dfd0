"""The two inbound webhooks as plain rules (protocol/webhook.py): the
contract's table, in its order, and the idempotency keys."""

import io
import json

import pytest

from aiflow_connector.protocol import webhook
from aiflow_connector.protocol.signing import Credential, Signer

SIGNER = Signer(Credential("COMPANY001", "APP001", "your_app_secret"))
OTHER = Signer(Credential("COMPANY001", "APP001", "another-secret"))
# DESIGN.md's third test vector: a workflow event, signed
VECTOR = (
    b'{"orderId":123456,"businessKey":"SALES_ORDER_20250124001","taskId":"TASK001",'
    + '"taskName":"部门经理审批","action":"COMPLETE"}'.encode()
)
VECTOR_SIGNATURE = "fb30c84f17cf31433ae64e7a029a7c90b775aa8f5261ec8dbe22f463aff9c62f"


def headers(raw, signer=SIGNER, content_type="application/json"):
    result = {"A-Signature": signer.sign(raw)}
    if content_type is not None:
        result["Content-Type"] = content_type
    return result


def judge(raw, kind=webhook.WORKFLOW, **options):
    return webhook.judge(kind, headers(raw, **options), raw, SIGNER)


def test_design_vector_is_a_valid_event():
    verdict = webhook.judge(
        webhook.WORKFLOW,
        {"content-type": "application/json", "a-signature": VECTOR_SIGNATURE.upper()},
        VECTOR,
        SIGNER,
    )
    assert verdict.valid and verdict.signed
    assert (verdict.http_status, verdict.status, verdict.msg) == (200, 0, "success")
    assert verdict.payload["orderId"] == 123456


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", ""])
def test_method_other_than_post(method):
    verdict = webhook.precheck(method, 10)
    assert (verdict.http_status, verdict.status) == (405, -4001)
    assert "POST" in verdict.msg
    assert verdict.envelope() == {"status": -4001, "msg": verdict.msg, "data": None}


def test_declared_size_over_limit_before_reading():
    assert webhook.precheck("POST", webhook.MAX_BODY_BYTES) is None
    verdict = webhook.precheck("post", webhook.MAX_BODY_BYTES + 1)
    assert (verdict.http_status, verdict.status) == (413, -4002)
    assert str(webhook.MAX_BODY_BYTES) in verdict.msg
    assert webhook.precheck("POST", None) is None  # chunked: counted while reading


class CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.largest_read = 0

    def read(self, size=-1):
        self.largest_read = max(self.largest_read, size)
        assert size != -1, "never read whole"
        return super().read(size)


def test_read_limited_stops_after_limit_plus_one():
    stream = CountingStream(b"x" * 5000)
    assert webhook.read_limited(stream.read, limit=1000) == (None, True)
    assert stream.tell() == 1001
    stream = CountingStream(b"y" * 1000)
    assert webhook.read_limited(stream.read, limit=1000) == (b"y" * 1000, False)
    assert webhook.read_limited(CountingStream(b"").read, limit=10) == (b"", False)


def test_missing_signature():
    verdict = webhook.judge(webhook.WORKFLOW, {"Content-Type": "application/json"}, VECTOR, SIGNER)
    assert (verdict.http_status, verdict.status, verdict.msg) == (403, -4002, "签名验证失败")
    assert not verdict.signed


def test_wrong_secret_and_other_body():
    assert judge(VECTOR, signer=OTHER).msg == "签名验证失败"
    other = webhook.judge(webhook.WORKFLOW, headers(VECTOR + b" "), VECTOR, SIGNER)
    assert (other.http_status, other.signed) == (403, False)


def test_signature_checked_before_content_type():
    verdict = webhook.judge(webhook.WORKFLOW, {"Content-Type": "text/plain"}, b"x", SIGNER)
    assert verdict.stage == webhook.STAGE_SIGNATURE


@pytest.mark.parametrize(
    "content_type, ok",
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("APPLICATION/JSON;charset=UTF-8", True),
        ("text/plain", False),
        ("application/jsonp", False),
        ("application/x-www-form-urlencoded", False),
        (None, False),
    ],
)
def test_content_type(content_type, ok):
    verdict = judge(VECTOR, content_type=content_type)
    assert verdict.signed
    if ok:
        assert verdict.valid
    else:
        assert (verdict.http_status, verdict.status) == (400, -4002)
        assert verdict.msg.startswith("Content-Type")


@pytest.mark.parametrize(
    "raw, says",
    [
        (b"", "empty body"),
        (b"  \n", "empty body"),
        (b'{"orderId": ', "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"[1, 2]", "not an array"),
        (b'"text"', "not a string"),
        (b"null", "not null"),
        (b"12.5", "not a number"),
        (b"true", "not a boolean"),
        (b"[" * 50000 + b"]" * 50000, "not valid JSON"),
    ],
)
def test_bodies_that_are_not_an_object(raw, says):
    verdict = judge(raw)
    assert verdict.signed and not verdict.valid
    assert (verdict.http_status, verdict.status) == (400, -4002)
    assert says in verdict.msg


def test_too_deep_json_is_refused_not_raised():
    verdict = judge(b'{"a": ' + b"[" * 200000 + b"]" * 200000 + b"}")
    assert verdict.http_status == 400


def event(**changes):
    body = json.loads(VECTOR)
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "raw, starts",
    [
        (event(orderId="1"), "orderId: wrong type"),
        (event(orderId=2**63), "orderId: out of range"),
        (event(action="APPROVE"), "action: not one of"),
        (event(businessKey=" "), "businessKey: must not be empty"),
        (event(handleTime="2025-02-30 10:00:00"), "handleTime: not yyyy-MM-dd HH:mm:ss"),
        (event(formData=[]), "formData: wrong type"),
    ],
)
def test_schema_errors_start_with_the_field(raw, starts):
    verdict = judge(raw)
    assert (verdict.http_status, verdict.status, verdict.stage) == (400, -4002, "schema")
    assert verdict.msg.startswith(starts)


@pytest.mark.parametrize(
    "raw, starts",
    [
        (event(businessKey="A\x00B"), "businessKey: holds a NUL character"),
        (event(taskName="\x00"), "taskName: holds a NUL character"),
        (event(handlerUserCode="x\x00"), "handlerUserCode: holds a NUL character"),
        (event(formData={"name": "a\x00"}), "formData.name: holds a NUL"),
        (event(processVariables={"k": [1, {"v": "\x00"}]}), "processVariables.k[1].v: holds"),
        (event(formData={"a\x00b": 1}), "formData.a\\u0000b: a key that holds a NUL"),
    ],
)
def test_nul_characters_are_refused_naming_the_field(raw, starts):
    # json.dumps writes NUL as the escape \u0000: valid JSON, a NUL once parsed
    assert b"\\u0000" in raw
    verdict = judge(raw)
    assert (verdict.http_status, verdict.status, verdict.stage) == (400, -4002, "schema")
    assert verdict.signed
    assert verdict.msg.startswith(starts), verdict.msg
    assert "\x00" not in verdict.msg  # the message itself can be stored


def test_nul_byte_on_the_wire_is_not_json():
    verdict = judge(b'{"orderId": 1, "businessKey": "A\x00B"}')
    assert (verdict.http_status, verdict.stage) == (400, "body")
    assert verdict.signed


def test_approval_log_paths():
    raw = json.dumps(
        {"orderId": 1, "businessKey": "K", "logs": [{"taskId": "T", "taskName": "N"}]}
    ).encode()
    verdict = judge(raw, kind=webhook.APPROVAL_LOG)
    assert verdict.msg.startswith("logs[0].handlerUserCode: missing")


def test_answers_after_storing():
    assert webhook.applied(7).envelope() == {
        "status": 0,
        "msg": "success",
        "data": {"success": True, "eventId": 7},
    }
    assert webhook.duplicate(7).data == {"success": True, "eventId": 7, "duplicate": True}
    refused = webhook.cannot_apply("unknown businessKey K", 8)
    assert (refused.http_status, refused.status, refused.data) == (200, -1024, {"eventId": 8})
    assert json.loads(refused.body_bytes())["msg"] == "unknown businessKey K"


def test_event_key_names_the_event_not_the_delivery():
    payload = json.loads(VECTOR)
    key = webhook.event_key(webhook.WORKFLOW, payload)
    assert key == webhook.event_key(webhook.WORKFLOW, {**payload, "formData": {"x": 1}})
    assert key != webhook.event_key(webhook.WORKFLOW, {**payload, "action": "REJECT"})
    assert key != webhook.event_key(webhook.WORKFLOW, {**payload, "taskId": "TASK002"})
    assert key != webhook.event_key(
        webhook.WORKFLOW, {**payload, "handleTime": "2025-01-24 15:30:00"}
    )


def test_log_line_key_survives_a_longer_list():
    line = {
        "taskId": "T",
        "handlerUserCode": "u",
        "handleResult": "APPROVED",
        "handleTime": "2025-01-24 15:30:00",
        "handleComment": "ok",
    }
    other = {**line, "taskId": "T2"}
    assert webhook.log_line_key(1, line) == webhook.log_line_key(1, {**line, "formData": {}})
    assert webhook.log_line_key(1, line) != webhook.log_line_key(2, line)
    short = {"orderId": 1, "businessKey": "K", "logs": [line]}
    longer = {"orderId": 1, "businessKey": "K", "logs": [line, other]}
    swapped = {"orderId": 1, "businessKey": "K", "logs": [other, line]}
    assert webhook.event_key(webhook.APPROVAL_LOG, short) != webhook.event_key(
        webhook.APPROVAL_LOG, longer
    )
    assert webhook.event_key(webhook.APPROVAL_LOG, longer) == webhook.event_key(
        webhook.APPROVAL_LOG, swapped
    )


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"businessKey": "SALES-SO001", "processVariables": {"flowCode": "PURCHASE"}}, "PURCHASE"),
        ({"businessKey": "SALES-SO001"}, "SALES"),
        ({"businessKey": "SALES_BIG-SO001"}, "SALES_BIG"),
        ({"businessKey": "SALES_BIG-SO001", "processVariables": {"flowCode": " "}}, "SALES_BIG"),
        ({"businessKey": "SALESSO001"}, None),
        ({"businessKey": "OTHER-1", "processVariables": {"flowCode": 7}}, None),
    ],
)
def test_flow_code_of(payload, expected):
    assert webhook.flow_code_of(payload, ["SALES", "SALES_BIG", ""]) == expected
