"""A tiny stand-in for Odoo's side of the spec (part 2), for sandbox tests.

It records every request and answers like Odoo would: OAuth2 authorize
(redirects back with a code), token, userinfo, and the two signed webhooks
(checking A-Signature with the credential it is given).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from aiflow_connector.protocol.signing import Signer

# What userinfo answers: markup and non-ASCII to prove escaping and UTF-8.
USERINFO = {
    "userId": "EMP000042",
    "username": "zhangsan",
    "name": "张三 <script>alert('x')</script>",
    "phoneNumber": "13800138000",
    "email": "zhangsan@example.com",
    "deptId": "DEP000007",
    "deptName": "技术部 & R&D",
}


class FakeOdoo:
    def __init__(self, credential):
        self.signer = Signer(credential)
        self.requests = []
        self.lock = threading.Lock()
        self.authorize_error = None  # e.g. ("access_denied", "user said no")
        self.code = "code-1"
        self.tokens = {
            "accessToken": "at-1",
            "tokenType": "Bearer",
            "expiresIn": 3600,
            "refreshToken": "rt-1",
        }
        self.refreshed = {
            "accessToken": "at-2",
            "tokenType": "Bearer",
            "expiresIn": 3600,
            "refreshToken": "rt-2",
        }
        self.token_override = None  # (http_status, payload) answered by /token instead
        self.userinfo = dict(USERINFO)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.block_on_close = False
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def received(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    # -- answers ---------------------------------------------------------------

    def handle(self, method, path, query, headers, body):
        if path == "/odoo/api/oauth2/authorize" and method == "GET":
            if self.authorize_error:
                error, description = self.authorize_error
                target = {"error": error, "error_description": description}
            else:
                target = {"code": self.code, "state": query.get("state", "")}
            return 302, {"Location": f"{query['redirect_uri']}?{urlencode(target)}"}, None
        if path == "/odoo/api/oauth2/token" and method == "POST":
            if self.token_override:
                status, payload = self.token_override
                return status, {}, payload
            data = json.loads(body)
            if data.get("grantType") == "authorization_code" and data.get("code") == self.code:
                return 200, {}, self.tokens
            if data.get("grantType") == "refresh_token" and data.get("refreshToken") == "rt-1":
                return 200, {}, self.refreshed
            return 400, {}, {"error": "invalid_grant", "error_description": "unknown code or token"}
        if path == "/odoo/api/oauth2/userinfo" and method == "POST":
            if headers.get("Authorization") != "Bearer at-1":
                return 401, {}, {"error": "invalid_token", "error_description": "bad token"}
            return 200, {}, self.userinfo
        if path in ("/odoo/api/workflow/receive", "/odoo/api/workflow/approval/log"):
            if not self.signer.verify(body, headers.get("A-Signature")):
                return (
                    403,
                    {},
                    {
                        "status": -4002,
                        "msg": "签名验证失败",
                        "data": {"errorCode": "INVALID_SIGNATURE", "errorMessage": "bad"},
                    },
                )
            return 200, {}, {"status": 0, "msg": "success", "data": {"success": True}}
        return 404, {}, {"error": "not_found"}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def _serve(self, method):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        with fake.lock:
            fake.requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "headers": dict(self.headers),
                    "body": body,
                }
            )
        status, headers, payload = fake.handle(method, parts.path, query, self.headers, body)
        raw = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")
