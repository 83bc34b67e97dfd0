# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import HttpCase, tagged

from .common import (
    CJK,
    DEPARTMENT_SYNC_PATH,
    PREFIX,
    SECRET,
    WRONG_SECRET,
    AiflowSandboxCase,
    AiflowSandboxMixin,
    closed_port,
)


@tagged("post_install", "-at_install")
class TestAiflowConnection(AiflowSandboxCase):
    def assertNoSecret(self, message):
        self.assertNotIn(SECRET, message)
        self.assertNotIn(WRONG_SECRET, message)

    def test_ok(self):
        ok, message = self._test_connection()
        self.assertTrue(ok, message)
        self.assertTrue(message.startswith("OK:"), message)
        self.assertIn(self.sandbox.url, message)
        self.assertNoSecret(message)
        calls = self.sandbox.calls
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["path"], DEPARTMENT_SYNC_PATH)
        self.assertEqual(calls[0]["status"], 0)
        self.assertTrue(calls[0]["signatureValid"])
        # an empty department sync changes nothing in aiflow
        self.assertFalse(self.sandbox.state["departments"])

    def test_signature_rejected(self):
        self._configure(app_secret=WRONG_SECRET)
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertTrue(message.startswith("Signature rejected:"), message)
        self.assertIn("enterprise code, app ID and app secret", message)
        self.assertNoSecret(message)
        self.assertFalse(self.sandbox.calls[0]["signatureValid"])

    def test_unreachable(self):
        url = f"http://127.0.0.1:{closed_port()}"
        self._configure(base_url=url)
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertTrue(message.startswith("Unreachable:"), message)
        self.assertIn(url, message)
        self.assertNoSecret(message)

    def test_timeout(self):
        self._configure(read_timeout="1")
        self.sandbox.fail_next(1, mode="hang", hang_seconds=4)
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertTrue(message.startswith("Timeout:"), message)
        self.assertIn("no answer within 1 s (read timeout)", message)
        self.assertNoSecret(message)

    def test_tls_error(self):
        url = self.sandbox.url.replace("http://", "https://")
        self._configure(base_url=url)
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertTrue(message.startswith("TLS error:"), message)
        self.assertIn(url, message)
        self.assertNoSecret(message)

    def test_other_error_keeps_aiflow_msg(self):
        self.sandbox.fail_next(1, mode="status-1024")
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertEqual(
            message,
            'aiflow could not handle the request (status -1024): "系统繁忙，请稍后重试: '
            'injected failure: system busy". It may work later.',
        )

    def test_other_error_http_503(self):
        self.sandbox.fail_next(1, mode="http503")
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertTrue(message.startswith("aiflow at "), message)
        self.assertIn("is unavailable (HTTP status 503)", message)
        self.assertNoSecret(message)

    def test_not_configured(self):
        self.env["ir.config_parameter"].sudo().search(
            [("key", "in", [PREFIX + "base_url", PREFIX + "app_secret"])]
        ).unlink()
        ok, message = self._test_connection()
        self.assertFalse(ok)
        self.assertIn("aiflow Base URL", message)
        self.assertIn("App Secret", message)
        self.assertNotIn("App ID", message)
        self.assertFalse(self.sandbox.calls)

    def test_button_notification(self):
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        action = settings.action_aiflow_test_connection()
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertFalse(action["params"]["sticky"])
        self.assertTrue(action["params"]["message"].startswith("OK:"))

        self._configure(app_secret=WRONG_SECRET)
        action = settings.action_aiflow_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertTrue(action["params"]["sticky"])
        self.assertTrue(action["params"]["message"].startswith("Signature rejected:"))
        self.assertNoSecret(str(action))


@tagged("post_install", "-at_install")
class TestAiflowConnectionChinese(AiflowSandboxCase):
    """The admin reads the outcome in Chinese (aiflow_connector/i18n/zh_CN.po)."""

    def setUp(self):
        super().setUp()
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aiflow_connector")]
        )._update_translations(["zh_CN"], overwrite=True)

    def test_ok_message_in_chinese(self):
        connection = self.env["aiflow.connection"].with_context(lang="zh_CN")
        ok, message = connection._aiflow_test_connection()
        self.assertTrue(ok, message)
        self.assertFalse(message.startswith("OK:"), message)
        self.assertRegex(message, CJK)
        self.assertIn(self.sandbox.url, message)

    def test_signature_message_in_chinese(self):
        self._configure(app_secret=WRONG_SECRET)
        connection = self.env["aiflow.connection"].with_context(lang="zh_CN")
        ok, message = connection._aiflow_test_connection()
        self.assertFalse(ok)
        self.assertFalse(message.startswith("Signature rejected"), message)
        self.assertRegex(message, CJK)


# Clicks "Test Connection" in the real settings form and reads the notification.
BROWSER_CHECK = """
(async () => {
    const find = async (selector) => {
        for (let waited = 0; waited < 20000; waited += 100) {
            const element = document.querySelector(selector);
            if (element) {
                return element;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`${selector} did not appear`);
    };
    const secret = await find('div[name="aiflow_app_secret"] input');
    if (secret.type !== "password") {
        throw new Error(`the app secret input is of type ${secret.type}`);
    }
    (await find('button[name="action_aiflow_test_connection"]')).click();
    const bar = await find(".o_notification .o_notification_bar");
    const text = document.querySelector(".o_notification_content").textContent;
    if (!bar.classList.contains("bg-%(kind)s") || !text.startsWith("%(start)s")) {
        throw new Error(`unexpected notification ${bar.className}: ${text}`);
    }
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestAiflowConnectionBrowser(AiflowSandboxMixin, HttpCase):
    def test_button_in_settings_form(self):
        url = "/odoo/action-aiflow_connector.res_config_settings_action"
        self.browser_js(
            url,
            BROWSER_CHECK % {"kind": "success", "start": "OK:"},
            login=self.admin.login,
        )
        self.assertEqual(len(self.sandbox.calls), 1)

        self._configure(app_secret=WRONG_SECRET)
        self.browser_js(
            url,
            BROWSER_CHECK % {"kind": "danger", "start": "Signature rejected:"},
            login=self.admin.login,
        )
