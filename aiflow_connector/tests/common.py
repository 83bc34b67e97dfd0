# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (the fixture commits on a connection of its own, never the test's transaction)
"""Fixtures shared by the test modules: the aiflow sandbox on 127.0.0.1,
the organization-sync case configured towards it, and headless Chromium."""

import json
import os
import re
import resource
import shutil
import socket
import tempfile
from contextlib import closing
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo import Command, sql_db
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import _super_send, get_db_name

from odoo.addons.aiflow_connector.protocol.signing import SIGNATURE_HEADER, Credential, Signer
from odoo.addons.aiflow_connector.sandbox.server import SandboxServer

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - reported by missing_browser()
    webdriver = None

PREFIX = "aiflow_connector."
DEPARTMENT_SYNC_PATH = "/aflow/api/sys/sync/department"
SECRET = "your_app_secret"
WRONG_SECRET = "not-the-secret-4711"
CJK = re.compile(r"[\u4e00-\u9fff]")


def closed_port():
    """A local port nobody listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AiflowSandboxMixin:
    """Runs the aiflow sandbox on 127.0.0.1 for the whole class."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's test handler raises every timeout below 10 s to 10 s (and
        # cannot compare the (connect, read) pair the client passes); the
        # sandbox is local, so its requests go out untouched.
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxServer(
            host="127.0.0.1",
            port=0,
            credential=Credential("COMPANY001", "APP001", SECRET),
            odoo_url="http://127.0.0.1:8069",
        )
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.admin = new_test_user(
            cls.env, login="aiflow_connection_admin", groups="base.group_system"
        )

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self._configure(
            base_url=self.sandbox.url,
            enterprise_code="COMPANY001",
            app_id="APP001",
            app_secret=SECRET,
            signing_method="builtin",
            connect_timeout="5",
            read_timeout="30",
        )

    def _configure(self, **values):
        params = self.env["ir.config_parameter"].sudo()
        for name, value in values.items():
            params.set_param(PREFIX + name, value)

    def _test_connection(self):
        return self.env["aiflow.connection"]._aiflow_test_connection()


class AiflowSandboxCase(AiflowSandboxMixin, TransactionCase):
    pass


DEPT_PATH = "/aflow/api/sys/sync/department"
USER_PATH = "/aflow/api/sys/sync/user"


class OrgSyncCase(AiflowSandboxCase):
    """The project's sandbox fixture, with sync enabled towards it."""

    @classmethod
    def setUpClass(cls):
        # Rows committed before (records created at install, while sync was
        # off) are not these tests' business, and a test transaction holding
        # their locks would block the tests that work on real connections:
        # remove them for real, before this class's transaction touches them.
        with closing(sql_db.db_connect(get_db_name()).cursor()) as cr:
            cr.execute("DELETE FROM aiflow_outbox")
            cr.commit()
        super().setUpClass()
        cls.Outbox = cls.env["aiflow.outbox"]
        cls.Dept = cls.env["hr.department"]
        cls.Emp = cls.env["hr.employee"]

    def setUp(self):
        super().setUp()
        self._configure(
            connect_timeout="2",
            read_timeout="5",
            sync_enabled="True",
            sync_batch_size="100",
            sync_max_attempts="3",
            sync_company_ids="",
        )

    # -- helpers -----------------------------------------------------------
    def commit_point(self):
        """What a real commit does before the worker runs: the precommit
        writes the outbox rows."""
        self.env.flush_all()
        self.env.cr.flush()

    def deliver(self):
        self.commit_point()
        stats = self.Outbox._aiflow_deliver()
        self.env.invalidate_all()
        return stats

    def calls(self, path=None):
        return [
            call for call in self.sandbox.state["calls"] if path is None or call["path"] == path
        ]

    def sent_items(self, path):
        key = "departments" if path == DEPT_PATH else "users"
        return [item for call in self.calls(path) for item in call["body"][key]]

    def rows(self, records):
        return self.Outbox.search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def aiflow_dept(self, dept):
        return self.sandbox.state["departments"].get(dept.aiflow_code)

    def aiflow_user(self, employee):
        return self.sandbox.state["users"].get(employee.aiflow_code)

    def make_tree(self):
        """Three levels, a manager on each, one employee of every type."""
        root = self.Dept.create({"name": "Head Office"})
        mid = self.Dept.create({"name": "Engineering", "parent_id": root.id})
        leaf = self.Dept.create({"name": "Platform", "parent_id": mid.id})
        boss = self.Emp.create(
            {"name": "Boss", "department_id": root.id, "work_email": "boss@example.com"}
        )
        root.manager_id = boss
        cto = self.Emp.create({"name": "CTO", "department_id": mid.id, "parent_id": boss.id})
        mid.manager_id = cto
        lead = self.Emp.create({"name": "Lead", "department_id": leaf.id, "parent_id": cto.id})
        leaf.manager_id = lead
        staff = self.Emp.browse()
        for kind in ("employee", "worker", "student", "trainee", "contractor", "freelance"):
            staff |= self.Emp.create(
                {
                    "name": f"Staff {kind}",
                    "department_id": leaf.id,
                    "parent_id": lead.id,
                    "employee_type": kind,
                    "work_email": f"{kind}@example.com",
                    "mobile_phone": "13800138000",
                }
            )
        return root, mid, leaf, boss, cto, lead, staff


