# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    # Records that existed before install get their aiflow code now.
    env["hr.department"]._aiflow_fill_missing_codes()
    env["hr.employee"]._aiflow_fill_missing_codes()
