#!/usr/bin/env bash
# The test command: sets up what is missing, installs the addons in fresh
# databases and runs every test: aiflow_connector's inside real Odoo with
# pytest-odoo on a database without any OCA module, the tier-validation
# bridge's on a second database with the sales example's modules, then the
# plain protocol / sandbox / end-to-end suite.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -k oauth        extra arguments go to every pytest run
#
# Environment: ODOO_PATH (default /opt/odoo), AIFLOW_TEST_DB (default
# aiflow_test; the bridge's database is AIFLOW_TEST_DB_tier unless
# AIFLOW_TEST_TIER_DB says otherwise), PGHOST/PGPORT, AIFLOW_VENV (reuse a
# virtualenv).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_odoo_env
ensure_chromium

DB="${AIFLOW_TEST_DB:-aiflow_test}"
TIER_DB="${AIFLOW_TEST_TIER_DB:-${DB}_tier}"
TIER_MODULES="sale_management,sale_tier_validation,aiflow_connector_tier_validation"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiflow-test.XXXXXX")"
CONF="$WORK/odoo.conf"
TIER_CONF="$WORK/odoo-tier.conf"
write_odoo_conf "$CONF" "$DB" 0
write_odoo_conf "$TIER_CONF" "$TIER_DB" 0
export AIFLOW_ODOO_CONF="$CONF" AIFLOW_ODOO_DB="$DB" AIFLOW_PYTHON="$PY" ODOO_PATH
# The browser tests must run here, not skip (ensure_chromium installed it).
export AIFLOW_REQUIRE_BROWSER=1

install_fresh() {  # install_fresh CONF DB MODULES LOG
    drop_db "$2" || { echo "could not drop database $2" > "$4"; return 1; }
    odoo_bin -c "$1" -d "$2" -i "$3" --stop-after-init --without-demo=all --log-level=info > "$4" 2>&1
}

check_install() {  # check_install DB RC LOG
    if [ "$2" -ne 0 ]; then
        tail -n 60 "$3" >&2
        die "installing $1 failed (log above)"
    fi
    # A clean install logs no warning and no error, whoever emits them.
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$3" >&2; then
        die "installing $1 logged the WARNING/ERROR lines above"
    fi
    say "$1 installed clean: no WARNING or ERROR in the log"
}

# Both databases are built at once (each install is one busy process).
say "fresh database $DB: aiflow_connector alone, no OCA module"
say "fresh database $TIER_DB: $TIER_MODULES"
install_fresh "$CONF" "$DB" aiflow_connector "$WORK/install.log" &
main_install=$!
install_fresh "$TIER_CONF" "$TIER_DB" "$TIER_MODULES" "$WORK/install-tier.log" &
tier_install=$!
wait "$main_install"
main_rc=$?
wait "$tier_install"
tier_rc=$?
check_install "$DB" "$main_rc" "$WORK/install.log"
check_install "$TIER_DB" "$tier_rc" "$WORK/install-tier.log"
if PGPASSWORD="$ODOO_DB_PASSWORD" psql -U "$ODOO_DB_USER" -d "$DB" -tAc \
        "SELECT name FROM ir_module_module WHERE state = 'installed' AND name LIKE '%tier_validation%'" \
        | grep -q .; then
    die "$DB has a tier validation module installed: aiflow_connector must be tested without OCA"
fi

cd "$REPO_ROOT" || exit 2
summaries=()
status=0
SELECTING=$(( $# > 0 ))

summary_line() {  # pytest's closing line, with or without -q
    grep -E '(passed|failed|errors?|skipped|no tests ran).* in [0-9.]+s' "$1" | tail -n 1 | tr -d '='
}

run_suite() {  # run_suite NAME LOG -- pytest args...
    local name=$1 log=$2 rc
    shift 3
    say "running the $name tests"
    "$PY" -m pytest "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summaries+=("$name: $(summary_line "$log")")
    if [ "$rc" -eq 5 ] && [ "$SELECTING" -eq 1 ]; then
        # -k and the like may leave a suite nothing to run
        say "$name: no test selected"
    elif [ "$rc" -ne 0 ]; then
        # 5 is "no tests collected": a suite that ran nothing proves nothing.
        say "$name tests exited with $rc"
        status=1
    fi
}

run_suite "Odoo (aiflow_connector/tests)" "$WORK/odoo-tests.log" -- \
    --odoo-config "$CONF" --odoo-database "$DB" --odoo-http \
    --odoo-extra test-enable --odoo-log-level warn -p no:cacheprovider -q -ra aiflow_connector/tests "$@"

# Without test-enable: with it, loading the registry runs the at_install
# tests of every installed module, and OCA's need odoo-test-helper.
run_suite "Odoo (aiflow_connector_tier_validation/tests)" "$WORK/odoo-tier-tests.log" -- \
    --odoo-config "$TIER_CONF" --odoo-database "$TIER_DB" \
    --odoo-log-level warn -p no:cacheprovider -q -ra \
    aiflow_connector_tier_validation/tests "$@"

run_suite "plain (tests/)" "$WORK/plain-tests.log" -- \
    -p no:odoo -p no:cacheprovider -q -ra tests "$@"

echo
echo "=== aiflow_connector test summary ==="
printf '%s\n' "${summaries[@]}"
total_passed=0
total_failed=0
for log in "$WORK/odoo-tests.log" "$WORK/odoo-tier-tests.log" "$WORK/plain-tests.log"; do
    line=$(summary_line "$log")
    for n in $(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+'); do
        total_passed=$((total_passed + n))
    done
    for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '[0-9]+'); do
        total_failed=$((total_failed + n))
    done
done
echo "total: $total_passed passed, $total_failed failed"
if [ "$status" -ne 0 ] || [ "$total_failed" -ne 0 ] || [ "$total_passed" -eq 0 ]; then
    exit 1
fi
rm -rf "$WORK"
exit 0
