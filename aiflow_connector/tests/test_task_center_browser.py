# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The detail URL aiflow shows in its task center, opened in Debian's
headless Chromium: a reviewer lands on the document in the web client; a
user without access lands on the error page, which shows nothing of it."""

import os
import shutil
import tempfile
from urllib.parse import quote

from odoo.tests import HttpCase, new_test_user, tagged

from .task_center_common import PASSWORD, TaskCenterFixtures
from .test_oauth2_browser import CHROMEDRIVER, CHROMIUM, _lift_memory_limit, _missing_browser

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - reported by _missing_browser
    webdriver = None

WAIT_SECONDS = 45


@tagged("post_install", "-at_install")
class TestTaskCenterBrowser(TaskCenterFixtures, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_center()
        cls.document.name = "Quantum Lab 42"
        cls.order = cls.env["aiflow.order"]._aiflow_start(cls.flow, cls.document, cls.manager)
        other_company = cls.env["res.company"].create({"name": "Browser Other Co"})
        cls.outsider = new_test_user(
            cls.env,
            login="tc_browser_outsider",
            password=PASSWORD,
            name="Browser Outsider",
            groups="base.group_user",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )

    def setUp(self):
        super().setUp()
        missing = _missing_browser()
        if missing:
            if os.environ.get("AIFLOW_REQUIRE_BROWSER"):
                self.fail("task-center browser test needs Chromium: " + missing)
            self.skipTest("task-center browser test needs Chromium: " + missing)
        self.env.flush_all()
        self.driver = self._start_chromium()

    def _start_chromium(self):
        profile = tempfile.mkdtemp(prefix="aiflow-tc-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
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
        driver = webdriver.Chrome(service=service, options=options)
        self.addCleanup(driver.quit)
        driver.set_page_load_timeout(WAIT_SECONDS)
        return driver

    def _wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(condition)
        except TimeoutException:
            body = self.driver.find_element(By.TAG_NAME, "body").text
            self.fail(
                f"Timed out waiting for {what}; the browser is at "
                f"{self.driver.current_url} showing: {body[:800]}"
            )

    def _open_detail_as(self, login):
        """Open the detail URL as aiflow links it, logging in when asked."""
        url = (
            f"{self.base_url()}/aiflow/flow/DEPT_CHANGE/detail"
            f"?businessKey={quote(self.order.business_key)}"
        )
        self.driver.get(url)
        field = self._wait(
            expected_conditions.visibility_of_element_located((By.NAME, "login")),
            "Odoo's login form",
        )
        field.clear()
        field.send_keys(login)
        password = self.driver.find_element(By.NAME, "password")
        password.send_keys(PASSWORD)
        password.submit()

    def test_a_reviewer_lands_on_the_document(self):
        self._open_detail_as("tc_reviewer")
        name = self._wait(
            expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, ".o_form_view div[name='name'] input")
            ),
            "the department form",
        )
        self._wait(
            lambda driver: name.get_attribute("value") == "Quantum Lab 42" and name,
            "the document's name in the form",
        )
        self.assertIn(f"/odoo/hr.department/{self.document.id}", self.driver.current_url)

    def test_a_user_without_access_lands_on_the_error_page(self):
        self._open_detail_as("tc_browser_outsider")
        page = self._wait(
            expected_conditions.visibility_of_element_located((By.ID, "aiflow_flow_page_problem")),
            "the error page",
        )
        self.assertIn("Access denied", page.text)
        source = self.driver.page_source
        self.assertNotIn("Quantum Lab 42", source)
        self.assertIn("/aiflow/flow/DEPT_CHANGE/detail", self.driver.current_url)
