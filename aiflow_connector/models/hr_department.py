# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class HrDepartment(models.Model):
    _name = "hr.department"
    _inherit = ["hr.department", "aiflow.code.mixin"]
    _aiflow_code_sequence = "aiflow_connector.department_code"
