"""The OAuth2 part of the OpenAPI description (``openapi.py``): authorize,
token and userinfo as ``controllers/oauth2.py`` answers them, with the
names, limits and error codes of ``protocol/oauth2.py``."""

from . import oauth2

OAUTH_ERRORS = (
    oauth2.ERROR_INVALID_REQUEST,
    oauth2.ERROR_INVALID_CLIENT,
    oauth2.ERROR_INVALID_GRANT,
    oauth2.ERROR_UNAUTHORIZED_CLIENT,
    oauth2.ERROR_UNSUPPORTED_GRANT_TYPE,
    oauth2.ERROR_INVALID_SCOPE,
    oauth2.ERROR_INVALID_TOKEN,
)


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json_content(schema):
    return {"application/json": {"schema": schema}}


def _string(max_length=oauth2.MAX_PARAM_LENGTH, **extra):
    return {"type": "string", "maxLength": max_length, **extra}


_NO_STORE_HEADERS = {
    "Cache-Control": {"schema": {"const": "no-store"}, "required": True},
    "Pragma": {"schema": {"const": "no-cache"}, "required": True},
}


def schemas():
    """Component schemas: the RFC 6749 error, both token dialects, userinfo."""
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


def _error_response(description, extra_headers=None):
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


def paths():
    """Path items of authorize, token and userinfo."""
    error_400 = _error_response(
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
                    "401": _error_response(
                        "`invalid_client`; with `WWW-Authenticate: Basic` when the client "
                        "used HTTP Basic.",
                        {"WWW-Authenticate": {"schema": {"type": "string"}}},
                    ),
                    "429": _error_response(
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
                    "401": _error_response(
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
