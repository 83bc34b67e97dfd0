"""OAuth2 authorization-server rules in plain Python (RFC 6749, 6750, 7636).

Odoo's controllers and models are thin layers over this module: parsing and
validating requests, PKCE, token generation and hashing, redirect URI
matching and the two response dialects live here, so they can be tested
without Odoo.

The token endpoint's requests and answers, and bearer tokens, are in
:mod:`.oauth2_token`.

Error messages are English data; the Odoo layer does not translate them
because OAuth2 error descriptions are meant for client developers.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"

SCOPE_BASIC = "basic"
SUPPORTED_SCOPES = frozenset({SCOPE_BASIC})

PKCE_METHOD_S256 = "S256"

# 32 bytes = 256 random bits, the floor the issue sets for codes and tokens.
TOKEN_BYTES = 32

# Large enough for any honest request (a few hundred bytes), small enough that
# nobody makes us parse megabytes.
MAX_BODY_BYTES = 16 * 1024
MAX_PARAM_LENGTH = 2048

# RFC 7636 4.1: code_verifier = 43*128unreserved; the S256 challenge is the
# unpadded base64url of a SHA-256 digest, always 43 characters.
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
# RFC 6749 A.5 state / A.4 scope: visible ASCII only.
_VSCHAR_RE = re.compile(r"^[\x20-\x7e]+$")
_SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")

ERROR_INVALID_REQUEST = "invalid_request"
ERROR_INVALID_CLIENT = "invalid_client"
ERROR_INVALID_GRANT = "invalid_grant"
ERROR_UNAUTHORIZED_CLIENT = "unauthorized_client"
ERROR_UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
ERROR_UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
ERROR_INVALID_SCOPE = "invalid_scope"
ERROR_ACCESS_DENIED = "access_denied"
ERROR_INVALID_TOKEN = "invalid_token"


class OAuthError(Exception):
    """An OAuth2 error answer: ``error`` code, description, HTTP status."""

    def __init__(self, error, description, status=400, headers=None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})

    def body(self):
        return {"error": self.error, "error_description": self.description}


def invalid_request(description):
    return OAuthError(ERROR_INVALID_REQUEST, description, 400)


def invalid_grant(description):
    return OAuthError(ERROR_INVALID_GRANT, description, 400)


def invalid_client(description, basic_auth_used=False):
    # RFC 6749 5.2: a client that authenticated with the Authorization header
    # must get a WWW-Authenticate challenge back with the 401.
    headers = {"WWW-Authenticate": 'Basic realm="odoo"'} if basic_auth_used else {}
    return OAuthError(ERROR_INVALID_CLIENT, description, 401, headers)


def invalid_token(description, realm="odoo"):
    """401 for the resource endpoint, with the RFC 6750 3 challenge."""
    safe = description.replace("\\", "").replace('"', "'")
    challenge = f'Bearer realm="{realm}", error="{ERROR_INVALID_TOKEN}", error_description="{safe}"'
    return OAuthError(ERROR_INVALID_TOKEN, description, 401, {"WWW-Authenticate": challenge})


# ---------------------------------------------------------------- secrets


def generate_token():
    """A new opaque code or token: 256 random bits, URL-safe, 43 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token):
    """SHA-256 hex digest of a code or token.

    Codes and tokens carry 256 random bits, so a fast unsalted hash is enough:
    nobody can invert it or enumerate the input space, and being
    deterministic it lets the database look the row up by its hash.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def constant_time_equals(a, b):
    """Compare two strings without leaking where they differ."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# ---------------------------------------------------------------- PKCE


def is_valid_code_verifier(verifier):
    return isinstance(verifier, str) and bool(_VERIFIER_RE.match(verifier))


def is_valid_s256_challenge(challenge):
    return isinstance(challenge, str) and bool(_S256_CHALLENGE_RE.match(challenge))


def s256_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_pkce_s256(verifier, challenge):
    """True when ``verifier`` is well formed and hashes to ``challenge``."""
    if not is_valid_code_verifier(verifier) or not is_valid_s256_challenge(challenge):
        return False
    return constant_time_equals(s256_challenge(verifier), challenge)


# ---------------------------------------------------------------- redirect URIs


def parse_redirect_uris(text):
    """Registered redirect URIs: one per line, blank lines ignored."""
    if not text:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def is_registered_redirect_uri(uri, registered):
    """Exact, character-for-character match (RFC 6749 3.1.2.2 / OAuth 2.1).

    No prefix, no normalisation: ``https://a.example/cb?x=1`` or
    ``https://a.example/cb/../evil`` are different URIs.
    """
    if not isinstance(uri, str) or not uri:
        return False
    return any(uri == candidate for candidate in registered)


def is_acceptable_redirect_uri(uri):
    """What an admin may register: absolute http(s) URI without fragment."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def with_query(uri, params):
    """``uri`` with ``params`` added to its query, keeping what is there
    (RFC 6749 3.1.2: the query component of the registered URI must be kept)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, v) for k, v in params.items() if v is not None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# ---------------------------------------------------------------- scope / state


