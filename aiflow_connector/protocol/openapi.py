"""OpenAPI 3.1 description of the five HTTP endpoints Odoo serves to aiflow.

OAuth2 authorize / token / userinfo (spec part 2 §1, ``controllers/oauth2.py``)
and the two signed webhooks (spec part 2 §2, the lead's HTTP contract). The
webhook request bodies come from ``schema.py``'s inbound rules through
``json_schema.py``; the rest is written here to match what the controllers
answer. The addon ships the result as
``static/openapi/odoo-endpoints.json`` (``scripts/openapi.py`` writes it; a
test fails when the shipped file differs from :func:`document`).
"""

import json

from . import json_schema, oauth2
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

OAUTH_ERRORS = (
    oauth2.ERROR_INVALID_REQUEST,
    oauth2.ERROR_INVALID_CLIENT,
    oauth2.ERROR_INVALID_GRANT,
    oauth2.ERROR_UNAUTHORIZED_CLIENT,
    oauth2.ERROR_UNSUPPORTED_GRANT_TYPE,
    oauth2.ERROR_INVALID_SCOPE,
    oauth2.ERROR_INVALID_TOKEN,
)

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


# ---------------------------------------------------------------- OAuth2


def _string(max_length=oauth2.MAX_PARAM_LENGTH, **extra):
    return {"type": "string", "maxLength": max_length, **extra}


_NO_STORE_HEADERS = {
    "Cache-Control": {"schema": {"const": "no-store"}, "required": True},
    "Pragma": {"schema": {"const": "no-cache"}, "required": True},
}


def _oauth_schemas():
    grant_types = [oauth2.GRANT_AUTHORIZATION_CODE, oauth2.GRANT_REFRESH_TOKEN]
    common = {
        "code": _string(description="The authorization code (authorization_code grant)."),
        "scope": _string(description="Only `basic`; a refresh may not widen the grant."),
    }
    return {
        "OAuthError": {
            "type": "object",
            "description": "RFC 6749 §5.2 error answer.",
            "required": ["error", "error_description"],
            "additionalProperties": False,
            "properties": {
                "error": {"type": "string", "enum": list(OAUTH_ERRORS)},
                "error_description": {"type": "string"},
            },
        },
        "TokenRequestJson": {
            "type": "object",
            "description": (
                "The aiflow dialect (spec part 2 §1.2). The client may authenticate "
                "with HTTP Basic instead of clientId/clientSecret."
            ),
            "required": ["grantType"],
            "properties": {
                "clientId": _string(),
                "clientSecret": _string(),
                "grantType": {"type": "string", "enum": grant_types},
                "redirectUri": _string(description="The redirect_uri of the authorization."),
                "refreshToken": _string(description="For the refresh_token grant."),
                "codeVerifier": _string(description="PKCE (RFC 7636) verifier, S256 only."),
                **common,
            },
        },
        "TokenRequestForm": {
            "type": "object",
            "description": (
                "Standard RFC 6749 §4.1.3 / §6, client_secret_post or HTTP Basic "
                "(client_secret_basic)."
            ),
            "required": ["grant_type"],
            "properties": {
                "client_id": _string(),
                "client_secret": _string(),
                "grant_type": {"type": "string", "enum": grant_types},
                "redirect_uri": _string(),
                "refresh_token": _string(),
                "code_verifier": _string(),
                **common,
            },
        },
        "TokenResponseJson": {
            "type": "object",
            "description": "Answer to a JSON request (spec part 2 §1.2).",
            "required": ["accessToken", "tokenType", "expiresIn", "refreshToken"],
            "additionalProperties": False,
            "properties": {
                "accessToken": {"type": "string", "minLength": 43},
                "tokenType": {"const": "Bearer"},
                "expiresIn": {"type": "integer", "minimum": 1},
                "refreshToken": {"type": "string", "minLength": 43},
            },
        },
        "TokenResponseForm": {
            "type": "object",
            "description": "Answer to a form request (RFC 6749 §5.1).",
            "required": ["access_token", "token_type", "expires_in", "refresh_token", "scope"],
            "additionalProperties": False,
            "properties": {
                "access_token": {"type": "string", "minLength": 43},
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer", "minimum": 1},
                "refresh_token": {"type": "string", "minLength": 43},
                "scope": {"type": "string"},
            },
        },
        "UserInfo": {
            "type": "object",
            "description": (
                "Spec part 2 §1.3. `userId` is the user's aiflow code (the one user "
                "sync sends); empty strings where Odoo has no value."
            ),
            "required": [
                "userId",
                "username",
                "name",
                "phoneNumber",
                "email",
                "deptId",
                "deptName",
            ],
            "additionalProperties": False,
            "properties": {
                "userId": {"type": "string", "minLength": 1},
                "username": {"type": "string", "minLength": 1},
                "name": {"type": "string"},
                "phoneNumber": {"type": "string"},
                "email": {"type": "string"},
                "deptId": {"type": "string"},
                "deptName": {"type": "string"},
            },
        },
    }


def _oauth_error_response(description, extra_headers=None):
    return {
        "description": description,
        "headers": {**_NO_STORE_HEADERS, **(extra_headers or {})},
        "content": _json_content(_ref("OAuthError")),
    }


