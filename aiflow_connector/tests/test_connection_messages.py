# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What *Test connection* says when it fails, in English and in Chinese:
nothing contacted for an invalid URL, a server that is not aiflow, aiflow's
own words quoted next to a message in the user's language, TLS in a few
words, and which limit a server that never answers ran out."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import HttpCase, tagged

from odoo.addons.aiflow_connector.protocol import tls_problem
from odoo.addons.aiflow_connector.protocol.errors import REASON_TLS, PermanentError
from odoo.addons.aiflow_connector.sandbox.silent import silent_server, unaccepting_server

from .common import AiflowSandboxCase, AiflowSandboxMixin

RAW_CHAIN_WORDS = ("HTTPSConnectionPool", "Max retries", "SSLError(", "_ssl.c", "HTTP status -")


class _CannedHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        code, body, content_type = self.server.answer
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class CannedServer(ThreadingHTTPServer):
    """Answers every POST with the same (code, body, content type)."""

    daemon_threads = True

    def __init__(self, code, body, content_type="application/json"):
        super().__init__(("127.0.0.1", 0), _CannedHandler)
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
        if isinstance(body, str):
            body = body.encode()
        self.answer = (code, body, content_type)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.shutdown()
        self.server_close()


class ConnectionMessageCase(AiflowSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)

    def both(self):
        """The failed test's message in English and in Chinese."""
        messages = []
        for lang in ("en_US", "zh_CN"):
            connection = self.env["aiflow.connection"].with_context(lang=lang)
            ok, message = connection._aiflow_test_connection()
            self.assertFalse(ok, message)
            for word in RAW_CHAIN_WORDS:
                self.assertNotIn(word, message)
            self.assertNotIn(SECRET_WORD, message)
            messages.append(message)
        return messages

    def canned(self, code, body, content_type="application/json"):
        server = CannedServer(code, body, content_type)
        self.addCleanup(server.close)
        self._configure(base_url=server.url)
        return server


SECRET_WORD = "your_app_secret"


@tagged("post_install", "-at_install")
class TestInvalidUrlMessages(ConnectionMessageCase):
    """A stored URL that cannot be used (set by a script): nothing is sent."""

    def assertNothingSent(self):
        self.assertFalse(self.sandbox.calls)

    def test_space_in_host(self):
        self._configure(base_url="http://aiflow example.com")
        english, chinese = self.both()
        self.assertEqual(
            english,
            'The aiflow base URL "http://aiflow example.com" is invalid: it contains '
            "a space at position 14.",
        )
        self.assertEqual(
            chinese, 'aiflow 基础地址"http://aiflow example.com"无效：第 14 个字符是空格。'
        )
        self.assertNothingSent()

    def test_full_width_full_stop(self):
        self._configure(base_url="https://aiflow。example.com")
        english, chinese = self.both()
        self.assertIn(
            'it contains the full-width character "。" (U+3002) at position 15: '
            'type the half-width "." instead',
            english,
        )
        self.assertIn('第 15 个字符是全角字符"。"（U+3002），请改用半角"."', chinese)

    def test_query(self):
        self._configure(base_url="https://aiflow.example.com?tenant=7")
        english, chinese = self.both()
        self.assertIn('it contains a query "?tenant=7"', english)
        self.assertIn('地址中包含查询参数"?tenant=7"', chinese)


@tagged("post_install", "-at_install")
class TestAnswerMessages(ConnectionMessageCase):
    def test_not_aiflow_404_page(self):
        server = self.canned(404, "<!DOCTYPE html><title>404: Not Found</title>", "text/html")
        english, chinese = self.both()
        self.assertEqual(
            english,
            f"The server at {server.url} answered (HTTP status 404) but does not look "
            "like aiflow. Check the base URL.",
        )
        self.assertEqual(
            chinese,
            f"{server.url} 处的服务器有应答（HTTP 状态 404），"
            "但看起来不是 aiflow。请检查基础地址。",
        )

    def test_not_aiflow_200_page(self):
        self.canned(200, "<html><body>Welcome</body></html>", "text/html")
        english, chinese = self.both()
        self.assertIn("answered (HTTP status 200) but does not look like aiflow", english)
        self.assertIn("（HTTP 状态 200），但看起来不是 aiflow", chinese)

    def test_aiflow_words_quoted_next_to_the_users_language(self):
        self.canned(
            200,
            {
                "status": -4002,
                "msg": "部门ID不能为空",
                "data": {"errorCode": "INVALID_PARAMETER", "errorMessage": "部门ID不能为空"},
            },
        )
        english, chinese = self.both()
        self.assertEqual(english, 'aiflow refused the request (status -4002): "部门ID不能为空"')
        self.assertEqual(chinese, 'aiflow 拒绝了请求（状态 -4002）："部门ID不能为空"')

    def test_aiflow_busy_words_quoted(self):
        self.sandbox.fail_next(2, mode="status-1024")
        english, chinese = self.both()
        self.assertEqual(
            english,
            'aiflow could not handle the request (status -1024): "系统繁忙，请稍后重试: '
            'injected failure: system busy". It may work later.',
        )
        self.assertTrue(chinese.startswith("aiflow 无法处理该请求（状态 -1024）："), chinese)

    def test_gateway_503_without_aiflow_words(self):
        self.sandbox.fail_next(2, mode="http503")
        english, chinese = self.both()
        self.assertEqual(
            english,
            f"aiflow at {self.sandbox.url} is unavailable (HTTP status 503). It may work later.",
        )
        self.assertEqual(
            chinese, f"位于 {self.sandbox.url} 的 aiflow 暂不可用（HTTP 状态 503）。稍后可能恢复。"
        )

    def test_redirect(self):
        server = CannedServer(302, b"", "text/html")
        self.addCleanup(server.close)
        self._configure(base_url=server.url)
        english, chinese = self.both()
        self.assertIn("answered with a redirect (HTTP status 302)", english)
        self.assertIn("以重定向应答（HTTP 状态 302）", chinese)

    def test_tls_against_plain_http(self):
        url = self.sandbox.url.replace("http://", "https://")
        self._configure(base_url=url)
        english, chinese = self.both()
        self.assertEqual(
            english,
            f"TLS error: no secure connection could be made to {url}: wrong version "
            "number (is it http:// instead of https://?).",
        )
        self.assertEqual(
            chinese,
            f"TLS 错误：无法与 {url} 建立安全连接：版本号错误（是否应使用 http:// 而不是 https://？）。",
        )


