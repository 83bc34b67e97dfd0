#!/usr/bin/env bash
# The pre-commit checkers, run directly (pre-commit cannot fetch its hook
# repositories everywhere): ruff, pylint-odoo's mandatory checks, OCA's module
# and PO checks. Installs them into their own virtualenv on first use.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ensure_lint_venv
VENV="$LINT_VENV"
cd "$REPO_ROOT" || exit 2
rc=0
"$VENV/bin/ruff" check . || rc=1
"$VENV/bin/ruff" format --check . || rc=1
for addon in aiflow_connector aiflow_connector_tier_validation; do
    "$VENV/bin/pylint" --rcfile=.pylintrc-mandatory "$addon" || rc=1
    "$VENV/bin/oca-checks-odoo-module" "$addon/__manifest__.py" || rc=1
    "$VENV/bin/oca-checks-po" "$addon"/i18n/*.po* || rc=1
done
exit $rc
