# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""aiflow as an OAuth2 client of Odoo (spec part 1 §3, part 2 §1).

Authorization-code flow: the browser is sent to Odoo's authorize endpoint
with a random ``state``; Odoo sends it back to the callback with a ``code``,
which is exchanged at Odoo's token endpoint (camelCase JSON body), and the
access token then buys the user's identity at Odoo's userinfo endpoint.
"""

import secrets
import threading
import time
from urllib.parse import urlencode

import requests

AUTHORIZE_PATH = "/odoo/api/oauth2/authorize"
TOKEN_PATH = "/odoo/api/oauth2/token"
USERINFO_PATH = "/odoo/api/oauth2/userinfo"
CALLBACK_PATH = "/aflow/api/oauth2/callback"
REFRESH_PATH = "/aflow/api/oauth2/refresh"
SCOPE = "basic"

STATE_TTL_SECONDS = 600
USERINFO_FIELDS = ("userId", "username", "name", "phoneNumber", "email", "deptId", "deptName")


class OAuthError(Exception):
    """Odoo refused or could not be asked; ``error`` is an OAuth2 error code."""

    def __init__(self, error, description, http_status=None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.http_status = http_status


class LoginStates:
    """Server-side ``state`` values: issued once, accepted once, expiring."""

    def __init__(self, ttl=STATE_TTL_SECONDS):
        self._ttl = ttl
        self._lock = threading.Lock()
        self._issued = {}

    def issue(self):
        state = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._issued = {s: t for s, t in self._issued.items() if now - t < self._ttl}
            self._issued[state] = now
        return state

    def consume(self, state):
        """True when ``state`` was issued here, is fresh, and not yet used."""
        if not state:
            return False
        with self._lock:
            issued_at = self._issued.pop(state, None)
        return issued_at is not None and time.monotonic() - issued_at < self._ttl

    def clear(self):
        with self._lock:
            self._issued.clear()


class OdooOAuthClient:
    def __init__(self, odoo_url, client_id, client_secret, redirect_uri, timeout=(5.0, 15.0)):
        self.odoo_url = odoo_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout

    def authorize_url(self, state):
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": SCOPE,
                "state": state,
            }
        )
        return f"{self.odoo_url}{AUTHORIZE_PATH}?{query}"

    def exchange_code(self, code):
        return self._token(
            {
                "clientId": self.client_id,
                "clientSecret": self.client_secret,
                "grantType": "authorization_code",
                "code": code,
                "redirectUri": self.redirect_uri,
            }
        )

    def refresh(self, refresh_token):
        return self._token(
            {
                "clientId": self.client_id,
                "clientSecret": self.client_secret,
                "grantType": "refresh_token",
                "refreshToken": refresh_token,
            }
        )

    def userinfo(self, access_token):
        answer = self._post(USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"})
        if answer.get("userId") in (None, ""):
            raise OAuthError("invalid_response", "userinfo has no userId")
        return answer

    def _token(self, body):
        answer = self._post(TOKEN_PATH, json=body)
        if not isinstance(answer.get("accessToken"), str) or not answer["accessToken"]:
            raise OAuthError("invalid_response", "token answer has no accessToken")
        return answer

    def _post(self, path, **kwargs):
        url = f"{self.odoo_url}{path}"
        try:
            response = requests.post(url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise OAuthError(
                "temporarily_unavailable", f"Odoo did not answer in time ({path})"
            ) from exc
        except requests.RequestException as exc:
            raise OAuthError(
                "temporarily_unavailable", f"Odoo cannot be reached ({path}): {type(exc).__name__}"
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise OAuthError(
                "invalid_response",
                f"Odoo answered HTTP {response.status_code} without a JSON object ({path})",
                response.status_code,
            )
        if response.status_code != 200 or "error" in answer:
            raise OAuthError(
                str(answer.get("error") or f"http_{response.status_code}"),
                str(answer.get("error_description") or answer.get("errorDescription") or ""),
                response.status_code,
            )
        return answer
