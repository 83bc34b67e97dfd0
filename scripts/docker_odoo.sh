#!/usr/bin/env bash
# Odoo service of docker-compose.yml: install the connector and its
# tier-validation bridge (with the sales example) in the demo database, point
# it at the sandbox service, then serve.
set -euo pipefail
DB=aiflow_demo
ARGS=(--db_host=db --db_user=odoo --db_password=odoo --addons-path=/mnt/extra-addons,/usr/lib/python3/dist-packages/odoo/addons)
python3 -c 'import Crypto' 2>/dev/null \
    || pip3 install --user --break-system-packages --no-cache-dir -q pycryptodome
until pg_isready -q -h db -U odoo; do sleep 1; done
# The tier-validation bridge's OCA wheels (pinned), without their "odoo"
# requirement that no registry has; then the sales example's modules.
python3 -c 'import odoo.addons.base_tier_validation' 2>/dev/null \
    || pip3 install --user --break-system-packages --no-cache-dir -q --no-deps \
        -r /opt/aiflow-oca/requirements-oca.txt
odoo "${ARGS[@]}" -d "$DB" \
    -i aiflow_connector,sale_management,sale_tier_validation,aiflow_connector_tier_validation \
    --stop-after-init
odoo shell "${ARGS[@]}" -d "$DB" --no-http < /opt/aiflow/demo_configure.py
exec odoo "${ARGS[@]}" -d "$DB" --db-filter="^$DB\$"