# ----------------------------------------------------------------------
# headless Chromium: Odoo's own (browser_js, with the helpers below) and,
# for pages outside Odoo's web client, Debian's Chromium driven by selenium

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

CLIENT_ID = "APP001"
CLIENT_SECRET = "s3cret-for-tests"
REDIRECT_URI = "http://aiflow.test/aflow/api/oauth2/callback"
AUTHORIZE = "/odoo/api/oauth2/authorize"
TOKEN = "/odoo/api/oauth2/token"
USERINFO = "/odoo/api/oauth2/userinfo"
PASSWORD = "Sso-user-pa55word"


class Oauth2HttpCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.params.set_param("aiflow_connector.app_id", CLIENT_ID)
        cls.params.set_param("aiflow_connector.oauth_client_id", False)
        # hashed as in production (Odoo's test base lowers the rounds)
        cls.env["aiflow.oauth.client"]._oauth_set_client_secret(CLIENT_SECRET)
        cls.params.set_param("aiflow_connector.oauth_redirect_uris", REDIRECT_URI)
        # counters a server run left in this database would lock the tests out
        cls.env["aiflow.oauth.throttle"].search([]).unlink()
        cls.department = cls.env["hr.department"].create({"name": "SSO Technology"})
        cls.user = new_test_user(
            cls.env,
            login="sso_user",
            password=PASSWORD,
            name="Zhang San",
            email="zhangsan@example.com",
            groups="base.group_user",
        )
        cls.employee = cls.env["hr.employee"].create(
            {
                "name": "Zhang San",
                "user_id": cls.user.id,
                "department_id": cls.department.id,
                "mobile_phone": "13800138000",
                "work_email": "zhangsan@corp.example.com",
                "company_id": cls.user.company_id.id,
            }
        )

    # ------------------------------------------------------------ helpers

    def expected_userinfo(self):
        """What userinfo must say of the fixture's user (spec part 2, 1.3)."""
        return {
            "userId": self.employee.aiflow_code,
            "username": "sso_user",
            "name": "Zhang San",
            "phoneNumber": "13800138000",
            "email": "zhangsan@corp.example.com",
            "deptId": self.department.aiflow_code,
            "deptName": "SSO Technology",
        }

    def authorize(self, **params):
        query = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "basic",
            "state": "st-123",
        }
        query.update(params)
        query = {k: v for k, v in query.items() if v is not None}
        return self.url_open(AUTHORIZE + "?" + urlencode(query), allow_redirects=False)

    def location_query(self, response):
        location = response.headers.get("Location", "")
        return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def get_code(self, user=None, **params):
        self.authenticate((user or self.user).login, PASSWORD)
        response = self.authorize(**params)
        self.assertEqual(response.status_code, 302, response.text[:300])
        location, query = self.location_query(response)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"), location)
        self.assertIn("code", query)
        return query["code"]

    def post_raw(self, path, body, content_type=None, headers=None):
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        return self.opener.post(
            self.base_url() + path,
            data=body,
            headers=all_headers,
            timeout=15,
            allow_redirects=False,
        )

    def token_json(self, body):
        return self.post_raw(TOKEN, json.dumps(body).encode(), "application/json")

    def exchange(self, code, **overrides):
        body = {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "grantType": "authorization_code",
            "code": code,
            "redirectUri": REDIRECT_URI,
        }
        body.update(overrides)
        return self.token_json({k: v for k, v in body.items() if v is not None})

    def refresh(self, refresh_token, **overrides):
        body = {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "grantType": "refresh_token",
            "refreshToken": refresh_token,
        }
        body.update(overrides)
        return self.token_json(body)

    def login_tokens(self, user=None):
        response = self.exchange(self.get_code(user))
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def userinfo(self, access_token, method="POST"):
        headers = {"Authorization": "Bearer " + access_token}
        if method == "GET":
            return self.opener.get(self.base_url() + USERINFO, headers=headers, timeout=15)
        return self.post_raw(USERINFO, b"", headers=headers)

    def assertOauthError(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text[:500])
        self.assertTrue(
            response.headers.get("Content-Type", "").startswith("application/json"),
            response.headers.get("Content-Type"),
        )
        body = response.json()
        self.assertEqual(body.get("error"), error, body)
        self.assertIsInstance(body.get("error_description"), str)
        return body

    def assertInvalidToken(self, response):
        self.assertOauthError(response, 401, "invalid_token")
        challenge = response.headers.get("WWW-Authenticate", "")
        self.assertTrue(challenge.startswith("Bearer "), challenge)
        self.assertIn('error="invalid_token"', challenge)


