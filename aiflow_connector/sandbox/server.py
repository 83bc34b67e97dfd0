# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The strict aiflow sandbox: an HTTP server playing aiflow's side of the spec.

Routes
------
aiflow API (spec part 1), each signed with ``A-Signature`` over the raw body:
    the ten endpoints of ``state.SERVED_ENDPOINTS`` at their schema paths.
    Checks, in order: path (404, -4001), method (405, -4001), injected
    failure, signature (403, -4002 INVALID_SIGNATURE), Content-Type
    application/json (415, -4002), UTF-8 JSON object (200, -4002), schema and
    aiflow's rules (200, -4002; per record for department/user sync).
SSO (spec part 1 §3):
    GET  /sandbox/login               starts the authorization-code flow
    GET  /aflow/api/oauth2/callback   code -> token -> userinfo -> session
    GET  /sandbox/whoami              who is logged in (HTML, element ids)
    POST /aflow/api/oauth2/refresh    {"refreshToken"} -> new tokens (envelope)
Control (never subject to injected failures, not recorded in ``calls``):
    GET  /                            index page
    GET  /sandbox/state               everything in memory, as JSON
    POST /sandbox/reset               forget everything
    POST /sandbox/fail                {"count", "mode", "hangSeconds"}
    POST /sandbox/down                {"seconds"}: refuse connections, then reopen
    POST /sandbox/slow                {"seconds", "jitterSeconds"}: answer every aiflow
                                      API call that much later (0: full speed again)
    POST /sandbox/push/workflow       body = event, ?secret= signs it wrongly
    POST /sandbox/push/approval_log   same, to Odoo's approval-log endpoint

``calls`` records every request to an ``/aflow/...`` path, known or not
(browser noise such as ``/favicon.ico`` and the control routes are left
out), with the time it arrived (``receivedAt``) and was answered (``time``).
This is a test double: the state JSON includes the OAuth tokens the sandbox
obtained so tests can drive the refresh endpoint; secrets of the credential
itself are never shown.

