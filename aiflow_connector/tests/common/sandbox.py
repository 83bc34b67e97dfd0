# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (the fixture commits on a connection of its own, never the test's transaction)
"""The aiflow sandbox on 127.0.0.1 and the organization-sync case configured towards it."""

import re
import socket
from contextlib import closing
from urllib.parse import urlsplit

from odoo import sql_db
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import _super_send, get_db_name

from ...outbox import queries
from ...protocol.signing import Credential
from ...sandbox.server import SandboxServer

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
            queries.delete_rows(cr)
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
