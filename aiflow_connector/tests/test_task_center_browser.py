# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The detail URL aiflow shows in its task center, opened in Debian's
headless Chromium: a reviewer lands on the document in the web client; a
user without access lands on the error page, which shows nothing of it."""

from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from odoo.tests import HttpCase, new_test_user, tagged

from .common import PASSWORD, SeleniumChromiumMixin, TaskCenterFixtures


@tagged("post_install", "-at_install")
class TestTaskCenterBrowser(SeleniumChromiumMixin, TaskCenterFixtures, HttpCase):
    browser_wait_seconds = 45

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
        self.env.flush_all()
        self.start_chromium("task-center browser test")

    def _open_detail_as(self, login):
        """Open the detail URL as aiflow links it, logging in when asked."""
        url = (
            f"{self.base_url()}/aiflow/flow/DEPT_CHANGE/detail"
            f"?businessKey={quote(self.order.business_key)}"
        )
        self.driver.get(url)
        field = self.wait_for(
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
        name = self.wait_for(
            expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, ".o_form_view div[name='name'] input")
            ),
            "the department form",
        )
        self.wait_for(
            lambda driver: name.get_attribute("value") == "Quantum Lab 42" and name,
            "the document's name in the form",
        )
        self.assertIn(f"/odoo/hr.department/{self.document.id}", self.driver.current_url)

    def test_a_user_without_access_lands_on_the_error_page(self):
        self._open_detail_as("tc_browser_outsider")
        page = self.wait_for(
            expected_conditions.visibility_of_element_located((By.ID, "aiflow_flow_page_problem")),
            "the error page",
        )
        self.assertIn("Access denied", page.text)
        source = self.driver.page_source
        self.assertNotIn("Quantum Lab 42", source)
        self.assertIn("/aiflow/flow/DEPT_CHANGE/detail", self.driver.current_url)
