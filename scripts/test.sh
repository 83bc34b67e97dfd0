#!/usr/bin/env bash
# The test command: sets up what is missing, installs the addon in a fresh
# database and runs every test (the addon's inside real Odoo with pytest-odoo,
# then the plain protocol / sandbox / end-to-end suite).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -k oauth        extra arguments go to both pytest runs
#
# Environment: ODOO_PATH (default /opt/odoo), AIFLOW_TEST_DB (default
# aiflow_test), PGHOST/PGPORT, AIFLOW_VENV (reuse a virtualenv).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_odoo_env
ensure_chromium

DB="${AIFLOW_TEST_DB:-aiflow_test}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiflow-test.XXXXXX")"
CONF="$WORK/odoo.conf"
write_odoo_conf "$CONF" "$DB" 0
export AIFLOW_ODOO_CONF="$CONF" AIFLOW_ODOO_DB="$DB" AIFLOW_PYTHON="$PY" ODOO_PATH
# The browser tests must run here, not skip (ensure_chromium installed it).
export AIFLOW_REQUIRE_BROWSER=1

say "fresh database $DB: installing aiflow_connector"
drop_db "$DB" || die "could not drop database $DB"
INSTALL_LOG="$WORK/install.log"
if ! odoo_bin -c "$CONF" -d "$DB" -i aiflow_connector --stop-after-init \
        --without-demo=all --log-level=info > "$INSTALL_LOG" 2>&1; then
    tail -n 60 "$INSTALL_LOG" >&2
    die "installing the addon failed (log above)"
fi
# A clean install logs no warning and no error, whoever emits them.
if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$INSTALL_LOG" >&2; then
    die "installing the addon logged the WARNING/ERROR lines above"
fi
say "install clean: no WARNING or ERROR in the log"

cd "$REPO_ROOT" || exit 2
summaries=()
status=0

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
    if [ "$rc" -ne 0 ]; then
        # 5 is "no tests collected": a suite that ran nothing proves nothing.
        say "$name tests exited with $rc"
        status=1
    fi
}

run_suite "Odoo (aiflow_connector/tests)" "$WORK/odoo-tests.log" -- \
    --odoo-config "$CONF" --odoo-database "$DB" --odoo-http \
    --odoo-extra test-enable --odoo-log-level warn -p no:cacheprovider -q -ra aiflow_connector/tests "$@"

run_suite "plain (tests/)" "$WORK/plain-tests.log" -- \
    -p no:odoo -p no:cacheprovider -q -ra tests "$@"

echo
echo "=== aiflow_connector test summary ==="
printf '%s\n' "${summaries[@]}"
total_passed=0
total_failed=0
for log in "$WORK/odoo-tests.log" "$WORK/plain-tests.log"; do
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
