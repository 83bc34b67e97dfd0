#!/usr/bin/env bash
# Refresh the translation catalogues from the code: exports the terms of the
# installed addon to i18n/aiflow_connector.pot with Odoo's own exporter, then
# merges i18n/zh_CN.po against it (exact matches only, so nothing is guessed).
#
#   scripts/i18n.sh [COMPENDIUM.po ...]   extra catalogues to take translations from
#
# Formats both files as OCA's PO checker wants and lists the zh_CN entries
# still without a translation (aiflow_connector/tests/test_i18n.py fails on
# them, except language-neutral ones such as codes and URLs).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_odoo_env
ensure_lint_venv

DB="${AIFLOW_I18N_DB:-aiflow_i18n}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiflow-i18n.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
write_odoo_conf "$WORK/odoo.conf" "$DB" 0
I18N="$REPO_ROOT/aiflow_connector/i18n"
POT="$I18N/aiflow_connector.pot"
PO="$I18N/zh_CN.po"

drop_db "$DB"
odoo_bin -c "$WORK/odoo.conf" -d "$DB" -i aiflow_connector --without-demo=all \
    --stop-after-init --log-level=warn || die "installing the addon failed"
odoo_bin -c "$WORK/odoo.conf" -d "$DB" --modules=aiflow_connector \
    --i18n-export="$POT" --stop-after-init --log-level=warn || die "exporting terms failed"
drop_db "$DB"

compendium=()
for extra in "$@"; do compendium+=(--compendium "$extra"); done
if [ ! -f "$PO" ]; then
    sed -e '/^"Language-Team: /a "Language: zh_CN\\n"' "$POT" > "$PO"
fi
msgmerge --quiet --no-fuzzy-matching --no-wrap "${compendium[@]}" -o "$WORK/zh_CN.po" "$PO" "$POT" \
    || die "msgmerge failed"
# Keep only live entries: obsolete ones would confuse translators. Drop
# translator comments ("# ..." below the header): the catalogue is what
# Odoo's exporter writes plus translations, nothing placed by hand.
msgattrib --no-obsolete --no-wrap -o "$WORK/live.po" "$WORK/zh_CN.po" || die "msgattrib failed"
awk 'header { print; if ($0 == "") header = 0; next } !/^#($|[ \t])/' header=1 \
    "$WORK/live.po" > "$PO" || die "removing translator comments failed"

"$LINT_VENV/bin/oca-checks-po" --fix --no-exit --no-verbose "$POT" "$PO"
say "zh_CN.po: $(grep -c '^msgid "' "$PO") entries; without a translation:"
msgattrib --untranslated --no-wrap "$PO" | grep '^msgid "' | tail -n +2 >&2 || true
