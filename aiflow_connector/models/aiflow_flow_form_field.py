# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..protocol.form_fields import COMPONENT_BY_TTYPE, FORM_TTYPES


class AiflowFlowFormField(models.Model):
    """One field of the document on an engine flow's form, in form order."""

    _name = "aiflow.flow.form.field"
    _description = "aiflow Flow Form Field"
    _order = "sequence, id"

    flow_id = fields.Many2one("aiflow.flow", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one(related="flow_id.model_id")
    field_id = fields.Many2one(
        "ir.model.fields",
        required=True,
        ondelete="cascade",
        domain=f"[('model_id', '=', model_id), ('ttype', 'in', {list(FORM_TTYPES)!r})]",
    )
    name = fields.Char(related="field_id.name", string="Technical Name")
    ttype = fields.Selection(related="field_id.ttype", string="Field Type")
    required = fields.Boolean(related="field_id.required")

    _sql_constraints = [
        ("field_unique", "unique(flow_id, field_id)", "A field appears once on a flow's form."),
    ]

    @api.constrains("field_id", "flow_id")
    def _check_field(self):
        for line in self:
            field = line.field_id
            if field.model_id != line.flow_id.model_id:
                raise ValidationError(
                    self.env._(
                        "Field %(field)s is not a field of %(model)s.",
                        field=field.name,
                        model=line.flow_id.model_id.model,
                    )
                )
            if field.ttype not in COMPONENT_BY_TTYPE:
                raise ValidationError(
                    self.env._(
                        "Field %(field)s (%(type)s) cannot be on an aiflow form.",
                        field=field.name,
                        type=field.ttype,
                    )
                )

    # The form aiflow holds follows its lines (added, removed, reordered,
    # another field chosen).
    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.flow_id._aiflow_form_changed()
        return lines

    def write(self, vals):
        flows = self.flow_id
        result = super().write(vals)
        (flows | self.flow_id)._aiflow_form_changed()
        return result

    def unlink(self):
        flows = self.flow_id
        result = super().unlink()
        flows._aiflow_form_changed()
        return result
