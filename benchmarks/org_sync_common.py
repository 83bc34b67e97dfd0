"""Shared set-up of the organization sync benchmarks: an Odoo database with
the addon, an Odoo environment in this process, and the aiflow sandbox in a
process of its own (so its HTTP and JSON work does not share our GIL).

Environment: ODOO_PATH (default /opt/odoo); PostgreSQL from the Odoo config
file given with --config (addons_path must include this repository).
"""

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo"))
for path in (str(ODOO_PATH), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

from aiflow_connector.sandbox.launch import sandbox_command  # noqa: E402

CREDENTIAL = ("COMPANY001", "APP001", "your_app_secret")
PREFIX = "aiflow_connector."


def add_common_arguments(parser):
    parser.add_argument("--config", required=True, help="Odoo config file")
    parser.add_argument("--db", required=True, help="benchmark database (created if missing)")


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu_seconds(pid):
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # the command name (field 2) may hold spaces: count from its end
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ensure_database(config, db):
    """Create ``db`` with the addon installed unless it exists."""
    # Odoo is importable only once ODOO_PATH is on sys.path (set above).
    import odoo
    from odoo.service import db as db_service

    odoo.tools.config.parse_config(["-c", config, "-d", db])
    if db_service.exp_db_exist(db):
        return
    print(f"creating database {db} with aiflow_connector (once)...", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(ODOO_PATH / "odoo-bin"),
            "-c",
            config,
            "-d",
            db,
            "-i",
            "aiflow_connector",
            "--stop-after-init",
            "--without-demo=all",
            "--log-level=warn",
        ],
        check=True,
    )


@contextlib.contextmanager
def odoo_env(config, db):
    """An environment as the superuser on a cursor that commits on success."""
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", config, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


def vacuum_analyze(db):
    """VACUUM ANALYZE the whole database (what autovacuum would have done)."""
    import psycopg2

    from odoo import sql_db

    _name, params = sql_db.connection_info_for(db)
    connection = psycopg2.connect(**params)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def sandbox_process():
    """The sandbox as a separate process; yields (base URL, pid)."""
    port = free_port()
    argv, env = sandbox_command(sys.executable, port, CREDENTIAL, "http://127.0.0.1:8069")
    process = subprocess.Popen(
        argv,
        env=env,
        cwd=str(REPO),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/sandbox/state", timeout=1)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("the sandbox did not answer")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def configure(env, base_url, **extra):
    params = env["ir.config_parameter"].sudo()
    code, app_id, secret = CREDENTIAL
    values = {
        "base_url": base_url,
        "enterprise_code": code,
        "app_id": app_id,
        "app_secret": secret,
        "signing_method": "builtin",
        "sync_enabled": "True",
    }
    values.update(extra)
    for name, value in values.items():
        params.set_param(PREFIX + name, value)
