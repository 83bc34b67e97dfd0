"""Outbox delivery with real, separate Odoo processes.

A database of its own (a copy of the one scripts/test.sh installed, or a
fresh install), the sandbox in a process of its own, and a real Odoo server
in multi-process mode (``--workers=2 --max-cron-threads=1``). Changes come in
as the admin over JSON-RPC; nothing calls the worker by hand: each commit
triggers the delivery cron.

Three phases:

A. the cron alone delivers a department tree and 200 employees;
B. while the cron delivers, two more OS processes call ``_aiflow_deliver``
   on the same database (sandbox slowed down, batches of 5, so that they
   overlap), and changes keep coming: renames of what is being sent,
   a subtree moved under a new department, new people under a new manager,
   moves, archiving (a manager too), deletions;
C. the helpers stopped, the cron alone delivers the last changes.

What is checked at the end:

* every outbox row is done, sent exactly once (``attempts`` 1), and every
  call aiflow received was accepted whole (parents first: the sandbox
  refuses a child whose parent or supervisor it does not have);
* no row was sent twice: for each record, the items aiflow received are the
  request bodies of its rows, each received at most as many times as rows
  carry it (rows claimed together coalesce into one item, never the other
  way round);
* aiflow's final copy of every department and employee matches Odoo;
* in phase B the three processes really delivered at once: each delivered
  rows, and the sandbox had calls from different processes in flight at the
  same time (one worker never has two calls in flight);
* the cron's scheduled time never came: it ran on triggers only;
* no ERROR, CRITICAL or traceback in the logs of the server and helpers,
  and no warning from the connector.
"""

import configparser
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import requests

from aiflow_connector.protocol.person_phone import employee_phone
from aiflow_connector.sandbox.launch import sandbox_command

REPO = Path(__file__).resolve().parents[2]
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo"))
ODOO_CONF = os.environ.get("AIFLOW_ODOO_CONF")
TEMPLATE_DB = os.environ.get("AIFLOW_ODOO_DB")
PYTHON = os.environ.get("AIFLOW_PYTHON", sys.executable)
WORKER_SCRIPT = Path(__file__).with_name("outbox_worker.py")
CREDENTIAL = ("PROCS001", "PROCSAPP", "procs-app-secret")
CRON_XMLID = ("aiflow_connector", "ir_cron_aiflow_outbox")
DEPT_PATH = "/aflow/api/sys/sync/department"
USER_PATH = "/aflow/api/sys/sync/user"
HELPERS = 2
STAFF = 190  # plus one manager per department: 200 employees

pytestmark = pytest.mark.skipif(
    not (ODOO_PATH / "odoo-bin").exists() or not ODOO_CONF or not TEMPLATE_DB,
    reason="needs Odoo 18 and the database scripts/test.sh installed "
    "(ODOO_PATH, AIFLOW_ODOO_CONF, AIFLOW_ODOO_DB)",
)

psycopg2 = pytest.importorskip("psycopg2")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def conf_options():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ODOO_CONF)
    return dict(parser["options"])


def pg_connect(dbname):
    options = conf_options()
    connection = psycopg2.connect(
        dbname=dbname,
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
        password=options.get("db_password") or None,
    )
    connection.autocommit = True
    return connection