@tagged("post_install", "-at_install")
class TestTlsReasons(ConnectionMessageCase):
    """Each TLS cause the protocol finds (tests/protocol/test_client_connection_test.py
    finds them from real handshakes) reads short, in both languages."""

    def test_each_tls_cause_in_english_and_chinese(self):
        url = "https://aiflow.example.com"
        for cause, detail, english, chinese in (
            (
                tls_problem.TLS_SELF_SIGNED,
                "self-signed certificate",
                "certificate verify failed: self-signed certificate",
                "证书验证失败：自签名证书",
            ),
            (
                tls_problem.TLS_EXPIRED,
                "certificate has expired",
                "certificate verify failed: the certificate has expired",
                "证书验证失败：证书已过期",
            ),
            (
                tls_problem.TLS_UNKNOWN_ISSUER,
                "unable to get local issuer certificate",
                "the certificate's issuer is not trusted by the Odoo server",
                "Odoo 服务器不信任该证书的颁发机构",
            ),
            (
                tls_problem.TLS_HOSTNAME_MISMATCH,
                "Hostname mismatch",
                "the certificate is for another host name",
                "该证书属于其他主机名",
            ),
            (
                tls_problem.TLS_CERTIFICATE,
                "invalid CA certificate",
                "certificate verify failed: invalid CA certificate",
                "证书验证失败：invalid CA certificate",
            ),
            (
                tls_problem.TLS_OTHER,
                "sslv3 alert handshake failure",
                ": sslv3 alert handshake failure.",
                "：sslv3 alert handshake failure。",
            ),
        ):
            with self.subTest(cause=cause):
                error = PermanentError(
                    "raw text never shown", reason=REASON_TLS, cause=cause, cause_detail=detail
                )
                for lang, frame, words in (
                    ("en_US", f"TLS error: no secure connection could be made to {url}: ", english),
                    ("zh_CN", f"TLS 错误：无法与 {url} 建立安全连接：", chinese),
                ):
                    connection = self.env["aiflow.connection"].with_context(lang=lang)
                    message = connection._aiflow_error_message(error, {"base_url": url})
                    self.assertTrue(message.startswith(frame), message)
                    self.assertIn(words, message)
                    self.assertNotIn("raw text", message)


@tagged("post_install", "-at_install")
class TestTimeoutMessages(ConnectionMessageCase):
    """The test never freezes the page for the sync's 5 + 30 s."""

    def timed(self, lang="en_US"):
        connection = self.env["aiflow.connection"].with_context(lang=lang)
        started = time.monotonic()
        ok, message = connection._aiflow_test_connection()
        self.assertFalse(ok)
        return message, time.monotonic() - started

    def test_server_that_never_answers_hits_the_short_read_limit(self):
        with silent_server() as url:
            self._configure(base_url=url, connect_timeout="5", read_timeout="30")
            message, elapsed = self.timed()
        self.assertLess(elapsed, 9)
        self.assertEqual(
            message,
            f"Timeout: {url} accepted the connection but sent no answer within 5 s (read timeout).",
        )

    def test_server_that_never_accepts_hits_the_short_connect_limit(self):
        with unaccepting_server() as url:
            self._configure(base_url=url, connect_timeout="5", read_timeout="30")
            message, elapsed = self.timed()
        self.assertLess(elapsed, 7)
        self.assertEqual(
            message,
            f"Timeout: no connection to {url} within 3 s (connect timeout). Check the "
            "address and that the Odoo server can reach it.",
        )

    def test_limits_named_in_chinese_and_never_longer_than_configured(self):
        with silent_server() as url:
            self._configure(base_url=url, connect_timeout="1", read_timeout="1")
            message, elapsed = self.timed("zh_CN")
        self.assertLess(elapsed, 4)
        self.assertEqual(message, f"超时：{url} 接受了连接，但在 1 秒内没有应答（读取超时）。")
        with unaccepting_server() as url:
            self._configure(base_url=url)
            message, elapsed = self.timed("zh_CN")
        self.assertLess(elapsed, 4)
        self.assertTrue(message.startswith(f"超时：1 秒内未能连接到 {url}（连接超时）。"), message)


@tagged("post_install", "-at_install")
class TestOdooItselfIsNotAiflow(AiflowSandboxMixin, HttpCase):
    """Odoo's own address typed as the aiflow base URL."""

    def test_odoo_url_is_said_not_to_look_like_aiflow(self):
        odoo_url = self.base_url()
        self._configure(base_url=odoo_url)
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertEqual(
            message,
            f"The server at {odoo_url} answered (HTTP status 404) but does not look "
            "like aiflow. Check the base URL.",
        )