def _authorize_parameters():
    def query(name, description, required=False, **schema):
        return {
            "name": name,
            "in": "query",
            "required": required,
            "description": description,
            "schema": _string(**schema),
        }

    return [
        query("client_id", "The OAuth2 client id (Settings; defaults to the app id).", True),
        query("redirect_uri", "Exactly one of the registered redirect URIs.", True),
        query("response_type", "Only `code`.", True, enum=["code"]),
        query("state", "Opaque value echoed back (visible ASCII).", True, minLength=1),
        query("scope", "Only `basic` (the default)."),
        query("code_challenge", "PKCE S256 challenge (43 base64url characters)."),
        query("code_challenge_method", "Only `S256` (plain is refused).", enum=["S256"]),
    ]


def _oauth_paths():
    error_400 = _oauth_error_response(
        "`invalid_request`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope`."
    )
    token_ok = {
        "description": (
            "Tokens in the dialect of the request: camelCase for JSON, RFC 6749 "
            "snake_case (with `scope`) for form data."
        ),
        "headers": dict(_NO_STORE_HEADERS),
        "content": _json_content({"oneOf": [_ref("TokenResponseJson"), _ref("TokenResponseForm")]}),
    }
    return {
        "/odoo/api/oauth2/authorize": {
            "get": {
                "operationId": "oauth2Authorize",
                "tags": ["oauth2"],
                "summary": "Authorization endpoint (RFC 6749 §4.1.1)",
                "description": (
                    "Signs the visitor in with Odoo's login page, then sends them back "
                    "to aiflow with a one-time code. No consent screen: aiflow is the "
                    "company's own application, registered by the administrator."
                ),
                "parameters": _authorize_parameters(),
                "responses": {
                    "302": {
                        "description": (
                            "To `redirect_uri` with `code` and `state`, or with `error`, "
                            "`error_description` (and `state` when it was valid)."
                        ),
                        "headers": {
                            "Location": {"schema": {"type": "string"}, "required": True},
                            **_NO_STORE_HEADERS,
                        },
                    },
                    "303": {
                        "description": "Not signed in to Odoo: to `/web/login`, then back here.",
                        "headers": {
                            "Location": {
                                "schema": {
                                    "type": "string",
                                    "pattern": "^(https?://[^/]+)?/web/login",
                                },
                                "required": True,
                            }
                        },
                    },
                    "400": {
                        "description": (
                            "Unknown client, or redirect_uri missing or not registered: an "
                            "error page, never a redirect (no open redirector)."
                        ),
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                },
            }
        },
        "/odoo/api/oauth2/token": {
            "post": {
                "operationId": "oauth2Token",
                "tags": ["oauth2"],
                "summary": "Token endpoint (RFC 6749 §4.1.3, §6)",
                "security": [{}, {"clientBasic": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref("TokenRequestJson")},
                        "application/x-www-form-urlencoded": {"schema": _ref("TokenRequestForm")},
                    },
                },
                "responses": {
                    "200": token_ok,
                    "400": error_400,
                    "401": _oauth_error_response(
                        "`invalid_client`; with `WWW-Authenticate: Basic` when the client "
                        "used HTTP Basic.",
                        {"WWW-Authenticate": {"schema": {"type": "string"}}},
                    ),
                    "429": _oauth_error_response(
                        "`invalid_client`: too many failed client authentications from "
                        "this address; retry after the given seconds.",
                        {
                            "Retry-After": {
                                "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                "required": True,
                            }
                        },
                    ),
                },
            }
        },
        "/odoo/api/oauth2/userinfo": {
            method: {
                "operationId": f"oauth2Userinfo{method.capitalize()}",
                "tags": ["oauth2"],
                "summary": "User info (spec part 2 §1.3)",
                "security": [{"bearerToken": []}],
                "responses": {
                    "200": {
                        "description": "The signed-in user.",
                        "headers": dict(_NO_STORE_HEADERS),
                        "content": _json_content(_ref("UserInfo")),
                    },
                    "401": _oauth_error_response(
                        "`invalid_token` (RFC 6750 §3): missing, malformed, unknown, "
                        "expired or revoked access token.",
                        {
                            "WWW-Authenticate": {
                                "schema": {"type": "string", "pattern": "^Bearer "},
                                "required": True,
                            }
                        },
                    ),
                },
            }
            for method in ("get", "post")
        },
    }


# ---------------------------------------------------------------- document


def document():
    """The OpenAPI 3.1 description, as a dict."""
    paths = _oauth_paths()
    schemas = {}
    summaries = {
        "workflow_event": "Workflow event: START / COMPLETE / REJECT / CANCEL (spec part 2 §2.1)",
        "approval_log_event": "Approval logs of an order (spec part 2 §2.2)",
    }
    for path, (endpoint_name, operation_id, body_name) in WEBHOOKS.items():
        schemas[body_name] = json_schema.endpoint_schema(endpoint_name)
        paths[path] = _webhook_path(operation_id, body_name, summaries[endpoint_name])
    schemas.update(_webhook_schemas())
    schemas.update(_oauth_schemas())
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