def normalize_scope(scope):
    """Validated scope string; an absent scope means ``basic``.

    Raises OAuthError(invalid_scope) for unknown or malformed scopes.
    """
    if scope is None or scope.strip() == "":
        return SCOPE_BASIC
    tokens = scope.split(" ")
    if any(not _SCOPE_TOKEN_RE.match(t) for t in tokens):
        raise OAuthError(ERROR_INVALID_SCOPE, "The scope is malformed.")
    unknown = sorted(set(tokens) - SUPPORTED_SCOPES)
    if unknown:
        raise OAuthError(ERROR_INVALID_SCOPE, f"Unsupported scope: {' '.join(unknown)}.")
    return " ".join(sorted(set(tokens)))


def is_valid_state(state):
    return (
        isinstance(state, str)
        and 0 < len(state) <= MAX_PARAM_LENGTH
        and bool(_VSCHAR_RE.match(state))
    )


# ---------------------------------------------------------------- authorize


@dataclass
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    response_type: str = None
    scope: str = None
    state: str = None
    code_challenge: str = None
    code_challenge_method: str = None


class AuthorizeClientError(Exception):
    """The client or its redirect URI cannot be trusted: show an error page,
    never redirect (RFC 6749 4.1.2.1, no open redirector)."""

    def __init__(self, error, description):
        super().__init__(description)
        self.error = error
        self.description = description


AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def parse_authorize_request(pairs, client_id_expected, registered_redirect_uris):
    """Check an authorization request, in the order RFC 6749 4.1.2.1 asks.

    ``pairs`` is the query as a list of (name, value) pairs. Returns an
    AuthorizeRequest; raises AuthorizeClientError for problems that must not
    redirect, OAuthError (with the request attached as ``.request``) for the
    problems that redirect to the registered URI.
    """
    values = {}
    duplicated = set()
    for name, value in pairs:
        if name in AUTHORIZE_PARAMS:
            if name in values:
                duplicated.add(name)
            values[name] = value
    client_id = values.get("client_id")
    redirect_uri = values.get("redirect_uri")
    if "client_id" in duplicated or not client_id or len(client_id) > MAX_PARAM_LENGTH:
        raise AuthorizeClientError(
            ERROR_INVALID_REQUEST, "The client_id parameter is missing or invalid."
        )
    if not client_id_expected or not constant_time_equals(client_id, client_id_expected):
        raise AuthorizeClientError(ERROR_INVALID_CLIENT, "Unknown client.")
    if "redirect_uri" in duplicated or not redirect_uri:
        raise AuthorizeClientError(
            ERROR_INVALID_REQUEST, "The redirect_uri parameter is missing or repeated."
        )
    if not is_registered_redirect_uri(redirect_uri, registered_redirect_uris):
        raise AuthorizeClientError(
            ERROR_INVALID_REQUEST, "The redirect_uri is not registered for this client."
        )

    request = AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        response_type=values.get("response_type"),
        scope=values.get("scope"),
        state=values.get("state"),
        code_challenge=values.get("code_challenge"),
        code_challenge_method=values.get("code_challenge_method"),
    )

    def fail(error, description):
        err = OAuthError(error, description, 302)
        err.request = request
        # An invalid state is not echoed back: it is not a value we can trust.
        if not is_valid_state(request.state) or "state" in duplicated:
            request.state = None
        return err

    if duplicated:
        raise fail(ERROR_INVALID_REQUEST, f"Repeated parameter: {', '.join(sorted(duplicated))}.")
    if not request.state:
        raise fail(ERROR_INVALID_REQUEST, "The state parameter is required.")
    if not is_valid_state(request.state):
        raise fail(ERROR_INVALID_REQUEST, "The state parameter is malformed.")
    if request.response_type != "code":
        raise fail(ERROR_UNSUPPORTED_RESPONSE_TYPE, "Only response_type=code is supported.")
    try:
        request.scope = normalize_scope(request.scope)
    except OAuthError as exc:
        raise fail(exc.error, exc.description) from None
    if request.code_challenge is not None or request.code_challenge_method is not None:
        # RFC 7636 4.3: "plain" is refused; an absent method means plain.
        if request.code_challenge_method != PKCE_METHOD_S256:
            raise fail(ERROR_INVALID_REQUEST, "Only code_challenge_method=S256 is supported.")
        if not is_valid_s256_challenge(request.code_challenge):
            raise fail(ERROR_INVALID_REQUEST, "The code_challenge is malformed.")
    return request


def authorize_success_uri(redirect_uri, code, state):
    return with_query(redirect_uri, {"code": code, "state": state})


def authorize_error_uri(redirect_uri, error, description, state):
    return with_query(
        redirect_uri,
        {"error": error, "error_description": description, "state": state},
    )