def wait_until(predicate, seconds, what, every=0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    if not predicate():
        raise AssertionError(f"{what}: not within {seconds} s")


def stop_process(process, seconds=30):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# ----------------------------------------------------------------------
# fixtures: database, sandbox, server


@contextlib.contextmanager
def serving(argv, log_path, health_url, seconds, env=None):
    """A server process started from this repository, stopped on exit once
    ``health_url`` answered; its output goes to ``log_path``."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

        def up():
            assert process.poll() is None, f"{argv[1]} exited; see {log_path}"
            try:
                return requests.get(health_url, timeout=2).ok
            except requests.RequestException:
                return False

        try:
            wait_until(up, seconds, f"{health_url} answers", every=0.2)
            yield process
        finally:
            stop_process(process)


def install_database(db, log_path):
    with log_path.open("w") as log:
        subprocess.run(
            [
                PYTHON,
                str(ODOO_PATH / "odoo-bin"),
                "-c",
                ODOO_CONF,
                "-d",
                db,
                "-i",
                "aiflow_connector",
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A database of this test's own with the addon installed: a copy of the
    one scripts/test.sh just installed when nobody uses it (seconds), else a
    fresh install (a minute)."""
    db = f"{TEMPLATE_DB}_procs"
    work = tmp_path_factory.mktemp("procs-db")
    admin = pg_connect("postgres")
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    try:
        admin.cursor().execute(f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE_DB}"')
    except (psycopg2.errors.ObjectInUse, psycopg2.errors.InvalidCatalogName):
        install_database(db, work / "install.log")
    try:
        connection = pg_connect(db)
        with connection.cursor() as cr:
            # Rows the copied database may hold are not this test's.
            cr.execute("DELETE FROM aiflow_outbox")
            # The cron may run on triggers only: its schedule is a year away.
            cr.execute(
                """
                UPDATE ir_cron
                   SET nextcall = date_trunc('second', now() at time zone 'UTC') + interval '1 year'
                 WHERE id = (SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s)
             RETURNING id, nextcall, user_id
                """,
                CRON_XMLID,
            )
            cron_id, nextcall, cron_uid = cr.fetchone()
            cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", (cron_id,))
        connection.close()
        yield {"name": db, "cron_id": cron_id, "nextcall": nextcall, "cron_uid": cron_uid}
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()
        data_dir = conf_options().get("data_dir") or os.path.expanduser("~/.local/share/Odoo")
        shutil.rmtree(Path(data_dir) / "filestore" / db, ignore_errors=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv, env = sandbox_command(PYTHON, port, CREDENTIAL, "http://127.0.0.1:9")
    with serving(
        argv,
        tmp_path_factory.mktemp("procs-sandbox") / "sandbox.log",
        f"{url}/sandbox/state",
        30,
        env,
    ):
        yield url


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    """A real Odoo server in multi-process mode on the test's database."""
    work = tmp_path_factory.mktemp("procs-odoo")
    options = conf_options()
    options.update(db_name=database["name"], dbfilter=f"^{database['name']}$", list_db="False")
    conf = configparser.ConfigParser(interpolation=None)
    conf["options"] = options
    conf_path = work / "odoo.conf"
    with conf_path.open("w") as handle:
        conf.write(handle)
    port = free_port()
    log_path = work / "server.log"
    url = f"http://127.0.0.1:{port}"
    argv = [
        PYTHON,
        str(ODOO_PATH / "odoo-bin"),
        "-c",
        str(conf_path),
        "-d",
        database["name"],
        "--workers=2",
        "--max-cron-threads=1",
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--log-level=info",
    ]
    with serving(argv, log_path, f"{url}/web/health", 120) as process:
        yield {"url": url, "conf": conf_path, "log": log_path, "process": process}


# ----------------------------------------------------------------------
# helpers


class Rpc:
    """JSON-RPC as the admin, the way any external client talks to Odoo."""

    def __init__(self, url, db):
        self.url, self.db = url, db
        self.uid = self._call("common", "login", db, "admin", "admin")
        assert self.uid, "admin/admin could not log in"

    def _call(self, service, method, *args):
        response = requests.post(
            f"{self.url}/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"service": service, "method": method, "args": list(args)},
            },
            timeout=180,
        )
        data = response.json()
        if "error" in data:
            raise AssertionError(f"{service}.{method}: {data['error']['data']['message']}")
        return data.get("result")  # None comes back as no result at all

    def __call__(self, model, method, *args, **kwargs):
        return self._call(
            "object", "execute_kw", self.db, self.uid, "admin", model, method, list(args), kwargs
        )


def configure(rpc, sandbox_url, batch_size):
    """Settings the way the Settings form (and scripts/demo_configure.py)
    stores them, with sync enabled."""
    code, app_id, secret = CREDENTIAL
    settings_id = rpc(
        "res.config.settings",
        "create",
        {
            "aiflow_base_url": sandbox_url,
            "aiflow_enterprise_code": code,
            "aiflow_app_id": app_id,
            "aiflow_app_secret": secret,
            "aiflow_sync_enabled": True,
            "aiflow_sync_batch_size": batch_size,
        },
    )
    rpc("res.config.settings", "execute", [settings_id])


def start_helper(server, database, log_dir, n):
    stderr = (log_dir / f"helper-{n}.log").open("w")
    process = subprocess.Popen(
        [PYTHON, str(WORKER_SCRIPT), "--config", str(server["conf"]), "--db", database["name"]],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    process.log_file = stderr
    process.log_path = log_dir / f"helper-{n}.log"
    return process


def open_rows(cr):
    # A row cancelled because its record was deleted is closed too.
    cr.execute(
        "SELECT id, endpoint, record_key, state, last_error FROM aiflow_outbox"
        " WHERE state NOT IN ('done', 'cancelled') ORDER BY id"
    )
    return cr.fetchall()


def wait_delivered(cr, seconds, what):
    """Every outbox row done; a row that fails is reported at once."""
    deadline = time.monotonic() + seconds
    while True:
        rows = open_rows(cr)
        if not rows:
            return
        failed = [row for row in rows if row[3] in ("dead", "retrying")]
        assert not failed, f"{what}: rows failed: {failed[:10]}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {len(rows)} rows still open, e.g. {rows[:10]}")
        time.sleep(0.5)


def sandbox_state(sandbox):
    return requests.get(f"{sandbox}/sandbox/state", timeout=30).json()


def stamp(text):
    """The sandbox's ISO time as naive UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=None)


def max_in_flight(calls):
    """Most calls the sandbox was serving at one moment (arrival to answer)."""
    events = []
    for call in calls:
        events.append((stamp(call["receivedAt"]), 1))
        events.append((stamp(call["time"]), -1))
    # an answer at the same instant as an arrival is not an overlap
    events.sort(key=lambda event: (event[0], event[1]))
    best = current = 0
    for _moment, step in events:
        current += step
        best = max(best, current)
    return best


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) \S+ (\S+?): ")


def log_problems(path):
    """ERROR/CRITICAL lines and tracebacks from anyone; warnings from the connector."""
    problems = []
    for line in Path(path).read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if match:
            level, logger = match.groups()
            if level in ("ERROR", "CRITICAL") or (
                level == "WARNING" and logger.startswith("odoo.addons.aiflow_connector")
            ):
                problems.append(line)
        elif line.startswith("Traceback"):
            problems.append(line)
    return problems


# ----------------------------------------------------------------------
# the organisation


def create_organisation(rpc):
    """A tree of 10 departments (1 root, 3 divisions, 6 teams) plus an empty
    one, a manager per department (reporting to the parent department's
    manager), then the staff in several calls."""
    root = rpc("hr.department", "create", [{"name": "Procs HQ"}])[0]
    divisions = rpc(
        "hr.department",
        "create",
        [{"name": f"Procs Division {n}", "parent_id": root} for n in range(3)],
    )
    teams = rpc(
        "hr.department",
        "create",
        [
            {"name": f"Procs Team {d}.{t}", "parent_id": division}
            for d, division in enumerate(divisions)
            for t in range(2)
        ],
    )
    empty = rpc("hr.department", "create", [{"name": "Procs Empty", "parent_id": root}])[0]
    boss = rpc("hr.employee", "create", [{"name": "Boss", "department_id": root}])[0]
    managers = {root: boss}
    division_heads = rpc(
        "hr.employee",
        "create",
        [
            {"name": f"Head {n}", "department_id": division, "parent_id": boss}
            for n, division in enumerate(divisions)
        ],
    )
    managers.update(zip(divisions, division_heads, strict=True))
    team_leads = rpc(
        "hr.employee",
        "create",
        [
            {
                "name": f"Lead {n}",
                "department_id": team,
                "parent_id": managers[divisions[n // 2]],
            }
            for n, team in enumerate(teams)
        ],
    )
    managers.update(zip(teams, team_leads, strict=True))
    departments = [root, *divisions, *teams]
    staff = []
    for chunk in range(4):
        staff += rpc(
            "hr.employee",
            "create",
            [
                {
                    "name": f"Staff {n}",
                    "department_id": departments[n % len(departments)],
                    "parent_id": managers[departments[n % len(departments)]],
                }
                for n in range(chunk * STAFF // 4, (chunk + 1) * STAFF // 4)
            ],
        )
    return {
        "root": root,
        "divisions": divisions,
        "teams": teams,
        "empty": empty,
        "managers": managers,
        "staff": staff,
    }


def busy_changes(rpc, org, rounds):
    """Renames of records that are being sent: the newest rows, claimed last."""
    tail = org["staff"][-12:]
    for n in range(rounds):
        rpc("hr.employee", "write", tail[n % 3 :: 3], {"name": f"Renamed r{n}"})
        rpc("hr.department", "write", [org["teams"][n % 6]], {"name": f"Procs Team r{n}"})
        time.sleep(0.2)


def structural_changes(rpc, org):
    """A new department with a subtree moved under it, a new manager with
    new people, moves, archiving (a team lead too) and deletions."""
    new_division = rpc(
        "hr.department", "create", [{"name": "Procs New", "parent_id": org["root"]}]
    )[0]
    # Division 2 with its teams and people now hangs below the new department.
    rpc("hr.department", "write", [org["divisions"][2]], {"parent_id": new_division})
    new_head = rpc(
        "hr.employee",
        "create",
        [
            {
                "name": "New Head",
                "department_id": new_division,
                "parent_id": org["managers"][org["root"]],
            }
        ],
    )[0]
    newcomers = rpc(
        "hr.employee",
        "create",
        [
            {"name": f"Newcomer {n}", "department_id": new_division, "parent_id": new_head}
            for n in range(6)
        ],
    )
    staff = org["staff"]
    rpc("hr.employee", "write", staff[0:10], {"department_id": new_division, "parent_id": new_head})
    lead = org["managers"][org["teams"][0]]
    rpc("hr.employee", "action_archive", [lead, *staff[20:34]])
    rpc("hr.employee", "unlink", staff[40:43])
    rpc("hr.department", "action_archive", [org["empty"]])
    org["new_division"] = new_division
    org["new_people"] = [new_head, *newcomers]


# ----------------------------------------------------------------------
# expected aiflow state, from Odoo


def expected_state(rpc):
    departments = rpc(
        "hr.department",
        "search_read",
        [("name", "like", "Procs")],
        ["aiflow_code", "name", "parent_id", "active"],
        context={"active_test": False},
    )
    codes = {dept["id"]: dept["aiflow_code"] for dept in departments}
    employees = rpc(
        "hr.employee",
        "search_read",
        [("department_id", "in", list(codes))],
        [
            "aiflow_code",
            "name",
            "department_id",
            "parent_id",
            "active",
            "mobile_phone",
            "work_phone",
        ],
        context={"active_test": False},
    )
    people = {emp["id"]: emp["aiflow_code"] for emp in employees}
    expected_depts = {
        dept["aiflow_code"]: {
            "deptName": dept["name"],
            "parentId": codes.get(dept["parent_id"] and dept["parent_id"][0], ""),
            "status": 1 if dept["active"] else 0,
        }
        for dept in departments
    }
    expected_users = {
        emp["aiflow_code"]: {
            "realName": emp["name"],
            "deptId": codes[emp["department_id"][0]],
            "directSupervisor": people.get(emp["parent_id"] and emp["parent_id"][0], ""),
            "status": 1 if emp["active"] else 0,
            "mobile": employee_phone(emp["mobile_phone"], emp["work_phone"]),
        }
        for emp in employees
    }
    return expected_depts, expected_users


def received_items(calls):
    """(endpoint, key) -> list of items received, in arrival order."""
    items = {}
    for call in calls:
        if call["path"] == DEPT_PATH:
            for item in call["body"]["departments"]:
                items.setdefault(("department_sync", item["deptId"]), []).append(item)
        elif call["path"] == USER_PATH:
            for item in call["body"]["users"]:
                items.setdefault(("user_sync", item["userId"]), []).append(item)
    return items


def overlapping_deliveries(calls):
    """Records that were in two calls in flight at the same time."""
    spans = {}
    for call in calls:
        span = (stamp(call["receivedAt"]), stamp(call["time"]))
        for record in received_items([call]):
            spans.setdefault(record, []).append(span)
    overlapping = {}
    for record, record_spans in spans.items():
        record_spans.sort()
        for (_start, end), (next_start, _end) in pairwise(record_spans):
            if next_start < end:
                overlapping[record] = record_spans
    return overlapping


def canonical(item):
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


# ----------------------------------------------------------------------
# the test


def test_multi_process_outbox_delivery(database, sandbox, server, tmp_path):
    rpc = Rpc(server["url"], database["name"])
    db = pg_connect(database["name"])
    cr = db.cursor()
    helpers = [start_helper(server, database, tmp_path, n) for n in range(HELPERS)]
    try:
        _run_phases(rpc, cr, database, sandbox, server, helpers)
    finally:
        for helper in helpers:
            stop_process(helper, seconds=10)
            helper.log_file.close()
        cr.close()
        db.close()
    problems = log_problems(server["log"])
    for helper in helpers:
        problems += log_problems(helper.log_path)
    assert problems == [], "\n".join(problems[:40])


def _run_phases(rpc, cr, database, sandbox, server, helpers):
    cron_uid = database["cron_uid"]
    configure(rpc, sandbox, batch_size=20)

    # A. The cron alone.
    org = create_organisation(rpc)
    wait_delivered(cr, 120, "phase A")
    cr.execute(
        "SELECT count(*), count(*) FILTER (WHERE write_uid = %s) FROM aiflow_outbox", (cron_uid,)
    )
    rows_a, by_cron_a = cr.fetchone()
    assert rows_a >= 211 and by_cron_a == rows_a, (rows_a, by_cron_a)
    calls_a = len(sandbox_state(sandbox)["calls"])

    # B. The cron and two more processes, the sandbox slow and batches small.
    for helper in helpers:
        assert helper.stdout.readline().strip() == "ready", f"see {helper.log_path}"
    requests.post(
        f"{sandbox}/sandbox/slow", json={"seconds": 0.1, "jitterSeconds": 0.2}, timeout=10
    ).raise_for_status()
    rpc("ir.config_parameter", "set_param", "aiflow_connector.sync_batch_size", "5")
    cr.execute("SELECT max(id) FROM aiflow_outbox")
    (last_row_a,) = cr.fetchone()
    everyone = [*org["managers"].values(), *org["staff"]]
    rpc("hr.employee", "write", everyone, {"mobile_phone": "13900000000"})
    for helper in helpers:
        helper.stdin.write("go\n")
        helper.stdin.flush()
    busy_changes(rpc, org, rounds=8)
    structural_changes(rpc, org)
    busy_changes(rpc, org, rounds=8)
    wait_delivered(cr, 150, "phase B")
    reports = []
    for helper in helpers:
        helper.stdin.write("stop\n")
        helper.stdin.flush()
        line = helper.stdout.readline()
        assert line, f"a helper ended without a report; see {helper.log_path}"
        reports.append(json.loads(line))
        assert helper.wait(timeout=60) == 0
    cr.execute("SELECT max(id) FROM aiflow_outbox")
    (last_row_b,) = cr.fetchone()
    calls_b = len(sandbox_state(sandbox)["calls"])

    # C. The cron alone again, at full speed.
    requests.post(f"{sandbox}/sandbox/slow", json={"seconds": 0}, timeout=10).raise_for_status()
    rpc("hr.department", "write", [org["root"]], {"name": "Procs HQ renamed"})
    rpc("hr.employee", "action_archive", org["staff"][50:53])
    rpc("hr.employee", "write", org["new_people"][1:3], {"name": "Newcomer renamed"})
    wait_delivered(cr, 120, "phase C")

    # Every row done, each sent once, every call accepted whole.
    cr.execute(
        "SELECT res_model, mode, res_id, attempts FROM aiflow_outbox WHERE state = 'cancelled'"
    )
    # Only the live rows of deleted people waiting to be sent: the stored
    # "disabled" payload replaced them.
    deleted_ids = set(org["staff"][40:43])
    assert [
        row
        for row in cr.fetchall()
        if row[:2] != ("hr.employee", "live") or row[2] not in deleted_ids or row[3] != 0
    ] == []
    cr.execute("SELECT count(*) FROM aiflow_outbox WHERE state NOT IN ('done', 'cancelled')")
    assert cr.fetchone()[0] == 0
    cr.execute(
        "SELECT id, endpoint, record_key, attempts, request_body, write_uid, done_at"
        " FROM aiflow_outbox WHERE state = 'done' ORDER BY id"
    )
    rows = cr.fetchall()
    assert [row for row in rows if row[3] != 1 or not row[4]] == []
    state = sandbox_state(sandbox)
    calls = state["calls"]
    refused = [
        call
        for call in calls
        if call["httpStatus"] != 200 or call["status"] != 0 or "injectedFailure" in call
    ]
    assert refused == []
    assert {call["path"] for call in calls} <= {DEPT_PATH, USER_PATH}

    # No row sent twice: what aiflow received per record is its rows' bodies.
    received = received_items(calls)
    bodies = {}
    for _id, endpoint, key, _attempts, body, _uid, _done in rows:
        bodies.setdefault((endpoint, key), []).append(canonical(json.loads(body)))
    assert set(received) == set(bodies)
    duplicates = {}
    for record, items in received.items():
        got, sent = Counter(map(canonical, items)), Counter(bodies[record])
        if set(got) != set(sent) or any(got[body] > sent[body] for body in got):
            duplicates[record] = (got, sent)
    assert duplicates == {}
    coalesced = len(rows) - sum(len(items) for items in received.values())
    assert coalesced >= 0

    # aiflow's copy matches Odoo.
    expected_depts, expected_users = expected_state(rpc)
    got_depts = {
        code: {
            name: state["departments"][code][name] for name in ("deptName", "parentId", "status")
        }
        for code in expected_depts
        if code in state["departments"]
    }
    assert got_depts == expected_depts
    got_users = {
        code: {
            name: state["users"][code][name]
            for name in ("realName", "deptId", "directSupervisor", "status", "mobile")
        }
        for code in expected_users
        if code in state["users"]
    }
    assert got_users == expected_users
    deleted = [
        key for (endpoint, key) in received if endpoint == "user_sync" and key not in expected_users
    ]
    assert len(deleted) == 3 and all(state["users"][key]["status"] == 0 for key in deleted)

    # Phases A and C: the cron alone; phase B: three processes at once.
    rows_b = [row for row in rows if last_row_a < row[0] <= last_row_b]
    rows_c = [row for row in rows if row[0] > last_row_b]
    assert rows_c and all(row[5] == cron_uid for row in rows_c)
    helper_uid = reports[0]["uid"]
    assert helper_uid != cron_uid
    by_cron = [row for row in rows_b if row[5] == cron_uid]
    by_helpers = [row for row in rows_b if row[5] == helper_uid]
    assert len(by_cron) + len(by_helpers) == len(rows_b)
    assert all(report.get("done", 0) > 0 for report in reports), reports
    assert sum(report["done"] for report in reports) == len(by_helpers), reports
    assert by_cron, "the cron delivered nothing while the helpers ran"
    cron_first = min(row[6] for row in by_cron) - timedelta(seconds=1)
    cron_last = max(row[6] for row in by_cron) + timedelta(seconds=1)
    for report in reports:
        first, last = (
            datetime.fromisoformat(report["first"]),
            datetime.fromisoformat(report["last"]),
        )
        assert first <= cron_last and cron_first <= last, (report, cron_first, cron_last)
    in_flight = max_in_flight(calls[calls_a:calls_b])
    assert in_flight >= 2, "no two calls were ever in flight at once"
    # ... but never two calls about one record: the later one could be
    # applied first and the older payload win.
    overlapping = overlapping_deliveries(calls)
    assert overlapping == {}, list(overlapping.items())[:3]

    # Triggers only: the cron's own schedule is still a year away.
    cr.execute("SELECT nextcall FROM ir_cron WHERE id = %s", (database["cron_id"],))
    assert cr.fetchone()[0] == database["nextcall"]
    runs = (
        Path(server["log"])
        .read_text(errors="replace")
        .count(f"Job 'aiflow: deliver the sync queue' ({database['cron_id']}) starting")
    )
    assert runs >= 3, runs
    print(
        f"\nrows: {len(rows)} (A {rows_a}, B {len(rows_b)}, C {len(rows_c)}); calls: {len(calls)};"
        f" coalesced {coalesced}; phase B: cron {len(by_cron)} rows, helpers"
        f" {[report['done'] for report in reports]}; at most {in_flight} calls in flight;"
        f" cron runs {runs}"
    )
