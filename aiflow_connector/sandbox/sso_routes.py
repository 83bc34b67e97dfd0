# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sandbox's SSO routes (spec part 1 §3): the login it starts, Odoo's
callback, who is logged in, and the token refresh aiflow offers."""

import copy
import secrets

from . import envelope as env
from . import pages
from .exchange import html_reply, json_reply, parse_json, redirect, require_json_content_type
from .oauth_client import OAuthError
from .state import utc_now_text

SESSION_COOKIE = "aiflow_sandbox_session"


class SsoRoutes:
    """Mixed into :class:`.server.SandboxServer`."""

    def _login(self, exchange):
        return redirect(self.oauth_client.authorize_url(self._login_states.issue()))

    def _oauth_callback(self, exchange):
        query = exchange.query
        state_ok = self._login_states.consume(query.get("state"))
        if query.get("error"):
            return html_reply(
                400,
                pages.error_page(
                    "Odoo refused the login / Odoo 拒绝登录",
                    query["error"],
                    query.get("error_description", ""),
                ),
            )
        if not state_ok:
            return html_reply(
                400,
                pages.error_page(
                    "Login refused / 登录被拒绝",
                    "invalid_state",
                    "The state parameter is missing, unknown, expired or already used "
                    "(possible CSRF). state 参数缺失、未知、过期或已使用。",
                ),
            )
        if not query.get("code"):
            return html_reply(
                400,
                pages.error_page(
                    "Login refused / 登录被拒绝", "invalid_request", "code is missing"
                ),
            )
        client = self.oauth_client
        try:
            tokens = client.exchange_code(query["code"])
            userinfo = client.userinfo(tokens["accessToken"])
        except OAuthError as exc:
            return html_reply(
                502, pages.error_page("Login failed / 登录失败", exc.error, exc.description)
            )
        session_id = secrets.token_urlsafe(24)
        login = {
            "time": utc_now_text(),
            "userinfo": userinfo,
            "accessToken": tokens.get("accessToken"),
            "tokenType": tokens.get("tokenType"),
            "expiresIn": tokens.get("expiresIn"),
            "refreshToken": tokens.get("refreshToken"),
        }
        with self._sessions_lock:
            self._sessions[session_id] = login
        self._state.record("logins", copy.deepcopy(login))
        cookie = f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
        return redirect("/sandbox/whoami", headers=[("Set-Cookie", cookie)])

    def _whoami(self, exchange):
        session_id = exchange.cookie(SESSION_COOKIE)
        with self._sessions_lock:
            login = self._sessions.get(session_id) if session_id else None
            userinfo = copy.deepcopy(login["userinfo"]) if login else None
        return html_reply(200 if userinfo else 401, pages.whoami_page(userinfo))

    def _oauth_refresh(self, exchange):
        require_json_content_type(exchange)
        try:
            payload = parse_json(exchange.body())
        except ValueError as exc:
            raise env.invalid(env.INVALID_JSON, str(exc)) from exc
        refresh_token = payload.get("refreshToken") if isinstance(payload, dict) else None
        if not isinstance(refresh_token, str) or not refresh_token:
            raise env.invalid(env.INVALID_PARAMETER, "refreshToken: required, a non-empty string")
        try:
            tokens = self.oauth_client.refresh(refresh_token)
        except OAuthError as exc:
            status = (
                env.STATUS_GENERAL
                if exc.error in ("temporarily_unavailable", "invalid_response")
                else env.STATUS_INVALID
            )
            return json_reply(200, env.failure(status, exc.error, exc.description))
        data = {
            "accessToken": tokens["accessToken"],
            # Odoo may keep the refresh token instead of rotating it
            "refreshToken": tokens.get("refreshToken") or refresh_token,
            "expiresIn": tokens.get("expiresIn"),
        }
        with self._sessions_lock:
            for login in self._sessions.values():
                if login.get("refreshToken") == refresh_token:
                    login.update(accessToken=data["accessToken"], refreshToken=data["refreshToken"])
        return json_reply(200, env.success(data))
