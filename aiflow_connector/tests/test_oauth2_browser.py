# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SSO end to end in a real browser: Debian's headless Chromium, driven by
selenium, between the aiflow sandbox and Odoo's HTTP test server.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the PyPI
package ``selenium``; without them the test is skipped and says why.
"""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from odoo.tests import tagged

from odoo.addons.aiflow_connector.protocol.signing import Credential
from odoo.addons.aiflow_connector.sandbox.oauth_client import CALLBACK_PATH
from odoo.addons.aiflow_connector.sandbox.server import SandboxServer

from .common import CLIENT_ID, CLIENT_SECRET, PASSWORD, Oauth2HttpCase, SeleniumChromiumMixin


@tagged("post_install", "-at_install")
class TestOauth2Browser(SeleniumChromiumMixin, Oauth2HttpCase):
    browser_wait_seconds = 30

    def setUp(self):
        super().setUp()
        self.sandbox = SandboxServer(
            host="127.0.0.1",
            port=0,
            credential=Credential("COMPANY001", CLIENT_ID, "your_app_secret"),
            odoo_url=self.base_url(),
            oauth_client_secret=CLIENT_SECRET,
            # a number, not a (connect, read) tuple: Odoo 18's test guard on
            # outgoing requests compares the timeout with 10 and fails on tuples
            odoo_timeout=30.0,
        ).start()
        self.addCleanup(self.sandbox.stop)
        self.params.set_param(
            "aiflow_connector.oauth_redirect_uris", self.sandbox.url + CALLBACK_PATH
        )
        self.env.flush_all()
        self.start_chromium("SSO browser test")

    def test_sso_in_a_real_browser(self):
        driver = self.driver
        driver.get(self.sandbox.url + "/")
        self.wait_for(
            expected_conditions.element_to_be_clickable((By.ID, "login")), "the sandbox login link"
        ).click()

        # aiflow sent the browser to Odoo, which asks for a login first
        # (Odoo 18 shows the form once its user-switch widget has run)
        login = self.wait_for(
            expected_conditions.visibility_of_element_located((By.NAME, "login")),
            "Odoo's login form",
        )
        self.assertTrue(driver.current_url.startswith(self.base_url() + "/web/login"))
        login.clear()
        login.send_keys(self.user.login)
        password = driver.find_element(By.NAME, "password")
        password.send_keys(PASSWORD)
        password.submit()

        # ... and after the login, back on aiflow with Odoo's userinfo
        self.wait_for(
            expected_conditions.text_to_be_present_in_element((By.ID, "status"), "logged-in"),
            "the sandbox page of the logged-in user",
        )
        self.assertTrue(
            driver.current_url.startswith(self.sandbox.url + "/sandbox/whoami"),
            driver.current_url,
        )
        shown = {
            field: driver.find_element(By.ID, field).text
            for field in (
                "userId",
                "username",
                "name",
                "phoneNumber",
                "email",
                "deptId",
                "deptName",
            )
        }
        self.assertEqual(shown, self.expected_userinfo())
        token = self.env["aiflow.oauth.token"].search([("user_id", "=", self.user.id)])
        self.assertEqual(len(token), 1)
        self.assertEqual(token.client_id, CLIENT_ID)
        self.assertTrue(token.last_used_at)  # the sandbox called userinfo with it
        code = self.env["aiflow.oauth.code"].search([("user_id", "=", self.user.id)])
        self.assertTrue(code.used_at)
