# Shared setup for scripts/test.sh and scripts/run.sh (sourced, not run).
#
# Finds Odoo 18, prepares a virtualenv with Odoo's requirements and the
# project's, and makes sure PostgreSQL answers with a role Odoo accepts.
# Everything it installs lives outside the repository.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_PATH="${ODOO_PATH:-/opt/odoo}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
ODOO_DB_USER="${ODOO_DB_USER:-odoo}"
ODOO_DB_PASSWORD="${ODOO_DB_PASSWORD:-odoo}"
export PGHOST PGPORT

say() { printf '[aiflow] %s\n' "$*" >&2; }
die() { printf '[aiflow] ERROR: %s\n' "$*" >&2; exit 2; }

require_odoo() {
    if [ ! -f "$ODOO_PATH/odoo-bin" ] || [ ! -f "$ODOO_PATH/odoo/release.py" ]; then
        cat >&2 <<MSG
[aiflow] ERROR: Odoo 18.0 was not found at ODOO_PATH=$ODOO_PATH
[aiflow] These scripts need an Odoo 18.0 Community source tree (odoo/, addons/,
[aiflow] odoo-bin, requirements.txt). Provide one and run again, e.g.:
[aiflow]   git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git /opt/odoo
[aiflow] or point ODOO_PATH at an existing tree:  ODOO_PATH=/path/to/odoo $0
MSG
        exit 2
    fi
    local version
    version=$(sed -n "s/^version_info = (\([0-9]*\), \([0-9]*\).*/\1.\2/p" "$ODOO_PATH/odoo/release.py")
    [ "$version" = "18.0" ] || die "ODOO_PATH=$ODOO_PATH holds Odoo $version; aiflow_connector needs 18.0"
}

# Odoo's pinned requirements.txt does not install as is on Python 3.11
# (cbor2 5.4.2 needs pkg_resources, python-ldap needs LDAP headers): unpin
# those that fail and leave LDAP out; the connector does not use it.
odoo_requirements() {
    sed -E \
        -e 's/^(cbor2|rjsmin|vobject)==[^;#]*/\1 /' \
        -e '/^python-ldap/d' \
        "$ODOO_PATH/requirements.txt"
}

ensure_venv() {
    local stamp_src stamp
    stamp_src="$(odoo_requirements; cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements-test.txt")"
    stamp=$(printf '%s' "$stamp_src" | sha256sum | cut -c1-16)
    VENV="${AIFLOW_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aiflow_connector/venv-$stamp}"
    PY="$VENV/bin/python"
    if [ -f "$VENV/.ready" ]; then
        return 0
    fi
    say "creating virtualenv $VENV (Odoo requirements + project requirements)"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
    local reqs
    reqs=$(mktemp)
    odoo_requirements > "$reqs"
    "$VENV/bin/pip" install -q --prefer-binary --upgrade pip wheel "setuptools<81" >&2 \
        || die "pip could not upgrade itself"
    "$VENV/bin/pip" install -q --prefer-binary -r "$reqs" \
        -r "$REPO_ROOT/requirements.txt" -r "$REPO_ROOT/requirements-test.txt" >&2 \
        || die "installing Python requirements failed (see pip's output above)"
    rm -f "$reqs"
    touch "$VENV/.ready"
}

# The OCA addons of requirements-oca.txt, installed with --no-deps (their
# metadata asks for an "odoo" distribution that no registry has). Kept out of
# the venv's hash: only the missing or wrongly versioned pins are installed.
ensure_oca_addons() {
    local missing=() line name version installed
    while read -r line; do
        line="${line%%#*}"
        line="${line//[[:space:]]/}"
        [ -n "$line" ] || continue
        name="${line%%==*}"
        version="${line#*==}"
        installed=$("$VENV/bin/pip" show "$name" 2>/dev/null | sed -n 's/^Version: //p')
        [ "$installed" = "$version" ] || missing+=("$line")
    done < "$REPO_ROOT/requirements-oca.txt"
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing OCA addons: ${missing[*]}"
    "$VENV/bin/pip" install -q --no-deps "${missing[@]}" >&2 \
        || die "installing the OCA addons failed (see pip's output above)"
}