This module serves the aiflow API; the control routes are in
:mod:`.control_routes`, the SSO ones in :mod:`.sso_routes`, and a request,
its reply and the HTTP plumbing in :mod:`.exchange`.
"""

import copy
import json
import logging
import random
import threading

import requests

from ..protocol import schema
from ..protocol.signing import METHOD_SDK, SIGNATURE_HEADER, Signer, vendor_sdk_error
from . import envelope as env
from . import failures as fail
from .control_routes import ControlRoutes
from .exchange import (
    JSON_TYPE,
    Handler,
    HttpServer,
    html_reply,
    json_reply,
    parse_json,
    require_json_content_type,
)
from .oauth_client import CALLBACK_PATH, REFRESH_PATH, LoginStates, OdooOAuthClient
from .pusher import APPROVAL_LOG_PATH, WORKFLOW_EVENT_PATH, EventPusher
from .sso_routes import SsoRoutes
from .state import SERVED_ENDPOINTS, SandboxState, utc_now_text

_logger = logging.getLogger(__name__)

MAX_SLOW_SECONDS = 60
RECORDED_TEXT_LIMIT = 10000


class SandboxServer(ControlRoutes, SsoRoutes):
    """aiflow's side of the spec, in memory, on a thread; see module doc."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        credential=None,
        odoo_url="http://127.0.0.1:8069",
        *,
        oauth_client_id=None,
        oauth_client_secret="",
        public_url=None,
        signing_method="builtin",
        odoo_timeout=(5.0, 30.0),
    ):
        if credential is None:
            raise ValueError("credential is required (enterprise code, app id, app secret)")
        if signing_method == METHOD_SDK and vendor_sdk_error():
            # refuse now rather than answer every call with an internal error
            raise ValueError(f"the vendor signing SDK is unavailable: {vendor_sdk_error()}")
        self.host = host
        self.port = port
        self.credential = credential
        self.odoo_url = odoo_url.rstrip("/")
        self.oauth_client_id = oauth_client_id or credential.app_id
        self.oauth_client_secret = oauth_client_secret or ""
        self._public_url = public_url.rstrip("/") if public_url else None
        self.odoo_timeout = odoo_timeout
        self.signer = Signer(credential, signing_method)
        self.pusher = EventPusher(self.odoo_url, credential, signing_method, odoo_timeout)
        self._state = SandboxState()
        self._failures = fail.FailurePlan()
        self._slow_lock = threading.Lock()
        self._slowness = (0.0, 0.0)  # seconds, jitter seconds
        self._login_states = LoginStates()
        self._sessions = {}
        self._sessions_lock = threading.Lock()
        self._lifecycle = threading.RLock()
        self._httpd = None
        self._thread = None
        self._comeback_timer = None
        self._api_routes = {}
        for name in SERVED_ENDPOINTS:
            endpoint = schema.ENDPOINTS[name]
            self._api_routes[endpoint.path.rstrip("/")] = endpoint
        self._routes = {
            "/": ("GET", self._index),
            "/sandbox/state": ("GET", self._get_state),
            "/sandbox/reset": ("POST", self._post_reset),
            "/sandbox/fail": ("POST", self._post_fail),
            "/sandbox/down": ("POST", self._post_down),
            "/sandbox/slow": ("POST", self._post_slow),
            "/sandbox/login": ("GET", self._login),
            "/sandbox/whoami": ("GET", self._whoami),
            "/sandbox/push/workflow": ("POST", self._post_push_workflow),
            "/sandbox/push/approval_log": ("POST", self._post_push_approval_log),
            CALLBACK_PATH: ("GET", self._oauth_callback),
            REFRESH_PATH: ("POST", self._oauth_refresh),
        }

    # ------------------------------------------------------------------
    # lifecycle

    @property
    def url(self):
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    @property
    def public_url(self):
        return self._public_url or self.url

    @property
    def oauth_client(self):
        return OdooOAuthClient(
            self.odoo_url,
            self.oauth_client_id,
            self.oauth_client_secret,
            f"{self.public_url}{CALLBACK_PATH}",
            self.odoo_timeout,
        )

    @property
    def is_up(self):
        with self._lifecycle:
            return self._httpd is not None

    def start(self):
        with self._lifecycle:
            if self._httpd is None:
                self._listen()
        return self

    def _listen(self):
        httpd = HttpServer((self.host, self.port), Handler)
        httpd.sandbox = self
        # port 0 picks a free port once; coming back reuses it
        self.port = httpd.server_address[1]
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"aiflow-sandbox:{self.port}",
            daemon=True,
        )
        thread.start()
        self._httpd, self._thread = httpd, thread

    def _close(self):
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)

    def _cancel_comeback(self):
        if self._comeback_timer is not None:
            self._comeback_timer.cancel()
            self._comeback_timer = None

    def go_down(self, seconds=None):
        """Close the listening socket (connections are refused, not answered);
        with ``seconds``, reopen on the same port after that long."""
        with self._lifecycle:
            self._cancel_comeback()
            self._close()
            if seconds is not None:
                timer = threading.Timer(seconds, self.come_back)
                timer.daemon = True
                self._comeback_timer = timer
                timer.start()

    def come_back(self):
        with self._lifecycle:
            self._cancel_comeback()
            if self._httpd is None:
                self._listen()

    def stop(self):
        with self._lifecycle:
            self._cancel_comeback()
            self._failures.release()
            self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ------------------------------------------------------------------
    # control from Python

    def fail_next(self, n, mode=fail.MODE_HTTP503, hang_seconds=None):
        """The next ``n`` aiflow API calls fail: "http503" (HTTP 503, HTML body),
        "status-1024" (HTTP 200, status -1024) or "hang" (no answer for
        ``hang_seconds``, default 35, then HTTP 504)."""
        self._failures.arm(n, mode, hang_seconds)

    def slow_down(self, seconds, jitter_seconds=0):
        """Answer every aiflow API call ``seconds`` later, plus a random
        extra of up to ``jitter_seconds`` (calls in parallel then finish in
        any order, as with a loaded server); 0 and 0 is full speed."""
        for name, value in (("seconds", seconds), ("jitterSeconds", jitter_seconds)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= MAX_SLOW_SECONDS
            ):
                raise ValueError(f"{name} must be a number in [0, {MAX_SLOW_SECONDS}]")
        with self._slow_lock:
            self._slowness = (float(seconds), float(jitter_seconds))

    def _delay(self):
        with self._slow_lock:
            seconds, jitter = self._slowness
        delay = seconds + (random.uniform(0, jitter) if jitter else 0)
        if delay:
            # cut short like a hang when the sandbox is reset or stopped
            self._failures.hang(delay)

    def reset(self):
        self._failures.release()
        self.slow_down(0, 0)
        self._state.reset()
        self._login_states.clear()
        with self._sessions_lock:
            self._sessions.clear()

    @property
    def state(self):
        snapshot = self._state.snapshot()
        snapshot["pendingFailures"] = self._failures.pending()
        with self._slow_lock:
            seconds, jitter = self._slowness
        snapshot["slowness"] = {"seconds": seconds, "jitterSeconds": jitter}
        return snapshot

    @property
    def calls(self):
        return self._state.calls()

    def push_workflow_event(self, body, secret=None):
        return self._push("workflow", WORKFLOW_EVENT_PATH, body, secret)

    def push_approval_log(self, body, secret=None):
        return self._push("approval_log", APPROVAL_LOG_PATH, body, secret)

    def _push(self, kind, path, body, secret):
        entry = {"time": utc_now_text(), "kind": kind, "body": _recordable(body)}
        try:
            result = self.pusher.push(path, body, secret)
        except requests.RequestException as exc:
            entry["error"] = type(exc).__name__
            self._state.record("pushes", entry)
            raise
        entry.update(result)
        self._state.record("pushes", entry)
        return result

    # ------------------------------------------------------------------
    # request handling

    def _handle(self, exchange):
        endpoint = self._api_routes.get(exchange.path)
        if endpoint is not None:
            return self._serve_api(exchange, endpoint)
        route = self._routes.get(exchange.path)
        recorded = exchange.path.startswith("/aflow/")
        if route is None:
            reply = json_reply(
                404,
                env.failure(env.STATUS_UNSUPPORTED, env.NOT_FOUND, f"no API at {exchange.path}"),
            )
            if recorded:
                self._record_call(exchange, reply, None)
            return reply
        method, handler = route
        if exchange.method != method:
            reply = self._method_not_allowed(exchange, method)
        else:
            try:
                reply = handler(exchange)
            except env.ApiError as exc:
                reply = json_reply(exc.http_status, exc.envelope())
        if recorded:
            self._record_call(exchange, reply, _redacted(exchange))
        return reply

    @staticmethod
    def _method_not_allowed(exchange, allowed):
        return json_reply(
            405,
            env.failure(
                env.STATUS_UNSUPPORTED,
                env.METHOD_NOT_ALLOWED,
                f"{exchange.method} is not supported on {exchange.path}; use {allowed}",
            ),
            headers=[("Allow", allowed)],
        )

    def _record_call(self, exchange, reply, body, **extra):
        status = None
        if reply.content_type == JSON_TYPE:
            try:
                status = json.loads(reply.body).get("status")
            except (ValueError, AttributeError):
                status = None
        entry = {
            "receivedAt": exchange.received_at,
            "time": utc_now_text(),
            "method": exchange.method,
            "path": exchange.path,
            "httpStatus": reply.http_status,
            "status": status,
            "body": body,
        }
        entry.update(extra)
        self._state.record("calls", entry)

    def _serve_api(self, exchange, endpoint):
        if exchange.method != endpoint.method:
            reply = self._method_not_allowed(exchange, endpoint.method)
            self._record_call(exchange, reply, None)
            return reply
        try:
            raw = exchange.body()
        except env.ApiError as exc:
            reply = json_reply(exc.http_status, exc.envelope())
            self._record_call(exchange, reply, None)
            return reply
        body_for_record = _recordable(raw)
        self._delay()
        injected = self._failures.take()
        if injected is not None:
            return self._injected_failure(exchange, injected, body_for_record)
        signature = exchange.headers.get(SIGNATURE_HEADER)
        signature_valid = self.signer.verify(raw, signature)
        try:
            if not signature_valid:
                problem = (
                    f"{SIGNATURE_HEADER} header is missing"
                    if not signature
                    else f"{SIGNATURE_HEADER} does not match the request body"
                )
                raise env.ApiError(
                    env.STATUS_INVALID,
                    env.INVALID_SIGNATURE,
                    problem,
                    http_status=403,
                    msg=env.SIGNATURE_MSG,
                )
            require_json_content_type(exchange)
            try:
                payload = parse_json(raw)
            except ValueError as exc:
                raise env.invalid(env.INVALID_JSON, str(exc)) from exc
            if not isinstance(payload, dict):
                raise env.invalid(
                    env.INVALID_PARAMETER,
                    f"request body must be a JSON object, not {type(payload).__name__}",
                )
            reply = json_reply(200, env.success(self._state.apply(endpoint.name, payload)))
        except env.ApiError as exc:
            reply = json_reply(exc.http_status, exc.envelope())
        self._record_call(exchange, reply, body_for_record, signatureValid=signature_valid)
        return reply

    def _injected_failure(self, exchange, injected, body_for_record):
        mode, hang_seconds = injected
        if mode == fail.MODE_HTTP503:
            reply = html_reply(
                503,
                b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
                b"<body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                headers=[("Retry-After", "1")],
            )
        elif mode == fail.MODE_STATUS_1024:
            reply = json_reply(
                200,
                env.failure(env.STATUS_GENERAL, env.SYSTEM_BUSY, "injected failure: system busy"),
            )
        else:
            reply = json_reply(
                504,
                env.failure(
                    env.STATUS_GENERAL,
                    env.GATEWAY_TIMEOUT,
                    f"injected failure: no answer for {hang_seconds:g} s",
                ),
            )
        # recorded before a hang so the call is visible while it hangs
        self._record_call(exchange, reply, body_for_record, injectedFailure=mode)
        if mode == fail.MODE_HANG:
            self._failures.hang(hang_seconds)
        return reply


def _recordable(body):
    """A request body as it appears in ``calls``: parsed JSON when it is JSON."""
    if isinstance(body, dict | list):
        return copy.deepcopy(body)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    try:
        return parse_json(raw)
    except ValueError:
        return {"rawBody": raw[:RECORDED_TEXT_LIMIT].decode("utf-8", errors="replace")}


def _redacted(exchange):
    """Body/query of SSO calls without the code or refresh token in clear."""
    if exchange.path == REFRESH_PATH:
        try:
            payload = parse_json(exchange.body())
        except (ValueError, env.ApiError):
            return None
        if isinstance(payload, dict) and "refreshToken" in payload:
            payload["refreshToken"] = "***"
        return payload
    if exchange.query:
        return {k: ("***" if k == "code" else v) for k, v in exchange.query.items()}
    return None
