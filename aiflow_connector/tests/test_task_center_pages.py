# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The pages behind a flow's initiate and detail URLs, over HTTP: a login
first, the person's own access checked, and a clear page (in their
language, without the document's data) for anything that cannot open."""

from urllib.parse import quote, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged

from .common import PASSWORD, TaskCenterFixtures


@tagged("post_install", "-at_install")
class TestTaskCenterPages(TaskCenterFixtures, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_center()
        cls.document.name = "Secret Lab 7"
        cls.order = cls.env["aiflow.order"]._aiflow_start(cls.flow, cls.document, cls.manager)
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.outsider = new_test_user(
            cls.env,
            login="tc_outsider",
            password=PASSWORD,
            name="Outsider",
            groups="base.group_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.hr_admin = new_test_user(
            cls.env,
            login="tc_hr_admin",
            password=PASSWORD,
            name="HR Admin",
            groups="base.group_user,hr.group_hr_manager",
        )

    def detail_path(self, business_key, flow_code="DEPT_CHANGE"):
        return f"/aiflow/flow/{flow_code}/detail?businessKey={quote(business_key)}"

    def get(self, path):
        return self.url_open(path, allow_redirects=False)

    def assertRedirectsTo(self, response, path):
        self.assertEqual(response.status_code, 303, response.text[:300])
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path + (f"?{location.query}" if location.query else ""), path)

    def assertProblem(self, response, status, *texts):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertIn('id="aiflow_flow_page_problem"', response.text)
        for text in texts:
            self.assertIn(text, response.text)
        # nothing of the document, and no traceback
        self.assertNotIn("Secret Lab 7", response.text)
        self.assertNotIn(self.order.business_key, response.text)
        self.assertNotIn("Traceback", response.text)

    def test_the_flow_pages_are_the_urls_sent_to_aiflow(self):
        self.params.set_param("web.base.url", self.base_url())
        self.flow.invalidate_recordset()
        body = self.flow._aiflow_create_payload()
        self.authenticate("tc_reviewer", PASSWORD)
        detail = self.get(body["detailUrl"]["webUrl"] + "?businessKey=" + self.order.business_key)
        self.assertRedirectsTo(detail, f"/odoo/hr.department/{self.document.id}")
        self.assertEqual(
            self.get(
                body["detailUrl"]["h5Url"] + "?businessKey=" + self.order.business_key
            ).headers["Location"],
            detail.headers["Location"],
        )
        self.authenticate("tc_hr_admin", PASSWORD)
        self.assertRedirectsTo(self.get(body["initiateUrl"]["webUrl"]), "/odoo/hr.department/new")

    def test_without_a_session_both_pages_ask_for_a_login_first(self):
        for path in (self.detail_path(self.order.business_key), "/aiflow/flow/DEPT_CHANGE/new"):
            with self.subTest(path=path):
                response = self.get(path)
                self.assertIn(response.status_code, (302, 303))
                location = urlsplit(response.headers["Location"])
                self.assertEqual(location.path, "/web/login")
                self.assertIn("redirect=", location.query)
                self.assertIn(quote(path.split("?")[0], safe=""), location.query)

    def test_a_reviewer_lands_on_the_document(self):
        self.authenticate("tc_reviewer", PASSWORD)
        response = self.get(self.detail_path(self.order.business_key))
        self.assertRedirectsTo(response, f"/odoo/hr.department/{self.document.id}")
        self.assertIn(f"cids={self.reviewer.company_id.id}", response.headers.get("Set-Cookie", ""))

    def test_a_document_of_another_company_of_the_user_activates_it(self):
        document = self.env["hr.department"].create(
            {"name": "Other Co Lab", "company_id": self.other_company.id}
        )
        order = self.env["aiflow.order"]._aiflow_start(self.flow, document, self.manager)
        self.reviewer.company_ids += self.other_company
        self.authenticate("tc_reviewer", PASSWORD)
        response = self.get(self.detail_path(order.business_key))
        self.assertRedirectsTo(response, f"/odoo/hr.department/{document.id}")
        self.assertIn(
            f"cids={self.reviewer.company_id.id}-{self.other_company.id}",
            response.headers.get("Set-Cookie", ""),
        )

    def test_a_user_without_access_gets_the_error_page(self):
        self.authenticate("tc_outsider", PASSWORD)
        response = self.get(self.detail_path(self.order.business_key))
        self.assertProblem(response, 403, "Access denied")

    def test_unknown_keys_and_flows(self):
        self.authenticate("tc_reviewer", PASSWORD)
        for path in (
            self.detail_path("DEPT_CHANGE-Nothing"),
            self.detail_path(""),
            "/aiflow/flow/DEPT_CHANGE/detail",
            "/aiflow/flow/DEPT_CHANGE/detail?businessKey=a&businessKey=b",
            "/aiflow/flow/DEPT_CHANGE/detail?businessKey=%27%20OR%201=1--",
        ):
            with self.subTest(path=path):
                self.assertProblem(self.get(path), 404, "Document not found")
        # a key of another flow does not open through this one
        other = self.env["aiflow.flow"].create(
            {
                "flow_code": "PARTNER",
                "title": "Partner",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "group_id": "G",
                "manager_user_id": self.manager.id,
                "operation_user_id": self.manager.id,
                "config_user_id": self.manager.id,
            }
        )
        self.assertProblem(
            self.get(self.detail_path(self.order.business_key, other.flow_code)), 404
        )
        response = self.get(self.detail_path(self.order.business_key, "NO_SUCH<b>FLOW"))
        self.assertProblem(response, 404, "Unknown flow", "NO_SUCH&lt;b&gt;FLOW")
        self.assertProblem(self.get("/aiflow/flow/NO_SUCH/new"), 404, "Unknown flow")

    def test_a_deleted_document_is_not_found(self):
        self.document.unlink()
        self.authenticate("tc_reviewer", PASSWORD)
        self.assertProblem(
            self.get(self.detail_path(self.order.business_key)), 404, "Document not found"
        )

    def test_starting_needs_the_right_to_create(self):
        self.authenticate("tc_reviewer", PASSWORD)
        self.assertProblem(self.get("/aiflow/flow/DEPT_CHANGE/new"), 403, "not allowed to create")
        self.authenticate("tc_hr_admin", PASSWORD)
        self.assertRedirectsTo(self.get("/aiflow/flow/DEPT_CHANGE/new"), "/odoo/hr.department/new")

    def test_the_page_speaks_the_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["aiflow_connector"], ["zh_CN"])
        self.outsider.lang = "zh_CN"
        self.authenticate("tc_outsider", PASSWORD)
        response = self.get(self.detail_path(self.order.business_key))
        self.assertProblem(response, 403, "无权")
        self.assertNotIn("Access denied", response.text)
