"""OpenAPI 3.1 description of the five HTTP endpoints Odoo serves to aiflow.

OAuth2 authorize / token / userinfo (spec part 2 §1, ``controllers/oauth2.py``)
and the two signed webhooks (spec part 2 §2, the lead's HTTP contract). The
webhook request bodies come from ``schema.py``'s inbound rules through
``json_schema.py``; the rest is written here to match what the controllers
answer (the OAuth2 part in ``openapi_oauth2.py``). The addon ships the result as
``static/openapi/odoo-endpoints.json`` (``scripts/openapi.py`` writes it; a
test fails when the shipped file differs from :func:`document`).
"""

import json

from . import json_schema, openapi_oauth2
from .signing import SIGNATURE_HEADER

OPENAPI_VERSION = "3.1.0"
SHIPPED_PATH = "aiflow_connector/static/openapi/odoo-endpoints.json"
SERVED_AT = "/aiflow_connector/static/openapi/odoo-endpoints.json"

WEBHOOKS = {
    "/odoo/api/workflow/receive": ("workflow_event", "receiveWorkflowEvent", "WorkflowEvent"),
    "/odoo/api/workflow/approval/log": (
        "approval_log_event",
        "receiveApprovalLogs",
        "ApprovalLogs",
    ),
}
SIGNATURE_FAILED = "签名验证失败"
STATUS_SUCCESS = 0
STATUS_UNSUPPORTED = -4001
STATUS_INVALID = -4002
STATUS_GENERAL = -1024


_DESCRIPTION = f"""\
The HTTP endpoints an Odoo database with **aiflow_connector** serves to the aiflow
process center (interface document, part 2).

* OAuth2 authorization server (RFC 6749, 6750, 7636) so aiflow signs users in with
  their Odoo account: `authorize`, `token`, `userinfo`.
* Signed webhooks that aiflow calls when a workflow moves (`receive`) and to deliver
  approval logs (`approval/log`).

**Signature.** `{SIGNATURE_HEADER}` = lowercase hex(HMAC-SHA256(key = app secret,
message = enterprise code + "\\n" + app id + "\\n" + raw body)), UTF-8, over exactly the
bytes sent (an empty body signs the empty string); compared in constant time,
case-insensitively. The credential is the one in Odoo's Settings (aiflow section).

**Webhook answers** are always JSON `{{"status", "msg", "data"}}` (`status` 0 success,
-4002 invalid request, -4001 unsupported, -1024 valid but not applied), never an HTTP
500. Checks run in this order: method, size (1 MiB), signature, then - the request
being correctly signed, it is stored first - content type, JSON, fields. A body sent
as form data (`application/x-www-form-urlencoded`, `multipart/form-data`) is parsed by
Odoo before the route runs, so its raw bytes are gone: it is answered 403 like an
unsigned one. Rules JSON Schema cannot express and Odoo still enforces: a time must be
a real date and time, and `1.0` is not an integer.

Served by the addon at `{SERVED_AT}`.
"""


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json_content(schema, example=None):
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


# ---------------------------------------------------------------- webhooks


def _envelope(status, msg=None, data=None):
    """An answer envelope with ``status`` fixed (and ``msg``/``data`` when given)."""
    return {
        "allOf": [
            _ref("Envelope"),
            {
                "properties": {
                    "status": {"const": status},
                    **({"msg": msg} if msg is not None else {}),
                    **({"data": data} if data is not None else {}),
                }
            },
        ]
    }


def _webhook_schemas():
    event_id = {"type": "integer", "description": "Id of the stored inbound event."}
    return {
        "Envelope": {
            "type": "object",
            "description": "The answer of both webhooks (spec part 1 §1.3).",
            "required": ["status", "msg", "data"],
            "additionalProperties": False,
            "properties": {
                "status": {
                    "type": "integer",
                    "enum": [STATUS_SUCCESS, STATUS_INVALID, STATUS_UNSUPPORTED, STATUS_GENERAL],
                },
                "msg": {"type": "string"},
                "data": {"type": ["object", "null"]},
            },
        },
        "Applied": _envelope(
            STATUS_SUCCESS,
            {"const": "success"},
            {
                "type": "object",
                "required": ["success", "eventId"],
                "properties": {
                    "success": {"const": True},
                    "eventId": event_id,
                    "duplicate": {
                        "const": True,
                        "description": "Present when the same event was applied before.",
                    },
                },
            },
        ),
        "NotApplied": _envelope(
            STATUS_GENERAL,
            {"type": "string", "minLength": 1, "description": "Why it cannot be applied now."},
            {"type": "object", "required": ["eventId"], "properties": {"eventId": event_id}},
        ),
        "NotStored": _envelope(
            STATUS_GENERAL,
            {"type": "string", "minLength": 1},
            {"type": "null", "description": "Nothing was stored: send the event again."},
        ),
        "Rejected": _envelope(STATUS_INVALID, {"type": "string", "minLength": 1}),
        "SignatureFailed": _envelope(STATUS_INVALID, {"const": SIGNATURE_FAILED}),
        "MethodNotAllowed": _envelope(STATUS_UNSUPPORTED, {"type": "string", "minLength": 1}),
    }


