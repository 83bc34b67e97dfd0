# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One request to the sandbox and its answer: the request as the routes see
it, the replies they return, and the HTTP plumbing that carries both (one
request per connection)."""

import json
import logging
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import envelope as env
from .state import utc_now_text

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


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


class Handler(BaseHTTPRequestHandler):
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


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # stop() must not wait for calls hanging on purpose
    block_on_close = False
    allow_reuse_address = True


def require_json_content_type(exchange):
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
