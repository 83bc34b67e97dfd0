"""The two webhooks aiflow calls on Odoo (spec part 2 §2.1, §2.2), as plain rules.

Given what came over HTTP (method, headers, raw bytes) and the credential,
:func:`judge` answers a :class:`Verdict`: the HTTP status and the envelope
to send back, and, for a valid event, its parsed body. The checks run in the
order of the HTTP contract shared with the OpenAPI description:

1. method not POST -> 405 / -4001;
2. body over :data:`MAX_BODY_BYTES` -> 413 / -4002 (checked on the
   Content-Length before reading, and while reading: :func:`read_limited`);
3. ``A-Signature`` missing, wrong or of another body -> 403 / -4002
   ``签名验证失败``; such a request is not stored;
4. from here the request is correctly signed (``Verdict.signed``): the caller
   stores it before anything else; Content-Type not JSON, empty body,
   invalid JSON or UTF-8, a JSON value that is not an object -> 400 / -4002;
5. a field missing or of the wrong type, an unknown action -> 400 / -4002,
   the message starting with the field's path (``logs[0].handleTime: ...``).

Applying the event is the caller's business; :func:`applied`,
:func:`duplicate` and :func:`cannot_apply` build the three answers it ends
with. Idempotency keys (:func:`event_key`, :func:`log_line_key`) say when two
deliveries are the same event.
"""

import hashlib
import json
from dataclasses import dataclass, field

from .errors import PayloadError
from .schema import json_type, validate
from .signing import SIGNATURE_HEADER

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
READ_CHUNK = 64 * 1024

WORKFLOW = "workflow"
APPROVAL_LOG = "approval_log"
PATHS = {
    WORKFLOW: "/odoo/api/workflow/receive",
    APPROVAL_LOG: "/odoo/api/workflow/approval/log",
}
SCHEMA_OF_KIND = {WORKFLOW: "workflow_event", APPROVAL_LOG: "approval_log_event"}

STATUS_OK = 0
STATUS_PARAMETER = -4002
STATUS_UNSUPPORTED = -4001
STATUS_GENERAL = -1024

SIGNATURE_FAILED = "签名验证失败"
SUCCESS = "success"

# What a verdict is about (the stored event keeps it).
STAGE_METHOD = "method"
STAGE_SIZE = "size"
STAGE_SIGNATURE = "signature"
STAGE_CONTENT_TYPE = "content_type"
STAGE_BODY = "body"
STAGE_SCHEMA = "schema"
STAGE_VALID = "valid"


@dataclass
class Verdict:
    http_status: int
    status: int
    msg: str
    stage: str
    data: dict = None
    payload: dict = None
    # correctly signed: the request is stored whatever follows
    signed: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def valid(self):
        return self.stage == STAGE_VALID

    def envelope(self):
        return {"status": self.status, "msg": self.msg, "data": self.data}

    def body_bytes(self):
        return json.dumps(self.envelope(), ensure_ascii=False).encode("utf-8")


def _refuse(http_status, status, msg, stage, signed=False):
    return Verdict(http_status, status, msg, stage, signed=signed)


def method_not_allowed():
    return _refuse(405, STATUS_UNSUPPORTED, "only POST is accepted", STAGE_METHOD)


def too_large(limit=MAX_BODY_BYTES):
    return _refuse(
        413,
        STATUS_PARAMETER,
        f"request body larger than the limit of {limit} bytes",
        STAGE_SIZE,
    )


def precheck(method, content_length, limit=MAX_BODY_BYTES):
    """The verdict known before reading the body (method, declared size), or None."""
    if (method or "").upper() != "POST":
        return method_not_allowed()
    if content_length is not None and content_length > limit:
        return too_large(limit)
    return None


def read_limited(read, limit=MAX_BODY_BYTES):
    """Read a body through ``read(n)`` without ever holding more than
    ``limit + 1`` bytes: (body, False), or (None, True) when it is longer."""
    parts, size = [], 0
    while size <= limit:
        chunk = read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    if size > limit:
        return None, True
    return b"".join(parts), False


def _header(headers, name):
    """A header's value from a mapping, whatever the case of its name."""
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None and isinstance(headers, dict):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def is_json_content_type(value):
    """``application/json``, parameters (charset) allowed, any case."""
    if not isinstance(value, str):
        return False
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def parse_body(raw):
    """The JSON object in ``raw``; ValueError saying what is wrong."""
    if not raw or not raw.strip():
        raise ValueError("empty body: a JSON object is expected")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"body is not valid JSON: {_short(str(exc))}") from None
    if not isinstance(value, dict):
        raise ValueError(f"body must be a JSON object, not {BODY_KINDS[json_type(value)]}")
    return value


