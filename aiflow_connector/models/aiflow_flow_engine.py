# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# One concern per file (house rule): aiflow.flow is extended in several files.
# pylint: disable=consider-merging-classes-inherited
"""Engine mode of a flow (spec part 1 §5): aiflow runs the process, Odoo
holds the document. Its definition here: the form made of the document's
fields, the BPMN process (uploaded or generated from the steps), and the
fields a task-center flow needs and an engine flow does not."""

import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocol import bpmn, form_schema

MODE_TASK_CENTER = "task_center"
MODE_ENGINE = "engine"
BPMN_GENERATED = "generated"
BPMN_UPLOADED = "uploaded"
# What a task-center flow must name (aiflow's create_third_party needs them).
TASK_CENTER_REQUIRED = ("group_id", "manager_user_id", "operation_user_id", "config_user_id")


class AiflowFlow(models.Model):
    _inherit = "aiflow.flow"

    mode = fields.Selection(
        [(MODE_TASK_CENTER, "Task center"), (MODE_ENGINE, "Process engine")],
        default=MODE_TASK_CENTER,
        required=True,
        help="Task center: Odoo runs the approval and aiflow lists its to-dos. "
        "Process engine: aiflow runs the process and tells Odoo what happened.",
    )
    flow_name = fields.Char(
        help="Name of the flow in aiflow's process engine (the title when empty)."
    )
    form_field_ids = fields.One2many(
        "aiflow.flow.form.field",
        "flow_id",
        string="Form Fields",
        help="Fields of the document that make the flow's form in aiflow, in this order.",
    )
    effect_pass_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Approval",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when aiflow completes the process (e.g. confirm it).",
    )
    effect_reject_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Rejection",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when aiflow rejects it.",
    )
    effect_cancel_action_id = fields.Many2one(
        "ir.actions.server",
        string="On Cancellation",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
        help="Run on the document when its process is cancelled in aiflow.",
    )

    active = fields.Boolean(
        default=True, help="Archiving an engine flow deletes its form in aiflow."
    )
    step_ids = fields.One2many(
        "aiflow.flow.step",
        "flow_id",
        string="Steps",
        help="Approval steps of the generated process, in this order.",
    )
    bpmn_source = fields.Selection(
        [(BPMN_GENERATED, "Generated from the steps"), (BPMN_UPLOADED, "Uploaded BPMN file")],
        string="Process",
        default=BPMN_GENERATED,
        required=True,
        help="Generated: a start event, one user task per step in order, an end event. "
        "Uploaded: a BPMN 2.0 file drawn with a process modeler.",
    )
    bpmn_file = fields.Binary(string="BPMN File", attachment=True, copy=False)
    bpmn_filename = fields.Char(string="BPMN File Name", copy=False)
    aiflow_form_synced = fields.Boolean(
        string="Form in aiflow",
        readonly=True,
        copy=False,
        help="aiflow accepted this flow's form (form sync) and has not deleted it since.",
    )

    @api.constrains("mode", *TASK_CENTER_REQUIRED)
    def _check_task_center_fields(self):
        for flow in self:
            if flow.mode != MODE_TASK_CENTER:
                continue
            missing = [name for name in TASK_CENTER_REQUIRED if not flow[name]]
            if missing:
                labels = ", ".join(
                    self._fields[name]._description_string(self.env) for name in missing
                )
                raise ValidationError(
                    self.env._(
                        "Task-center flow %(code)s needs: %(fields)s.",
                        code=flow.flow_code,
                        fields=labels,
                    )
                )

    @api.constrains("bpmn_file")
    def _check_bpmn_file(self):
        for flow in self:
            if flow.bpmn_file:
                flow._aiflow_uploaded_bpmn()

    # ------------------------------------------------------------------
    # the process

    def _aiflow_uploaded_bpmn(self):
        """The uploaded file's XML text, checked; ValidationError saying
        what is wrong with it."""
        self.ensure_one()
        try:
            data = base64.b64decode(
                self.sudo().with_context(bin_size=False).bpmn_file or b"", validate=True
            )
        except (binascii.Error, ValueError):
            data = b""
        try:
            bpmn.check(data)
        except bpmn.BpmnError as exc:
            raise ValidationError(self._aiflow_bpmn_message(exc)) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(self.env._("The BPMN file must be encoded in UTF-8.")) from None

    def _aiflow_bpmn_message(self, exc):
        details = exc.details
        name = self.bpmn_filename or self.env._("The BPMN file")
        messages = {
            bpmn.EMPTY: lambda: self.env._("%(name)s is empty.", name=name),
            bpmn.TOO_LARGE: lambda: self.env._(
                "%(name)s is larger than %(limit)s MB.",
                name=name,
                limit=details["limit"] // (1024 * 1024),
            ),
            bpmn.DOCTYPE: lambda: self.env._(
                "%(name)s declares a DOCTYPE; BPMN files never need one and it is refused "
                "(it could expand entities).",
                name=name,
            ),
            bpmn.NOT_XML: lambda: self.env._(
                "%(name)s is not well-formed XML at line %(line)s: %(error)s",
                name=name,
                line=details["line"],
                error=details["error"],
            ),
            bpmn.NOT_BPMN: lambda: self.env._(
                "%(name)s is not BPMN 2.0: its root element is %(root)s, where BPMN 2.0 has "
                "{%(namespace)s}definitions.",
                name=name,
                root=details["root"],
                namespace=bpmn.BPMN_NS,
            ),
            bpmn.NO_PROCESS: lambda: self.env._("%(name)s defines no process.", name=name),
            bpmn.NO_START: lambda: self.env._(
                "Process %(process)s of %(name)s has no start event.",
                process=details["process"],
                name=name,
            ),
            bpmn.NO_END: lambda: self.env._(
                "Process %(process)s of %(name)s has no end event.",
                process=details["process"],
                name=name,
            ),
        }
        return messages[exc.problem]()

    def _aiflow_engine_name(self):
        self.ensure_one()
        return self.flow_name or self.title

    def _aiflow_bpmn_xml(self):
        """The process sent to aiflow: the uploaded file, or the linear
        process of the steps. UserError when there is none."""
        self.ensure_one()
        flow = self.sudo()
        if flow.bpmn_source == BPMN_UPLOADED:
            if not flow.bpmn_file:
                raise UserError(
                    self.env._(
                        "Flow %(code)s takes an uploaded BPMN file, but none is uploaded.",
                        code=flow.flow_code,
                    )
                )
            return flow._aiflow_uploaded_bpmn()
        if not flow.step_ids:
            raise UserError(
                self.env._(
                    "Flow %(code)s has no step: add the approval steps, or upload a BPMN file.",
                    code=flow.flow_code,
                )
            )
        return bpmn.linear_process(
            flow.flow_code,
            flow._aiflow_engine_name(),
            [
                {
                    "name": step.name,
                    "user_codes": [user._aiflow_oauth_user_code() for user in step.user_ids],
                }
                for step in flow.step_ids
            ],
        )

    def _aiflow_engine_employees(self):
        """Employees the process names (generated or uploaded), whom aiflow
        must know before the flow; people named by login have none."""
        self.ensure_one()
        codes = bpmn.candidate_users(self._aiflow_bpmn_xml())
        if not codes:
            return self.env["hr.employee"]
        return (
            self.env["hr.employee"]
            .sudo()
            .with_context(active_test=False)
            .search([("aiflow_code", "in", codes)])
        )

    # ------------------------------------------------------------------
    # the form

    def _aiflow_form_lang(self):
        """The company's language (its partner's), where it is installed."""
        lang = self.env.company.partner_id.lang or self.env.lang or "en_US"
        return lang if self.env["res.lang"]._lang_get(lang) else "en_US"

    def _aiflow_form_field_descriptions(self):
        """The form's fields as :func:`..protocol.form_schema.component` takes
        them, labels in the company's language."""
        self.ensure_one()
        flow = self.sudo()
        if not flow.model or flow.model not in self.env:
            return []
        lang = flow._aiflow_form_lang()
        names = [name for name in flow.form_field_ids.mapped("field_id.name") if name]
        document = self.env[flow.model].sudo().with_context(lang=lang)
        info = document.fields_get(
            names, attributes=["string", "type", "required", "selection", "relation"]
        )
        descriptions = []
        for name in names:
            field = info.get(name)
            if not field:
                continue
            description = {
                "name": name,
                "ttype": field["type"],
                "label": field.get("string") or name,
                "required": bool(field.get("required")),
            }
            if field["type"] == "selection":
                description["selection"] = field.get("selection") or []
            elif field["type"] == "many2one":
                comodel = self.env[field["relation"]].sudo().with_context(lang=lang)
                records = comodel.search([], limit=form_schema.MANY2ONE_OPTION_CAP + 1)
                description["comodel"] = field["relation"]
                description["records"] = [(record.id, record.display_name) for record in records]
            descriptions.append(description)
        return descriptions

    def _aiflow_form_schema(self):
        self.ensure_one()
        return form_schema.form_schema(self._aiflow_form_field_descriptions())

    @api.model
    def _aiflow_online_flow_for(self, model_name):
        # Task-center orders come from Odoo's approvals; an engine flow's
        # orders come from aiflow.
        return self.sudo().search(
            [("model", "=", model_name), ("state", "=", "online"), ("mode", "=", MODE_TASK_CENTER)],
            limit=1,
        )
