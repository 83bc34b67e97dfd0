"""The OAuth2 token endpoint's requests and answers, and bearer tokens, in
plain Python (RFC 6749, 6750); the rules they share with the authorization
endpoint (errors, limits) are in :mod:`.oauth2`.

Two dialects of the token endpoint exist side by side:

* ``json``: the aiflow spec (part 2, 1.2): a JSON body with camelCase names
  (clientId, clientSecret, grantType, code, redirectUri, refreshToken), answered
  with camelCase (accessToken, tokenType, expiresIn, refreshToken);
* ``form``: standard RFC 6749 ``application/x-www-form-urlencoded`` with
  client_secret_post or HTTP Basic client authentication, answered with the
  standard snake_case names so that off-the-shelf client libraries work.

Error messages are English data, as in :mod:`.oauth2`.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from .oauth2 import (
    MAX_BODY_BYTES,
    MAX_PARAM_LENGTH,
    invalid_client,
    invalid_request,
    invalid_token,
)

DIALECT_JSON = "json"
DIALECT_FORM = "form"

# RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


# ---------------------------------------------------------------- token endpoint


@dataclass
class TokenRequest:
    dialect: str
    client_id: str = None
    client_secret: str = None
    basic_auth_used: bool = False
    grant_type: str = None
    code: str = None
    redirect_uri: str = None
    refresh_token: str = None
    code_verifier: str = None
    scope: str = None


_JSON_FIELDS = {
    "clientId": "client_id",
    "clientSecret": "client_secret",
    "grantType": "grant_type",
    "code": "code",
    "redirectUri": "redirect_uri",
    "refreshToken": "refresh_token",
    "codeVerifier": "code_verifier",
    "scope": "scope",
}
_FORM_FIELDS = {
    "client_id": "client_id",
    "client_secret": "client_secret",
    "grant_type": "grant_type",
    "code": "code",
    "redirect_uri": "redirect_uri",
    "refresh_token": "refresh_token",
    "code_verifier": "code_verifier",
    "scope": "scope",
}


def media_type(content_type):
    """``application/json; charset=utf-8`` -> ``application/json``."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _parse_basic(authorization):
    """(client_id, client_secret) from an HTTP Basic header, or None when the
    header is not Basic. RFC 6749 2.3.1: both parts are form-urlencoded
    before being joined, so they are decoded after base64."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_client("The Basic authorization header is malformed.", True) from None
    if ":" not in decoded:
        raise invalid_client("The Basic authorization header is malformed.", True)
    client_id, _, client_secret = decoded.partition(":")
    return unquote(client_id.replace("+", " ")), unquote(client_secret.replace("+", " "))


def parse_token_request(content_type, body, authorization=None):
    """Parse a token request in either dialect.

    ``body`` is the raw request bytes. Raises OAuthError for anything that is
    not a well-formed request; authentication and grant checks are the
    caller's (they need the database).
    """
    if body is None:
        body = b""
    if len(body) > MAX_BODY_BYTES:
        raise invalid_request("The request body is too large.")
    kind = media_type(content_type)
    if kind == "application/json":
        dialect = DIALECT_JSON
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise invalid_request("The request body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise invalid_request("The request body must be a JSON object.")
        names = _JSON_FIELDS
        items = list(payload.items())
    elif kind == "application/x-www-form-urlencoded":
        dialect = DIALECT_FORM
        try:
            text = body.decode("utf-8")
            items = parse_qsl(
                text, keep_blank_values=True, strict_parsing=bool(text), errors="strict"
            )
        except (UnicodeDecodeError, ValueError):
            raise invalid_request("The request body is not valid form data.") from None
        names = _FORM_FIELDS
    else:
        raise invalid_request(
            "Unsupported content type: send application/json or application/x-www-form-urlencoded."
        )

    request = TokenRequest(dialect=dialect)
    seen = set()
    for key, value in items:
        attr = names.get(key)
        if attr is None:
            continue
        if attr in seen:
            # RFC 6749 3.2: parameters must not be included more than once.
            raise invalid_request(f"Repeated parameter: {key}.")
        seen.add(attr)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise invalid_request(f"The parameter {key} must be a string.")
        if len(value) > MAX_PARAM_LENGTH or "\x00" in value:
            raise invalid_request(f"The parameter {key} is too long or malformed.")
        setattr(request, attr, value)

    basic = _parse_basic(authorization)
    if basic is not None:
        if request.client_secret is not None:
            # RFC 6749 2.3: one authentication method per request.
            raise invalid_request("Use either HTTP Basic or client_secret in the body, not both.")
        if request.client_id is not None and request.client_id != basic[0]:
            raise invalid_request("client_id differs from the HTTP Basic user name.")
        request.client_id, request.client_secret = basic
        request.basic_auth_used = True

    if not request.grant_type:
        raise invalid_request("The grant type is missing.")
    if not request.client_id:
        raise invalid_client("Client authentication is required.", request.basic_auth_used)
    return request


def token_response(dialect, access_token, refresh_token, expires_in, scope):
    """The success body in the dialect the client spoke.

    The JSON dialect answers exactly the four names of the spec; the form
    dialect adds ``scope`` as RFC 6749 5.1 recommends.
    """
    if dialect == DIALECT_JSON:
        return {
            "accessToken": access_token,
            "tokenType": "Bearer",
            "expiresIn": expires_in,
            "refreshToken": refresh_token,
        }
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "scope": scope,
    }


# Responses carrying credentials must not be cached (RFC 6749 5.1).
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


# ---------------------------------------------------------------- bearer


def parse_bearer(authorization):
    """The access token of an ``Authorization: Bearer`` header.

    Raises OAuthError(invalid_token) when the header is missing or malformed.
    """
    if not authorization:
        raise invalid_token("The access token is missing.")
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise invalid_token("The Authorization header must be 'Bearer <access token>'.")
    if len(value) > MAX_PARAM_LENGTH or not _B64TOKEN_RE.match(value):
        raise invalid_token("The access token is malformed.")
    return value
