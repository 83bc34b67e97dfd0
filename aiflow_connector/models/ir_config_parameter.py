# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.tools import ormcache

from .. import settings as aiflow_settings


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @ormcache()
    def _aiflow_settings(self):
        """The addon's settings, read once per process until a parameter
        changes: every create, write or unlink of a parameter clears this
        cache as it clears ``get_param``'s, in this worker and (through the
        registry's signaling) in the others. The value is immutable, so it
        is shared safely between requests."""
        return aiflow_settings.read(self.sudo().get_param)
