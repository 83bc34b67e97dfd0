#!/usr/bin/env bash
# Refresh the translation catalogues from the code: exports the terms of each
# addon (aiflow_connector and aiflow_connector_tier_validation) to its
# i18n/<addon>.pot with Odoo's own exporter, then merges its i18n/zh_CN.po
# against it (exact matches only, so nothing is guessed).
#
#   scripts/i18n.sh [COMPENDIUM.po ...]   extra catalogues to take translations from
#
# Formats both files as OCA's PO checker wants and lists the zh_CN entries
# still without a translation (each addon's tests/test_i18n.py fails on
# them, except language-neutral ones such as codes and URLs).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

prepare_odoo_env
ensure_lint_venv

DB="${AIFLOW_I18N_DB:-aiflow_i18n}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiflow-i18n.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
write_odoo_conf "$WORK/odoo.conf" "$DB" 0
ADDONS=(aiflow_connector aiflow_connector_tier_validation)

drop_db "$DB"
# The bridge pulls in aiflow_connector and OCA's base_tier_validation.
odoo_bin -c "$WORK/odoo.conf" -d "$DB" -i aiflow_connector_tier_validation --without-demo=all \
    --stop-after-init --log-level=warn || die "installing the addons failed"
for addon in "${ADDONS[@]}"; do
    odoo_bin -c "$WORK/odoo.conf" -d "$DB" --modules="$addon" \
        --i18n-export="$REPO_ROOT/$addon/i18n/$addon.pot" --stop-after-init --log-level=warn \
        || die "exporting the terms of $addon failed"
done
drop_db "$DB"

compendium=()
for extra in "$@"; do compendium+=(--compendium "$extra"); done
for addon in "${ADDONS[@]}"; do
    I18N="$REPO_ROOT/$addon/i18n"
    POT="$I18N/$addon.pot"
    PO="$I18N/zh_CN.po"
    if [ ! -f "$PO" ]; then
        sed -e '/^"Language-Team: /a "Language: zh_CN\n"' "$POT" > "$PO"
    fi
    msgmerge --quiet --no-fuzzy-matching --no-wrap "${compendium[@]}" -o "$WORK/zh_CN.po" "$PO" "$POT" \
        || die "msgmerge failed for $addon"
    # Keep only live entries: obsolete ones would confuse translators. Drop
    # translator comments ("# ..." below the header): the catalogue is what
    # Odoo's exporter writes plus translations, nothing placed by hand.
    msgattrib --no-obsolete --no-wrap -o "$WORK/live.po" "$WORK/zh_CN.po" || die "msgattrib failed"
    awk 'header { print; if ($0 == "") header = 0; next } !/^#($|[ 	])/' header=1 \
        "$WORK/live.po" > "$PO" || die "removing translator comments failed"
    "$LINT_VENV/bin/oca-checks-po" --fix --no-exit --no-verbose "$POT" "$PO"
    say "$addon zh_CN.po: $(grep -c '^msgid "' "$PO") entries; without a translation:"
    msgattrib --untranslated --no-wrap "$PO" | grep '^msgid "' | tail -n +2 >&2 || true
done
