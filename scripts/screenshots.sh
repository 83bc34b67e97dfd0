#!/usr/bin/env bash
# The documentation's screenshots, taken from the running demo (scripts/run.sh)
# in headless Chromium, in English and Chinese: runs scripts/screenshots.py
# with the project's virtualenv. Arguments go to it (--help lists them);
# ODOO_PORT and AIFLOW_DEMO_DB are those of the demo, as for scripts/run.sh.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_odoo
ensure_venv
exec "$PY" "$REPO_ROOT/scripts/screenshots.py" "$@"
