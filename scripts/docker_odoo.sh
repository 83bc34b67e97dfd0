#!/usr/bin/env bash
# Odoo service of docker-compose.yml: install the connector in the demo
# database, point it at the sandbox service, then serve.
set -euo pipefail
DB=aiflow_demo
ARGS=(--db_host=db --db_user=odoo --db_password=odoo --addons-path=/mnt/extra-addons,/usr/lib/python3/dist-packages/odoo/addons)
python3 -c 'import Crypto' 2>/dev/null \
    || pip3 install --user --break-system-packages --no-cache-dir -q pycryptodome
until pg_isready -q -h db -U odoo; do sleep 1; done
odoo "${ARGS[@]}" -d "$DB" -i aiflow_connector --stop-after-init
odoo shell "${ARGS[@]}" -d "$DB" --no-http < /opt/aiflow/demo_configure.py
exec odoo "${ARGS[@]}" -d "$DB" --db-filter="^$DB\$"
