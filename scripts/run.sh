#!/usr/bin/env bash
# The run command: the aiflow sandbox plus an Odoo server with the connector
# installed in a demo database already configured to talk to that sandbox.
# A newcomer sees the connector work without an aiflow account.
#
# Environment: ODOO_PATH (default /opt/odoo), AIFLOW_DEMO_DB (aiflow_demo),
# ODOO_PORT (8069), SANDBOX_PORT (8090), AIFLOW_HOST (the host browsers use,
# default 127.0.0.1; set SANDBOX_BIND=0.0.0.0 too when it is not local),
# AIFLOW_RESET_DEMO=1 to rebuild the demo database.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_odoo_env

DB="${AIFLOW_DEMO_DB:-aiflow_demo}"
ODOO_PORT="${ODOO_PORT:-8069}"
SANDBOX_PORT="${SANDBOX_PORT:-8090}"
HOST="${AIFLOW_HOST:-127.0.0.1}"
STATE_DIR="${XDG_STATE_HOME:-$HOME/.local/state}/aiflow_connector"
mkdir -p "$STATE_DIR"
CONF="$STATE_DIR/$DB.conf"
CREDENTIALS="$STATE_DIR/$DB.credentials"

# Demo credentials are made once per demo database and kept beside it.
if [ ! -f "$CREDENTIALS" ] || [ "${AIFLOW_RESET_DEMO:-0}" = 1 ]; then
    cat > "$CREDENTIALS" <<CRED
AIFLOW_ENTERPRISE_CODE=DEMO001
AIFLOW_APP_ID=DEMOAPP
AIFLOW_APP_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
AIFLOW_OAUTH_CLIENT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
CRED
    chmod 600 "$CREDENTIALS"
    AIFLOW_RESET_DEMO=1
fi
set -a
# shellcheck disable=SC1090
source "$CREDENTIALS"
AIFLOW_SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
AIFLOW_SANDBOX_PUBLIC_URL="http://$HOST:$SANDBOX_PORT"
AIFLOW_ODOO_PUBLIC_URL="http://$HOST:$ODOO_PORT"
set +a

write_odoo_conf "$CONF" "$DB" "$ODOO_PORT"

db_exists() {
    PGPASSWORD="$ODOO_DB_PASSWORD" psql -U "$ODOO_DB_USER" -d postgres -tAc \
        "select 1 from pg_database where datname = '$DB'" | grep -q 1
}

if [ "${AIFLOW_RESET_DEMO:-0}" = 1 ] || ! db_exists; then
    say "building the demo database $DB (Odoo's HR demo data + aiflow_connector)"
    drop_db "$DB"
    odoo_bin -c "$CONF" -d "$DB" -i aiflow_connector --stop-after-init --log-level=warn \
        || die "installing aiflow_connector in $DB failed"
    odoo_bin shell -c "$CONF" -d "$DB" --log-level=warn --no-http \
        < "$REPO_ROOT/scripts/demo_configure.py" || die "configuring $DB failed"
else
    odoo_bin -c "$CONF" -d "$DB" -u aiflow_connector --stop-after-init --log-level=warn \
        || die "updating aiflow_connector in $DB failed"
fi

cd "$REPO_ROOT" || exit 2
# The secrets reach the sandbox through the environment (AIFLOW_APP_SECRET,
# AIFLOW_OAUTH_CLIENT_SECRET, exported above), never on its command line.
"$PY" -m aiflow_connector.sandbox --host "${SANDBOX_BIND:-127.0.0.1}" --port "$SANDBOX_PORT" \
    --public-url "$AIFLOW_SANDBOX_PUBLIC_URL" \
    --enterprise-code "$AIFLOW_ENTERPRISE_CODE" --app-id "$AIFLOW_APP_ID" \
    --oauth-client-id "$AIFLOW_APP_ID" \
    --odoo-url "http://127.0.0.1:$ODOO_PORT" &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null' EXIT INT TERM

cat <<INFO

  aiflow_connector demo
  ---------------------
  Odoo:     $AIFLOW_ODOO_PUBLIC_URL   (login: admin  password: admin)
  Settings: $AIFLOW_ODOO_PUBLIC_URL/odoo/action-aiflow_connector.res_config_settings_action
  Sandbox:  $AIFLOW_SANDBOX_PUBLIC_URL   (state: $AIFLOW_SANDBOX_PUBLIC_URL/sandbox/state,
            SSO login: $AIFLOW_SANDBOX_PUBLIC_URL/sandbox/login)
  Stop with Ctrl-C.

INFO

odoo_bin -c "$CONF" -d "$DB" --log-level=info
