# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Headless Chromium driven by Selenium, and the JavaScript helpers the browser tests run."""

import json
import os
import resource
import shutil
import tempfile

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - reported by missing_browser()
    webdriver = None

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

JS_HELPERS = """
// The page's RPCs, for the message of a step that timed out.
window.aiflowRequests = [];
const xhrOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    const entry = { url: String(url).split("?")[0], sent: Date.now() };
    window.aiflowRequests.push(entry);
    this.addEventListener("loadend", () => (entry.status = this.status));
    return xhrOpen.call(this, method, url, ...rest);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (what, probe, timeout = 30000) => {
    const start = Date.now();
    while (Date.now() - start < timeout) {
        const found = probe();
        if (found) {
            return found;
        }
        await sleep(100);
    }
    const status = document.querySelector(".o_statusbar_status .o_arrow_button_current");
    const dialogs = [...document.querySelectorAll(".modal, .o_notification")].map(text);
    throw new Error(`timed out waiting for ${what} at ${location.href}` +
        ` (status: ${status && text(status)}, dialogs: ${JSON.stringify(dialogs)})` +
        ` last requests: ${JSON.stringify(window.aiflowRequests.slice(-8))} at ${Date.now()}`);
};
const $ = (selector, root = document) => root.querySelector(selector);
const text = (element) => element.textContent.replace(/\\s+/g, " ").trim();
const lastModal = () => [...document.querySelectorAll(".modal")].at(-1);
// Clicks a button once it is there and enabled, as a person would.
const press = async (selector) => {
    const button = await waitFor(`an enabled ${selector}`, () => {
        const found = $(selector);
        return found && !found.disabled && found;
    });
    button.click();
};
const check = (ok, message) => {
    if (!ok) {
        throw new Error(message);
    }
};
"""


def page_code(script, data):
    return f"const DATA = {json.dumps(data)};\n{JS_HELPERS}\n{script}"


def _lift_memory_limit():
    # Odoo's server caps the address space (limit_memory_hard) of its own
    # process; Chromium reserves far more virtual memory than that and dies
    # at start, so the driver's process gets the cap lifted (as Odoo's own
    # ChromeBrowser does for its Chrome).
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def missing_browser():
    """Why selenium cannot drive Chromium here, or None."""
    if webdriver is None:
        return "the PyPI package selenium is not installed"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install {package})"
    return None


class SeleniumChromiumMixin:
    """A test case with ``self.driver``: headless Chromium under selenium,
    closed at cleanup. A missing browser fails the test where
    scripts/test.sh asks for it (AIFLOW_REQUIRE_BROWSER), else skips it."""

    browser_wait_seconds = 30

    def start_chromium(self, what):
        missing = missing_browser()
        if missing:
            if os.environ.get("AIFLOW_REQUIRE_BROWSER"):
                self.fail(f"{what} needs Chromium: {missing}")
            self.skipTest(f"{what} needs Chromium: {missing}")
        profile = tempfile.mkdtemp(prefix="aiflow-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "--user-data-dir=" + profile,
        ):
            options.add_argument(flag)
        service = Service(CHROMEDRIVER, popen_kw={"preexec_fn": _lift_memory_limit})
        self.driver = webdriver.Chrome(service=service, options=options)
        self.addCleanup(self.driver.quit)
        self.driver.set_page_load_timeout(self.browser_wait_seconds)
        return self.driver

    def wait_for(self, condition, what):
        try:
            return WebDriverWait(self.driver, self.browser_wait_seconds).until(condition)
        except TimeoutException:
            body = self.driver.find_element(By.TAG_NAME, "body").text
            self.fail(
                f"Timed out waiting for {what}; the browser is at "
                f"{self.driver.current_url} showing: {body[:800]}"
            )


# ----------------------------------------------------------------------
# OAuth2: Odoo as the authorization server of a client named like aiflow