# ----------------------------------------------------------------------
# task center: a flow for departments (a model every install has) and people
# with and without an employee


class TaskCenterFixtures:
    @classmethod
    def setup_task_center(cls):
        env = cls.env
        cls.params = env["ir.config_parameter"].sudo()
        cls.params.set_param("web.base.url", "http://odoo.example.com")
        cls.manager = new_test_user(
            env, login="tc_manager", password=PASSWORD, name="Li Manager", groups="base.group_user"
        )
        cls.manager_employee = env["hr.employee"].create(
            {
                "name": "Li Manager",
                "user_id": cls.manager.id,
                "company_id": cls.manager.company_id.id,
            }
        )
        cls.reviewer = new_test_user(
            env,
            login="tc_reviewer",
            password=PASSWORD,
            name="Wang Reviewer",
            groups="base.group_user",
        )
        cls.flow = env["aiflow.flow"].create(
            {
                "flow_code": "DEPT_CHANGE",
                "title": "部门变更审批",
                "model_id": env["ir.model"]._get_id("hr.department"),
                "group_id": "GROUP001",
                "manager_user_id": cls.manager.id,
                "operation_user_id": cls.reviewer.id,
                "config_user_id": env.user.id,
                "creator_user_id": cls.manager.id,
            }
        )
        cls.document = env["hr.department"].create({"name": "Research Lab"})


# ----------------------------------------------------------------------
# engine mode: aiflow pushes signed workflow events to Odoo's webhooks

WORKFLOW_PATH = "/odoo/api/workflow/receive"
APPROVAL_LOG_PATH = "/odoo/api/workflow/approval/log"


