# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Engine-mode flows whose documents aiflow creates and ends through the signed webhooks."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user

from ...protocol.signing import SIGNATURE_HEADER, Credential, Signer
from .oauth2 import PASSWORD
from .sandbox import SECRET, AiflowSandboxMixin

# engine mode: aiflow pushes signed workflow events to Odoo's webhooks

WORKFLOW_PATH = "/odoo/api/workflow/receive"
APPROVAL_LOG_PATH = "/odoo/api/workflow/approval/log"


class EngineWebhookFixtures:
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


class WebhookCase(AiflowSandboxMixin, EngineWebhookFixtures, HttpCase):
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
