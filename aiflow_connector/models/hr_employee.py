# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class HrEmployee(models.Model):
    _name = "hr.employee"
    _inherit = ["hr.employee", "aiflow.code.mixin"]
    _aiflow_code_sequence = "aiflow_connector.employee_code"