class EngineFlowFixtures:
    """Engine-mode flows whose documents aiflow creates and ends:
    ``PARTNER`` on contacts (a mail thread; effects write the job
    position) and ``LEAVE`` on resource time off (a datetime form)."""

    @classmethod
    def _server_action(cls, model, name, code):
        return cls.env["ir.actions.server"].create(
            {
                "name": name,
                "model_id": cls.env["ir.model"]._get_id(model),
                "state": "code",
                "code": code,
            }
        )

    @classmethod
    def _form_fields(cls, model, names):
        fields = cls.env["ir.model.fields"]
        return [
            Command.create({"sequence": n, "field_id": fields._get(model, name).id})
            for n, name in enumerate(names)
        ]

    @classmethod
    def setup_engine_flows(cls):
        env = cls.env
        cls.approver = new_test_user(
            env, login="eng_approver", password=PASSWORD, name="Zhao Approver"
        )
        cls.approver_employee = env["hr.employee"].create(
            {"name": "Zhao Approver", "user_id": cls.approver.id}
        )
        cls.login_user = new_test_user(env, login="eng_login_only", name="Qian Login")
        common = {
            "group_id": "GROUP001",
            "manager_user_id": env.user.id,
            "operation_user_id": env.user.id,
            "config_user_id": env.user.id,
            "creator_user_id": env.user.id,
            "mode": "engine",
        }
        cls.flow = env["aiflow.flow"].create(
            {
                **common,
                "flow_code": "PARTNER",
                "title": "Partner onboarding",
                "model_id": env["ir.model"]._get_id("res.partner"),
                "form_field_ids": cls._form_fields(
                    "res.partner",
                    [
                        "name",
                        "ref",
                        "type",
                        "parent_id",
                        "partner_latitude",
                        "color",
                        "is_company",
                    ],
                ),
                "effect_pass_action_id": cls._server_action(
                    "res.partner", "aiflow approved", "record.write({'function': 'Approved'})"
                ).id,
                "effect_reject_action_id": cls._server_action(
                    "res.partner", "aiflow rejected", "record.write({'function': 'Rejected'})"
                ).id,
                "effect_cancel_action_id": cls._server_action(
                    "res.partner", "aiflow cancelled", "record.write({'function': 'Cancelled'})"
                ).id,
            }
        )
        cls.leave_flow = env["aiflow.flow"].create(
            {
                **common,
                "flow_code": "LEAVE",
                "title": "Closing days",
                "model_id": env["ir.model"]._get_id("resource.calendar.leaves"),
                "form_field_ids": cls._form_fields(
                    "resource.calendar.leaves", ["name", "date_from", "date_to"]
                ),
            }
        )
        cls.company_partner = env["res.partner"].create({"name": "Parent Co", "is_company": True})


class WebhookCase(AiflowSandboxMixin, EngineFlowFixtures, HttpCase):
    """Odoo's real HTTP server; the sandbox pushes the signed events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_engine_flows()

    def setUp(self):
        super().setUp()
        self.sandbox.pusher.odoo_url = self.base_url()
        self.sandbox.odoo_url = self.base_url()
        self._configure(timezone="Asia/Shanghai")

    def _through_server(self, send, *args):
        # the server shares the test's transaction: it must see what the
        # test wrote, and the test must read what the server wrote
        self.env.flush_all()
        try:
            return send(*args)
        finally:
            self.env.invalidate_all()

    def push(self, body, secret=None):
        return self._through_server(self.sandbox.push_workflow_event, body, secret)

    def push_logs(self, body, secret=None):
        return self._through_server(self.sandbox.push_approval_log, body, secret)

    def post(self, path, raw, headers=None, method="POST"):
        """A hand-made request (for what the sandbox would never send)."""
        return self._through_server(
            lambda: self.opener.request(
                method,
                self.base_url() + path,
                data=raw,
                headers=headers or {},
                timeout=30,
                allow_redirects=False,
            )
        )

    def signature(self, raw, secret=SECRET):
        credential = Credential("COMPANY001", "APP001", secret)
        return Signer(credential).sign(raw)

    def signed_headers(self, raw, content_type="application/json"):
        headers = {SIGNATURE_HEADER: self.signature(raw)}
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    def events(self, **domain):
        return (
            self.env["aiflow.inbound.event"]
            .search([(name, "=", value) for name, value in domain.items()])
            .sorted("id")
        )

    def order_of(self, business_key):
        return self.env["aiflow.order"].search([("business_key", "=", business_key)])

    def assertEnvelope(self, result, http_status, status, msg_start=None):
        """``result``: a pusher result dict or a requests response."""
        if isinstance(result, dict):
            code, body = result["httpStatus"], result["response"]
        else:
            self.assertEqual(
                result.headers.get("Content-Type", "").split(";")[0], "application/json"
            )
            code, body = result.status_code, result.json()
        self.assertEqual(code, http_status, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(set(body), {"status", "msg", "data"}, body)
        self.assertEqual(body["status"], status, body)
        self.assertIsInstance(body["msg"], str)
        if msg_start is not None:
            self.assertTrue(body["msg"].startswith(msg_start), body["msg"])
        return body
