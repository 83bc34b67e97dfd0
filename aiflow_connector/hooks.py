# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import settings as aiflow_settings


def post_init_hook(env):
    # The defaults an administrator sees in Technical > Parameters and can
    # change there; an upgrade keeps their choice. sync_enabled stays absent:
    # sync waits until an administrator has entered the credentials.
    params = env["ir.config_parameter"].sudo()
    for setting in aiflow_settings.DECLARATIONS:
        if setting.kind in aiflow_settings.SHOWN_AT_INSTALL and setting.default:
            if params.get_param(setting.key) is False:
                params.set_param(setting.key, aiflow_settings.text(setting.default))
    # Records that existed before install get their aiflow code now.
    env["hr.department"]._aiflow_fill_missing_codes()
    env["hr.employee"]._aiflow_fill_missing_codes()
