# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocol import task_center

FLOW_CODE_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
RULE_KINDS = [
    (task_center.RULE_ALL, "Everyone"),
    (task_center.RULE_CUSTOM, "Chosen users, departments and groups"),
]
# page field -> (protocol key, wire key)
PAGE_FIELDS = {
    "initiate_web_url": ("initiate", "webUrl"),
    "initiate_h5_url": ("initiate", "h5Url"),
    "detail_web_url": ("detail", "webUrl"),
    "detail_h5_url": ("detail", "h5Url"),
}


def _codes(text):
    """Codes typed one per line or separated by commas or spaces."""
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


class AiflowFlow(models.Model):
    """A third-party flow (task-center mode, spec part 1 §4.1): Odoo runs the
    approval of one kind of document and aiflow lists its to-dos."""

    _name = "aiflow.flow"
    _description = "aiflow Flow"
    _order = "flow_code"
    _rec_names_search = ["flow_code", "title"]

    flow_code = fields.Char(
        required=True,
        copy=False,
        index=True,
        help="Code of the flow in aiflow: a letter, then letters, digits, '_' or '-' "
        "(64 at most). It cannot change once the flow is registered.",
    )
    title = fields.Char(required=True, help="Title aiflow shows for this flow.")
    model_id = fields.Many2one(
        "ir.model",
        string="Document Model",
        required=True,
        ondelete="cascade",
        domain=[("transient", "=", False)],
        help="Documents of this model approved in Odoo appear in aiflow's task center.",
    )
    model = fields.Char(related="model_id.model", store=True, index=True, string="Model Name")
    # Required for task-center flows only (aiflow_flow_engine.py checks it).
    group_id = fields.Char(string="Group ID", help="aiflow group of the flow.")
    manager_user_id = fields.Many2one("res.users", string="Flow Manager")
    operation_user_id = fields.Many2one("res.users", string="Operation Owner")
    config_user_id = fields.Many2one("res.users", string="Configuration Owner")
    creator_user_id = fields.Many2one(
        "res.users", string="Created By (aiflow)", required=True, default=lambda self: self.env.user
    )
    apply_on_pc = fields.Boolean(string="Start on PC", default=True)
    apply_on_mobile = fields.Boolean(string="Start on Mobile", default=True)
    apply_rule = fields.Selection(RULE_KINDS, string="Who May Start", default="all", required=True)
    apply_user_ids = fields.Many2many(
        "res.users",
        "aiflow_flow_apply_user_rel",
        "flow_id",
        "user_id",
        string="Users Who May Start",
    )
    apply_department_ids = fields.Many2many(
        "hr.department",
        "aiflow_flow_apply_department_rel",
        "flow_id",
        "department_id",
        string="Departments That May Start",
    )
    apply_group_codes = fields.Char(
        string="aiflow User Groups That May Start",
        help="Codes of user groups defined in aiflow, separated by commas or spaces.",
    )
    manage_rule = fields.Selection(
        RULE_KINDS, string="Who May Manage", default="all", required=True
    )
    manage_user_ids = fields.Many2many(
        "res.users",
        "aiflow_flow_manage_user_rel",
        "flow_id",
        "user_id",
        string="Users Who May Manage",
    )
    manage_department_ids = fields.Many2many(
        "hr.department",
        "aiflow_flow_manage_department_rel",
        "flow_id",
        "department_id",
        string="Departments That May Manage",
    )
    manage_group_codes = fields.Char(
        string="aiflow User Groups That May Manage",
        help="Codes of user groups defined in aiflow, separated by commas or spaces.",
    )
    cc_user_ids = fields.Many2many(
        "res.users",
        "aiflow_flow_cc_user_rel",
        "flow_id",
        "user_id",
        string="CC Users",
        help="Copied on every order of this flow.",
    )
    initiate_web_url = fields.Char(string="Start Page (PC)", compute="_compute_page_urls")
    initiate_h5_url = fields.Char(string="Start Page (H5)", compute="_compute_page_urls")
    detail_web_url = fields.Char(string="Detail Page (PC)", compute="_compute_page_urls")
    detail_h5_url = fields.Char(string="Detail Page (H5)", compute="_compute_page_urls")
    initiate_web_url_custom = fields.Char(string="Custom Start Page (PC)")
    initiate_h5_url_custom = fields.Char(string="Custom Start Page (H5)")
    detail_web_url_custom = fields.Char(string="Custom Detail Page (PC)")
    detail_h5_url_custom = fields.Char(string="Custom Detail Page (H5)")
    update_desc = fields.Char(
        string="Update Description", help="Sent to aiflow when the flow goes online."
    )
    flow_version = fields.Integer(readonly=True, copy=False, help="Version aiflow gave the flow.")
    state = fields.Selection(
        [("draft", "Draft"), ("registered", "Registered"), ("online", "Online")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
    )
    last_outcome = fields.Text(
        readonly=True, copy=False, help="What aiflow answered to the last register or online call."
    )
    last_outcome_at = fields.Datetime(string="Last Outcome On", readonly=True, copy=False)
    order_count = fields.Integer(compute="_compute_order_count")

    _sql_constraints = [
        ("flow_code_unique", "unique(flow_code)", "Another flow already has this flow code."),
        ("model_unique", "unique(model_id)", "Another flow already covers this document model."),
    ]

    @api.depends("flow_code", "title")
    def _compute_display_name(self):
        for flow in self:
            flow.display_name = (
                f"[{flow.flow_code}] {flow.title}" if flow.flow_code else (flow.title or "")
            )

    @api.depends("flow_code", *(f"{name}_custom" for name in PAGE_FIELDS))
    def _compute_page_urls(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        for flow in self:
            defaults = task_center.default_page_urls(base_url, flow.flow_code or "")
            for name, (page, key) in PAGE_FIELDS.items():
                flow[name] = (flow[f"{name}_custom"] or "").strip() or defaults[page][key]

    def _compute_order_count(self):
        counts = dict(
            self.env["aiflow.order"]
            .sudo()
            ._read_group([("flow_id", "in", self.ids)], ["flow_id"], ["__count"])
        )
        for flow in self:
            flow.order_count = counts.get(flow, 0)

    @api.constrains("flow_code")
    def _check_flow_code(self):
        for flow in self:
            if not FLOW_CODE_RE.match(flow.flow_code or ""):
                raise ValidationError(
                    self.env._(
                        "The flow code %(code)r is not valid: use a letter, then letters, "
                        "digits, '_' or '-' (64 characters at most).",
                        code=flow.flow_code,
                    )
                )

    @api.constrains("apply_on_pc", "apply_on_mobile")
    def _check_terminals(self):
        for flow in self:
            if not (flow.apply_on_pc or flow.apply_on_mobile):
                raise ValidationError(
                    self.env._(
                        "Flow %(code)s must be startable on PC, on mobile or both.",
                        code=flow.flow_code,
                    )
                )

    @api.constrains(
        "apply_rule",
        "apply_user_ids",
        "apply_department_ids",
        "apply_group_codes",
        "manage_rule",
        "manage_user_ids",
        "manage_department_ids",
        "manage_group_codes",
    )
    def _check_rules(self):
        for flow in self:
            for prefix, label in (
                ("apply", self.env._("start")),
                ("manage", self.env._("manage")),
            ):
                if flow[f"{prefix}_rule"] != task_center.RULE_CUSTOM:
                    continue
                if not (
                    flow[f"{prefix}_user_ids"]
                    or flow[f"{prefix}_department_ids"]
                    or _codes(flow[f"{prefix}_group_codes"])
                ):
                    raise ValidationError(
                        self.env._(
                            "Flow %(code)s lets chosen people %(what)s it but chooses nobody: "
                            "name users, departments or aiflow user groups, or allow everyone.",
                            code=flow.flow_code,
                            what=label,
                        )
                    )

    def write(self, vals):
        # aiflow knows a registered flow by its code.
        if "flow_code" in vals and any(
            flow.state != "draft" and flow.flow_code != vals["flow_code"] for flow in self
        ):
            raise UserError(self.env._("The flow code of a registered flow cannot change."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # payloads, built from the current record when sent

    def _aiflow_rule(self, prefix):
        return task_center.access_rule(
            self[f"{prefix}_rule"],
            user_codes=[user._aiflow_oauth_user_code() for user in self[f"{prefix}_user_ids"]],
            dept_codes=self[f"{prefix}_department_ids"].mapped("aiflow_code"),
            group_codes=_codes(self[f"{prefix}_group_codes"]),
        )

    def _aiflow_create_payload(self):
        """Body of create_third_party (spec §4.1) for this flow."""
        self.ensure_one()
        flow = self.sudo()
        return task_center.third_party_flow(
            {
                "flow_code": flow.flow_code,
                "title": flow.title,
                "initiate_url": {"h5Url": flow.initiate_h5_url, "webUrl": flow.initiate_web_url},
                "detail_url": {"h5Url": flow.detail_h5_url, "webUrl": flow.detail_web_url},
                "group_id": flow.group_id,
                "manager_code": flow.manager_user_id._aiflow_oauth_user_code(),
                "operation_code": flow.operation_user_id._aiflow_oauth_user_code(),
                "config_code": flow.config_user_id._aiflow_oauth_user_code(),
                "creator_code": flow.creator_user_id._aiflow_oauth_user_code(),
                "terminals": [
                    terminal
                    for terminal, allowed in (
                        ("pc", flow.apply_on_pc),
                        ("mobile", flow.apply_on_mobile),
                    )
                    if allowed
                ],
                "apply_rule": flow._aiflow_rule("apply"),
                "manage_rule": flow._aiflow_rule("manage"),
            }
        )

    def _aiflow_online_payload(self):
        """Body of online_third_party (spec §4.2): the version aiflow gave."""
        self.ensure_one()
        if not self.flow_version:
            raise UserError(
                self.env._(
                    "Flow %(code)s has no aiflow version yet: register it in aiflow first.",
                    code=self.flow_code,
                )
            )
        return task_center.flow_online(self.flow_code, self.flow_version, self.update_desc)

    def _aiflow_people(self):
        """Users this flow names, whom aiflow must know before it registers the flow."""
        self.ensure_one()
        return (
            self.manager_user_id
            | self.operation_user_id
            | self.config_user_id
            | self.creator_user_id
            | self.apply_user_ids
            | self.manage_user_ids
        )

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("aiflow_connector.aiflow_order_action")
        action["domain"] = [("flow_id", "=", self.id)]
        action["context"] = {"default_flow_id": self.id}
        return action