# what the body is, when it is not an object (schema's names, as prose)
BODY_KINDS = {
    "null": "null",
    "Boolean": "a boolean",
    "Integer": "a number",
    "Number": "a number",
    "String": "a string",
    "Array": "an array",
}


def _short(text, limit=200):
    return text if len(text) <= limit else text[: limit - 3] + "..."


def judge(kind, headers, raw, signer):
    """The verdict on a POST of ``raw`` (already read within the limit) to
    the webhook of ``kind`` (:data:`WORKFLOW` or :data:`APPROVAL_LOG`)."""
    if kind not in SCHEMA_OF_KIND:
        raise ValueError(f"unknown webhook {kind!r}")
    if not signer.verify(raw, _header(headers, SIGNATURE_HEADER)):
        return _refuse(403, STATUS_PARAMETER, SIGNATURE_FAILED, STAGE_SIGNATURE)
    content_type = _header(headers, "Content-Type")
    if not is_json_content_type(content_type):
        return _refuse(
            400,
            STATUS_PARAMETER,
            f"Content-Type must be application/json, not {_short(repr(content_type), 80)}",
            STAGE_CONTENT_TYPE,
            signed=True,
        )
    try:
        payload = parse_body(raw)
    except ValueError as exc:
        return _refuse(400, STATUS_PARAMETER, str(exc), STAGE_BODY, signed=True)
    try:
        validate(SCHEMA_OF_KIND[kind], payload)
    except PayloadError as exc:
        verdict = _refuse(400, STATUS_PARAMETER, _short(str(exc), 300), STAGE_SCHEMA, signed=True)
        verdict.payload = payload
        return verdict
    return Verdict(200, STATUS_OK, SUCCESS, STAGE_VALID, payload=payload, signed=True)


# -- answers once a valid event was stored ------------------------------------
def applied(event_id):
    return Verdict(
        200, STATUS_OK, SUCCESS, STAGE_VALID, data={"success": True, "eventId": event_id}
    )


def duplicate(event_id):
    return Verdict(
        200,
        STATUS_OK,
        SUCCESS,
        STAGE_VALID,
        data={"success": True, "eventId": event_id, "duplicate": True},
    )


def cannot_apply(reason, event_id):
    return Verdict(200, STATUS_GENERAL, reason, STAGE_VALID, data={"eventId": event_id})


def general_error(msg):
    """-1024 for a request that could not be handled at all (nothing stored)."""
    return Verdict(200, STATUS_GENERAL, msg, STAGE_VALID)


# -- idempotency ----------------------------------------------------------------
def _digest(parts):
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def log_line_key(order_id, line):
    """Identity of one approval-log line: its order, task, handler, result
    and time. The same line inside a later, longer list has the same key."""
    return "log:" + _digest(
        [
            order_id,
            line.get("taskId"),
            line.get("handlerUserCode"),
            line.get("handleResult"),
            line.get("handleTime"),
        ]
    )


def event_key(kind, payload):
    """Identity of a valid event: a workflow event is its order, task,
    action, handler and time; an approval-log delivery is its order and
    the set of its lines."""
    if kind == WORKFLOW:
        return "workflow:" + _digest(
            [
                payload["orderId"],
                payload["businessKey"],
                payload["taskId"],
                payload["action"],
                payload.get("handlerUserCode"),
                payload.get("handleTime"),
            ]
        )
    lines = sorted({log_line_key(payload["orderId"], line) for line in payload["logs"]})
    return "logs:" + _digest([payload["orderId"], payload["businessKey"], lines])


def flow_code_of(payload, known_codes):
    """The flow an event belongs to: ``processVariables.flowCode`` when it is
    a non-empty string, else the longest known code ``C`` such that the
    businessKey starts with ``C-``; None when neither says."""
    variables = payload.get("processVariables")
    if isinstance(variables, dict):
        code = variables.get("flowCode")
        if isinstance(code, str) and code.strip():
            return code.strip()
    business_key = payload.get("businessKey") or ""
    matches = [code for code in known_codes if code and business_key.startswith(code + "-")]
    return max(matches, key=len) if matches else None


# A received body is shown up to this many characters.
SHOWN_BODY = 200_000


def pretty_body(text):
    """JSON indented for reading; anything else as received."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):
        return text


def stored_body(raw):
    """(the text kept as the body, whether it is exactly ``raw``). A body
    that is not UTF-8 or holds NUL is kept readable with escapes (its
    exact bytes are kept beside it)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return text, True
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00"), False
