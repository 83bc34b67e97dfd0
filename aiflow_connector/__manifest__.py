# Copyright 2026 aiflow_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "aiflow Connector",
    "summary": "Departments and employees synced to the aiflow process center through "
    "a reliable outbox; single sign-on to aiflow with Odoo accounts; Odoo approvals "
    "as to-dos in aiflow's task center; engine-mode flows defined in Odoo and driven by "
    "aiflow's signed webhooks",
    "version": "18.0.1.3.0",
    "category": "Human Resources",
    "website": "https://github.com/aiflow-connector/aiflow_connector",
    "author": "aiflow_connector authors",
    "license": "LGPL-3",
    "depends": ["base", "mail", "hr"],
    "external_dependencies": {"python": ["requests", "pycryptodome"]},
    "data": [
        "security/aiflow_connector_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "views/aiflow_full_resync_views.xml",
        "views/res_config_settings_views.xml",
        "views/aiflow_menus.xml",
        "data/ir_cron_outbox.xml",
        "views/aiflow_outbox_views.xml",
        "views/aiflow_outbox_retry_dead_views.xml",
        "views/aiflow_overview_views.xml",
        "views/hr_department_views.xml",
        "views/hr_employee_views.xml",
        "views/aiflow_oauth_token_views.xml",
        "views/aiflow_flow_views.xml",
        "views/aiflow_order_views.xml",
        "views/aiflow_task_center_menus.xml",
        "views/aiflow_inbound_event_views.xml",
        "views/aiflow_flow_page_templates.xml",
    ],
    "post_init_hook": "post_init_hook",
    "assets": {
        "web.assets_backend": [
            "aiflow_connector/static/src/js/aiflow_resync_progress.js",
            "aiflow_connector/static/src/scss/aiflow_settings.scss",
            "aiflow_connector/static/src/js/aiflow_sync_state_field.js",
            "aiflow_connector/static/src/overview/aiflow_overview.js",
            "aiflow_connector/static/src/overview/aiflow_overview.xml",
            "aiflow_connector/static/src/overview/aiflow_overview.scss",
        ],
    },
    "installable": True,
    "application": True,
}
