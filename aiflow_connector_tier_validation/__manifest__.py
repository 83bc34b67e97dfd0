# Copyright 2026 aiflow_connector authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "aiflow Connector - Tier Validation",
    "summary": "Approvals run with OCA tier validation appear as to-dos in aiflow's task center",
    "version": "18.0.1.0.0",
    "category": "Tools",
    "website": "https://github.com/aiflow-connector/aiflow_connector",
    "author": "aiflow_connector authors",
    "license": "AGPL-3",
    "depends": ["aiflow_connector", "base_tier_validation"],
    "data": [
        "views/tier_definition_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
