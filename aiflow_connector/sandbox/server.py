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
"""

import copy
import json
import logging
import random
import secrets
import threading
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from ..protocol import schema
from ..protocol.signing import METHOD_SDK, SIGNATURE_HEADER, Signer, vendor_sdk_error
from . import envelope as env
from . import failures as fail
from . import pages
from .oauth_client import CALLBACK_PATH, REFRESH_PATH, LoginStates, OAuthError, OdooOAuthClient
from .pusher import APPROVAL_LOG_PATH, WORKFLOW_EVENT_PATH, EventPusher
from .state import SERVED_ENDPOINTS, SandboxState, utc_now_text

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_DOWN_SECONDS = 3600
MAX_SLOW_SECONDS = 60
SESSION_COOKIE = "aiflow_sandbox_session"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
RECORDED_TEXT_LIMIT = 10000


@dataclass
class Reply:
    http_status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list = field(default_factory=list)


def json_reply(http_status, payload, headers=None, indent=None):
    body = json.dumps(payload, ensure_ascii=False, indent=indent).encode("utf-8")
    return Reply(http_status, body, JSON_TYPE, list(headers or []))


def html_reply(http_status, body, headers=None):
    return Reply(http_status, body, HTML_TYPE, list(headers or []))


def redirect(location, headers=None):
    return Reply(302, b"", HTML_TYPE, [("Location", location), *(headers or [])])


def _reject_constant(name):
    # Python's json accepts NaN/Infinity; aiflow's JSON parser does not.
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw):
    """Strict UTF-8 JSON; raises ValueError with a readable reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        raise ValueError("body is empty")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


class Exchange:
    """One request as the sandbox sees it."""

    def __init__(self, handler, method):
        self.received_at = utc_now_text()
        self.method = method
        parts = urlsplit(handler.path)
        self.path = parts.path.rstrip("/") or "/"
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = handler.headers
        self._handler = handler
        self._body = None

    def body(self):
        if self._body is None:
            length = self.headers.get("Content-Length")
            try:
                size = int(length) if length else 0
            except ValueError:
                size = -1
            if size < 0 or size > MAX_BODY_BYTES:
                raise env.ApiError(
                    env.STATUS_INVALID,
                    env.INVALID_PARAMETER,
                    "Content-Length is invalid or larger than 10 MiB",
                    http_status=413,
                )
            self._body = self._handler.rfile.read(size) if size else b""
        return self._body

    def cookie(self, name):
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie") or "")
        except Exception:  # a garbled cookie header is just no cookie
            return None
        morsel = cookie.get(name)
        return morsel.value if morsel else None


class _Handler(BaseHTTPRequestHandler):
    server_version = "aiflow-sandbox/1.0"
    # One request per connection: when the sandbox goes down, nothing
    # lingers on a kept-alive socket.
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):
        _logger.debug("%s - %s", self.address_string(), format % args)

    def _dispatch(self, method):
        sandbox = self.server.sandbox
        exchange = Exchange(self, method)
        try:
            reply = sandbox._handle(exchange)
            # Closing with unread request bytes makes the kernel send a reset,
            # which can destroy the answer before the client reads it.
            exchange.body()
        except env.ApiError as exc:
            reply = json_reply(exc.http_status, exc.envelope())
        except Exception:
            _logger.exception("sandbox failed on %s %s", method, self.path)
            reply = json_reply(
                500, env.failure(env.STATUS_GENERAL, "SANDBOX_BUG", "internal error")
            )
        self._send(reply)

    def _send(self, reply):
        try:
            self.send_response(reply.http_status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError) as exc:
            # the client gave up (e.g. its read timeout during a hang)
            _logger.debug("client left before the answer to %s: %s", self.path, exc)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PATCH(self):
        self._dispatch("PATCH")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # stop() must not wait for calls hanging on purpose
    block_on_close = False
    allow_reuse_address = True


class SandboxServer:
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
        httpd = _HttpServer((self.host, self.port), _Handler)
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
            _require_json_content_type(exchange)
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

    # ------------------------------------------------------------------
    # control routes

    def _index(self, exchange):
        return html_reply(200, pages.index_page(self.odoo_url))

    def _get_state(self, exchange):
        # indented: people read it in a browser while the demo runs
        return json_reply(200, self.state, indent=2)

    def _post_reset(self, exchange):
        self.reset()
        return json_reply(200, env.success({"reset": True}))

    def _control_json(self, exchange):
        try:
            payload = parse_json(exchange.body())
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_JSON, str(exc), http_status=400
            ) from exc
        if not isinstance(payload, dict):
            raise env.ApiError(
                env.STATUS_INVALID,
                env.INVALID_PARAMETER,
                "body must be a JSON object",
                http_status=400,
            )
        return payload

    def _post_fail(self, exchange):
        payload = self._control_json(exchange)
        try:
            self.fail_next(
                payload.get("count", 1),
                payload.get("mode", fail.MODE_HTTP503),
                payload.get("hangSeconds"),
            )
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_PARAMETER, str(exc), http_status=400
            ) from exc
        return json_reply(200, env.success({"pendingFailures": self._failures.pending()}))

    def _post_down(self, exchange):
        payload = self._control_json(exchange)
        seconds = payload.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds <= MAX_DOWN_SECONDS
        ):
            raise env.ApiError(
                env.STATUS_INVALID,
                env.INVALID_PARAMETER,
                f"seconds must be a number in (0, {MAX_DOWN_SECONDS}]",
                http_status=400,
            )
        # after this answer is on its way: shutdown() waits for the serving loop
        threading.Thread(target=self.go_down, args=(seconds,), daemon=True).start()
        return json_reply(200, env.success({"downSeconds": seconds}))

    def _post_slow(self, exchange):
        payload = self._control_json(exchange)
        try:
            self.slow_down(payload.get("seconds", 0), payload.get("jitterSeconds", 0))
        except ValueError as exc:
            raise env.ApiError(
                env.STATUS_INVALID, env.INVALID_PARAMETER, str(exc), http_status=400
            ) from exc
        with self._slow_lock:
            seconds, jitter = self._slowness
        return json_reply(200, env.success({"seconds": seconds, "jitterSeconds": jitter}))

    def _post_push_workflow(self, exchange):
        return self._push_reply("workflow", WORKFLOW_EVENT_PATH, exchange)

    def _post_push_approval_log(self, exchange):
        return self._push_reply("approval_log", APPROVAL_LOG_PATH, exchange)

    def _push_reply(self, kind, path, exchange):
        # the body is forwarded byte for byte, malformed or not
        try:
            result = self._push(kind, path, exchange.body(), exchange.query.get("secret"))
        except requests.RequestException as exc:
            return json_reply(
                502,
                env.failure(
                    env.STATUS_GENERAL,
                    env.UPSTREAM_UNREACHABLE,
                    f"Odoo cannot be reached at {self.odoo_url}{path}: {type(exc).__name__}",
                ),
            )
        return json_reply(200, env.success(result))

    # ------------------------------------------------------------------
    # SSO

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
        _require_json_content_type(exchange)
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


def _require_json_content_type(exchange):
    content_type = exchange.headers.get("Content-Type") or ""
    media, _, params = content_type.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media.strip().lower() != "application/json" or charset not in ("", "utf-8", "utf8"):
        raise env.ApiError(
            env.STATUS_INVALID,
            env.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be application/json (UTF-8), got {content_type or 'none'!r}",
            http_status=415,
        )


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
