"""Configure a demo database to talk to the aiflow sandbox.

Run inside ``odoo-bin shell`` (``env`` is given by the shell); used by
scripts/run.sh and docker-compose.yml. Values come from the environment so
that both can point Odoo at their own sandbox address. Settings go through
``res.config.settings`` so that they are validated and secrets are stored the
way the Settings form stores them.
"""

import os

# ruff: noqa: F821  (``env`` is injected by ``odoo-bin shell``)

sandbox_url = os.environ["AIFLOW_SANDBOX_URL"]
public_sandbox_url = os.environ.get("AIFLOW_SANDBOX_PUBLIC_URL", sandbox_url)
odoo_url = os.environ["AIFLOW_ODOO_PUBLIC_URL"]

env["ir.config_parameter"].sudo().set_param("web.base.url", odoo_url)
env["ir.config_parameter"].sudo().set_param("web.base.url.freeze", "True")
settings = env["res.config.settings"].create(
    {
        "aiflow_base_url": sandbox_url,
        "aiflow_enterprise_code": os.environ["AIFLOW_ENTERPRISE_CODE"],
        "aiflow_app_id": os.environ["AIFLOW_APP_ID"],
        "aiflow_app_secret": os.environ["AIFLOW_APP_SECRET"],
        "aiflow_oauth_client_id": os.environ["AIFLOW_APP_ID"],
        "aiflow_oauth_client_secret": os.environ["AIFLOW_OAUTH_CLIENT_SECRET"],
        "aiflow_oauth_redirect_uris": public_sandbox_url.rstrip("/") + "/aflow/api/oauth2/callback",
        "aiflow_sync_enabled": True,
    }
)
settings.execute()
# A task-center flow to look at (aiflow → Flows), registered and put online
# in the sandbox by the worker once this commits.
if not env["aiflow.flow"].search([("flow_code", "=", "DEPT_CHANGE")]):
    admin = env.ref("base.user_admin")
    flow = env["aiflow.flow"].create(
        {
            "flow_code": "DEPT_CHANGE",
            "title": "部门变更审批",
            "model_id": env["ir.model"]._get_id("hr.department"),
            "group_id": "GROUP001",
            "manager_user_id": admin.id,
            "operation_user_id": admin.id,
            "config_user_id": admin.id,
            "creator_user_id": admin.id,
            "update_desc": "初始版本上线",
        }
    )
    flow.action_aiflow_register()
# An engine-mode flow on contacts: aiflow runs its process, Odoo holds the
# contact. Created in the sandbox by the worker; the README shows how to make
# the sandbox start and end a process (/sandbox/push/workflow).
if not env["aiflow.flow"].search([("flow_code", "=", "PARTNER_REVIEW")]):
    admin = env.ref("base.user_admin")
    partner_model = env["ir.model"]._get_id("res.partner")

    def effect(name, code):
        return env["ir.actions.server"].create(
            {"name": name, "model_id": partner_model, "state": "code", "code": code}
        )

    engine_flow = env["aiflow.flow"].create(
        {
            "flow_code": "PARTNER_REVIEW",
            "title": "客户准入审批",
            "mode": "engine",
            "model_id": partner_model,
            "update_desc": "初始版本",
            "step_ids": [
                (0, 0, {"name": "销售经理审批", "user_ids": [(6, 0, admin.ids)]}),
                (0, 0, {"name": "财务审批", "user_ids": [(6, 0, admin.ids)]}),
            ],
            "effect_pass_action_id": effect(
                "aiflow: contact approved", "record.write({'function': '已准入'})"
            ).id,
            "effect_reject_action_id": effect(
                "aiflow: contact rejected", "record.write({'function': '未准入'})"
            ).id,
            "effect_cancel_action_id": effect(
                "aiflow: contact withdrawn", "record.action_archive()"
            ).id,
        }
    )
    engine_flow.form_field_ids = [
        (0, 0, {"sequence": n, "field_id": env["ir.model.fields"]._get("res.partner", name).id})
        for n, name in enumerate(
            ("name", "is_company", "phone", "email", "type", "country_id", "comment")
        )
    ]
    engine_flow.action_aiflow_engine_create()
# Chinese is installed with its translations, so that a user (or the
# screenshot script) can switch to it.
chinese = env["res.lang"]._activate_lang("zh_CN")
env["base.language.install"].create({"lang_ids": [(6, 0, chinese.ids)]}).lang_install()
env.cr.commit()
print(f"aiflow_connector configured: aiflow = {sandbox_url}, Odoo = {odoo_url}")