# Odoo is not pip-installed: the venv sees the source tree through a .pth file.
link_odoo_into_venv() {
    local site
    site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    printf '%s\n' "$ODOO_PATH" > "$site/odoo-source.pth"
}

pg_ready() { pg_isready -q -h "$PGHOST" -p "$PGPORT" >/dev/null 2>&1; }

ensure_postgres() {
    if ! command -v pg_isready >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing PostgreSQL from Debian packages"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
            || die "could not install PostgreSQL"
    fi
    if ! pg_ready && command -v pg_ctlcluster >/dev/null 2>&1; then
        local version
        version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
        if [ -n "$version" ]; then
            say "starting the local PostgreSQL $version cluster"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
            for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
        fi
    fi
    pg_ready || die "PostgreSQL is not reachable at $PGHOST:$PGPORT (set PGHOST/PGPORT, or start it)"
    ensure_pg_role
}

# Odoo refuses to run as the "postgres" superuser: use a role of its own.
ensure_pg_role() {
    if PGPASSWORD="$ODOO_DB_PASSWORD" psql -U "$ODOO_DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        return 0
    fi
    local sql="DO \$\$BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ODOO_DB_USER') THEN
            CREATE ROLE \"$ODOO_DB_USER\" LOGIN CREATEDB PASSWORD '$ODOO_DB_PASSWORD';
        ELSE
            ALTER ROLE \"$ODOO_DB_USER\" LOGIN CREATEDB PASSWORD '$ODOO_DB_PASSWORD';
        END IF;
    END\$\$;"
    if psql -U postgres -d postgres -c "$sql" >/dev/null 2>&1; then
        :
    elif [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
        runuser -u postgres -- psql -h "$PGHOST" -p "$PGPORT" -d postgres -c "$sql" >/dev/null 2>&1 \
            || runuser -u postgres -- psql -d postgres -c "$sql" >/dev/null \
            || die "could not create the PostgreSQL role $ODOO_DB_USER"
    else
        die "could not create the PostgreSQL role $ODOO_DB_USER (need a superuser connection)"
    fi
    PGPASSWORD="$ODOO_DB_PASSWORD" psql -U "$ODOO_DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1 \
        || die "role $ODOO_DB_USER cannot log in to PostgreSQL at $PGHOST:$PGPORT"
}

# Debian's Chromium and its driver, for the browser test of SSO.
ensure_chromium() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Debian's chromium and chromium-driver for the browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2 \
            || say "could not install chromium; the browser test will fail"
    fi
}

# Odoo found, its virtualenv ready and PostgreSQL answering: what every
# command that runs Odoo needs first.
prepare_odoo_env() {
    require_odoo
    ensure_venv
    ensure_oca_addons
    link_odoo_into_venv
    ensure_postgres
}

# write_odoo_conf FILE DB HTTP_PORT
write_odoo_conf() {
    cat > "$1" <<CONF
[options]
addons_path = $ODOO_PATH/addons,$REPO_ROOT
db_host = $PGHOST
db_port = $PGPORT
db_user = $ODOO_DB_USER
db_password = $ODOO_DB_PASSWORD
db_name = $2
dbfilter = ^$2\$
http_port = $3
list_db = False
CONF
}

odoo_bin() { "$PY" "$ODOO_PATH/odoo-bin" "$@"; }

drop_db() { PGPASSWORD="$ODOO_DB_PASSWORD" dropdb -U "$ODOO_DB_USER" --if-exists "$1"; }

# The pre-commit checkers in a virtualenv of their own (scripts/lint.sh, i18n.sh).
# The versions .pre-commit-config.yaml pins: another ruff sorts imports
# differently, and the two ways of linting must agree.
LINTERS="ruff==0.17.6 pylint-odoo==10.0.12 oca-odoo-pre-commit-hooks==0.2.27"
ensure_lint_venv() {
    LINT_VENV="${AIFLOW_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aiflow_connector/lint-venv}"
    if [ "$(cat "$LINT_VENV/.linters" 2>/dev/null)" != "$LINTERS" ]; then
        # shellcheck disable=SC2086  # LINTERS is a list of requirements
        python3 -m venv "$LINT_VENV" \
            && "$LINT_VENV/bin/pip" install -q $LINTERS >&2 \
            && printf '%s' "$LINTERS" > "$LINT_VENV/.linters" \
            || die "could not install the linters"
    fi
}
