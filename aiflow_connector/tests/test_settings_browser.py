# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo endpoint URLs in Settings are readable whole in a real headless
Chromium: nothing cut off with an ellipsis, however long web.base.url is."""

from odoo.tests import HttpCase, new_test_user, tagged

BASE = "https://erp.a-rather-long-company-domain-name.example.com"

ENDPOINTS_CHECK = """
(async () => {
    const expected = %(expected)s;
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
    for (const [name, url] of Object.entries(expected)) {
        const field = await find(`div[name="${name}"]`);
        field.scrollIntoView();
        const span = field.querySelector("span");
        const shown = span.textContent.trim();
        if (shown !== url) {
            throw new Error(`${name} shows ${shown}, not ${url}`);
        }
        if (span.scrollWidth > span.clientWidth + 1) {
            throw new Error(`${name} is cut off: ${span.scrollWidth} > ${span.clientWidth} px`);
        }
        if (!field.querySelector("button.o_clipboard_button")) {
            throw new Error(`${name} has no copy button`);
        }
    }
    const redirect = await find('div[name="aiflow_oauth_redirect_uris"] textarea');
    if (redirect.placeholder !== "https://aiflow.example.com/aflow/api/oauth2/callback") {
        throw new Error(`redirect URI placeholder: ${redirect.placeholder}`);
    }
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestSettingsEndpointsReadable(HttpCase):
    def test_endpoint_urls_are_shown_whole(self):
        admin = new_test_user(self.env, login="aiflow_urls_admin", groups="base.group_system")
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", BASE)
        expected = {
            "aiflow_url_oauth_authorize": f"{BASE}/odoo/api/oauth2/authorize",
            "aiflow_url_oauth_token": f"{BASE}/odoo/api/oauth2/token",
            "aiflow_url_oauth_userinfo": f"{BASE}/odoo/api/oauth2/userinfo",
        }
        self.browser_js(
            "/odoo/action-aiflow_connector.res_config_settings_action",
            ENDPOINTS_CHECK % {"expected": repr(expected).replace("'", '"')},
            login=admin.login,
        )