def _webhook_responses():
    return {
        "WebhookAccepted": {
            "description": (
                "Correctly signed: applied (`status` 0; `duplicate` when it was "
                "applied before); stored but not applicable now (`status` -1024, `msg` "
                "says why, an administrator can re-run it); or, when Odoo could not "
                "check the signature or store the event, -1024 with `data` null (send "
                "it again)."
            ),
            "content": _json_content(
                {"oneOf": [_ref("Applied"), _ref("NotApplied"), _ref("NotStored")]},
                {"status": 0, "msg": "success", "data": {"success": True, "eventId": 42}},
            ),
        },
        "WebhookBadRequest": {
            "description": (
                "Correctly signed (and stored) but not acceptable: Content-Type not "
                "application/json, empty body, invalid JSON or UTF-8, not a JSON object, "
                "or a missing / wrongly typed field, whose path starts `msg` "
                "(`orderId: ...`, `logs[0].handleTime: ...`)."
            ),
            "content": _json_content(
                _ref("Rejected"),
                {"status": -4002, "msg": "orderId: missing", "data": None},
            ),
        },
        "WebhookSignatureFailed": {
            "description": (
                f"`{SIGNATURE_HEADER}` missing, wrong, or of another body (or a body sent "
                "as form data, whose raw bytes Odoo consumed before the route ran)."
            ),
            "content": _json_content(
                _ref("SignatureFailed"),
                {"status": -4002, "msg": SIGNATURE_FAILED, "data": None},
            ),
        },
        "WebhookTooLarge": {
            "description": "The body is larger than 1 MiB.",
            "content": _json_content(_ref("Rejected")),
        },
        "WebhookMethodNotAllowed": {
            "description": "Only POST is accepted.",
            "content": _json_content(_ref("MethodNotAllowed")),
        },
    }


def _webhook_path(operation_id, body_name, summary):
    post = {
        "operationId": operation_id,
        "tags": ["webhooks"],
        "summary": summary,
        "security": [{"aSignature": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(body_name)}},
        },
        "responses": {
            "200": {"$ref": "#/components/responses/WebhookAccepted"},
            "400": {"$ref": "#/components/responses/WebhookBadRequest"},
            "403": {"$ref": "#/components/responses/WebhookSignatureFailed"},
            "413": {"$ref": "#/components/responses/WebhookTooLarge"},
        },
    }
    item = {"post": post}
    # Any other method is answered 405 in the same envelope.
    for method in ("get", "put", "patch", "delete"):
        item[method] = {
            "operationId": f"{operation_id}{method.capitalize()}NotAllowed",
            "tags": ["webhooks"],
            "summary": "Not supported: only POST",
            "responses": {"405": {"$ref": "#/components/responses/WebhookMethodNotAllowed"}},
        }
    return item


# ---------------------------------------------------------------- document


def document():
    """The OpenAPI 3.1 description, as a dict."""
    paths = openapi_oauth2.paths()
    schemas = {}
    summaries = {
        "workflow_event": "Workflow event: START / COMPLETE / REJECT / CANCEL (spec part 2 §2.1)",
        "approval_log_event": "Approval logs of an order (spec part 2 §2.2)",
    }
    for path, (endpoint_name, operation_id, body_name) in WEBHOOKS.items():
        schemas[body_name] = json_schema.endpoint_schema(endpoint_name)
        paths[path] = _webhook_path(operation_id, body_name, summaries[endpoint_name])
    schemas.update(_webhook_schemas())
    schemas.update(openapi_oauth2.schemas())
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Odoo endpoints for aiflow (aiflow_connector)",
            "version": "1.0.0",
            "license": {"name": "LGPL-3.0-or-later", "identifier": "LGPL-3.0-or-later"},
            "description": _DESCRIPTION,
        },
        "servers": [{"url": "/", "description": "The Odoo server that serves this file."}],
        "tags": [
            {"name": "oauth2", "description": "Sign in to aiflow with an Odoo account."},
            {"name": "webhooks", "description": "Signed calls from aiflow."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": _webhook_responses(),
            "securitySchemes": {
                "aSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": SIGNATURE_HEADER,
                    "description": "HMAC-SHA256 of the raw body (see the description above).",
                },
                "clientBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "client_secret_basic (RFC 6749 §2.3.1).",
                },
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from the token endpoint.",
                },
            },
        },
    }


def render():
    """The shipped file's exact text."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
