"""Throughput of the signed webhooks next to Odoo's cheapest JSON route.

    python benchmarks/webhook_receive.py --config odoo.conf --db aiflow_bench_wh \
        [--calls 800] [--clients 4] [--rounds 8]

A real Odoo server (``odoo-bin --workers=2``, no cron) on a database with the
addon (created once if missing) and an engine-mode flow ``WHBENCH`` on
contacts. First ``--calls`` signed START events create that many contacts and
engine orders (timed too, as a side figure). Then, from ``--clients``
concurrent clients, in the same run:

* ``--calls`` signed approval logs, one new log line each for an existing
  order (stored, applied to the order and its chatter: the main figure; no
  duplicates: every answer must be status 0 without ``duplicate``);
* ``--calls`` signed COMPLETE events ending those orders (the pass effect runs);
* as diagnostics: COMPLETE events for unknown business keys (stored, answered
  -1024: the cost of storing alone) and wrongly signed ones (403, nothing
  stored: the cost of the route and the signature check);
* ``--calls`` calls of ``/web/webclient/version_info`` (JSON-RPC, auth none:
  Odoo 18 has no ``/web/version``), the floor any JSON route pays.

The phases take turns: ``--rounds`` rounds, each sending a slice of every
phase (its START before its logs, its logs before its COMPLETE), so that a
slow moment of a shared machine weighs on all of them alike rather than on
whichever phase it fell in. Prints calls/s of each, the CPU each call cost the
Odoo server, PostgreSQL and the client, and the ratio approval logs /
trivial route (goal >= 0.5).
"""

import argparse
import collections
import concurrent.futures
import configparser
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests
from org_sync_common import (
    ODOO_PATH,
    REPO,
    add_common_arguments,
    ensure_database,
    free_port,
    odoo_env,
    process_cpu_seconds,
    vacuum_analyze,
)

from aiflow_connector.protocol.signing import SIGNATURE_HEADER, Credential, Signer

CREDENTIAL = Credential("WHBENCH01", "WHBENCHAPP", "webhook-bench-secret")
WRONG = Credential("WHBENCH01", "WHBENCHAPP", "not-the-secret")
FLOW = "WHBENCH"
GOAL_RATIO = 0.5


def set_up(env):
    params = env["ir.config_parameter"].sudo()
    for name, value in {
        "enterprise_code": CREDENTIAL.enterprise_code,
        "app_id": CREDENTIAL.app_id,
        "app_secret": CREDENTIAL.app_secret,
        "signing_method": "builtin",
        "base_url": "http://127.0.0.1:9",
        "sync_enabled": "False",
    }.items():
        params.set_param(f"aiflow_connector.{name}", value)
    if not env["aiflow.flow"].search([("flow_code", "=", FLOW)]):
        fields = env["ir.model.fields"]
        env["aiflow.flow"].create(
            {
                "flow_code": FLOW,
                "title": "Webhook benchmark",
                "mode": "engine",
                "model_id": env["ir.model"]._get_id("res.partner"),
                "group_id": "GROUP001",
                "manager_user_id": env.user.id,
                "operation_user_id": env.user.id,
                "config_user_id": env.user.id,
                "creator_user_id": env.user.id,
                "form_field_ids": [
                    (0, 0, {"sequence": 1, "field_id": fields._get("res.partner", "name").id}),
                    (0, 0, {"sequence": 2, "field_id": fields._get("res.partner", "ref").id}),
                ],
            }
        )
    env.cr.commit()


def server_conf(config, db):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    options = dict(parser["options"])
    options.update(db_name=db, dbfilter=f"^{db}$", list_db="False")
    out = configparser.ConfigParser(interpolation=None)
    out["options"] = options
    handle = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    out.write(handle)
    handle.close()
    return handle.name


def start_server(conf_path, db, port, log_path):
    argv = [
        sys.executable,
        str(ODOO_PATH / "odoo-bin"),
        *("-c", conf_path, "-d", db),
        "--workers=2",
        "--max-cron-threads=0",
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--log-level=warn",
    ]
    with open(log_path, "w") as log:  # the server keeps its own copy of the file
        process = subprocess.Popen(argv, cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{url}/web/health", timeout=1).ok:
                return process, url
        except requests.RequestException:
            if process.poll() is not None:
                raise RuntimeError(f"Odoo did not start; see {log_path}") from None
        time.sleep(0.2)
    raise RuntimeError("Odoo did not answer")


def cpu_seconds(server_pid):
    """CPU seconds so far of the Odoo server (its main process and workers),
    of every PostgreSQL process, and of this client (Linux /proc). A
    process that ends between two readings takes its time with it (such
    as the backend Odoo opens to list the databases for a call without a
    session): the PostgreSQL figures are a floor."""
    spent = {"Odoo": 0.0, "PostgreSQL": 0.0, "client": process_cpu_seconds(os.getpid())}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
                text = stat.read()
        except OSError:  # gone since listed
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        parent = int(text.rsplit(")", 1)[1].split()[1])
        if int(pid) == server_pid or parent == server_pid:
            spent["Odoo"] += process_cpu_seconds(pid)
        elif name.startswith("postgres"):
            spent["PostgreSQL"] += process_cpu_seconds(pid)
    return spent


def run_calls(bodies, send, clients):
    """Send every body with ``clients`` threads, one HTTP session each; (seconds, answers)."""
    local = threading.local()

    def one(body):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return send(local.session, body)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(one, bodies))
    return time.perf_counter() - start, answers


def signed(bodies, signer=None):
    """The requests' bytes and headers, encoded and signed before the clock
    starts: the figure is the server's, not the client's signing."""
    signer = signer or Signer(CREDENTIAL)
    requests_ = []
    for body in bodies:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signer.sign(raw)}
        requests_.append((raw, headers))
    return requests_


def signed_sender(url, path):
    def send(session, request):
        raw, headers = request
        response = session.post(url + path, data=raw, headers=headers, timeout=120)
        return response.status_code, response.json()

    return send


def trivial_sender(url):
    raw = json.dumps({"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}).encode()
    headers = {"Content-Type": "application/json"}

    def send(session, _body):
        response = session.post(
            f"{url}/web/webclient/version_info", data=raw, headers=headers, timeout=120
        )
        return response.status_code, response.json()

    return send


def answered(expected):
    """A predicate on (HTTP status, body) for the answers a phase must get."""
    http_status, status = expected

    def check(answer):
        code, body = answer
        if status is None:  # JSON-RPC
            return code == http_status and "result" in body
        data = body.get("data") or {}
        return code == http_status and body.get("status") == status and not data.get("duplicate")

    return check


MAIN = "approval log (one new line)"
TRIVIAL = "trivial JSON route"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--calls", type=int, default=800)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8, help="turns the phases take")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    ensure_database(args.config, args.db)
    with odoo_env(args.config, args.db) as env:
        set_up(env)
    # what autovacuum would have done after the previous runs (it is off on
    # these machines; without statistics the planner scans whole tables)
    vacuum_analyze(args.db)
    conf_path = server_conf(args.config, args.db)
    log_path = conf_path + ".log"
    process, url = start_server(conf_path, args.db, args.port or free_port(), log_path)
    run = uuid.uuid4().hex[:8]
    base_id = 8_000_000_000 + int(run, 16) % 10**9
    keys = [(f"{FLOW}-{run}-{n}", base_id + n) for n in range(args.calls)]

    def event(key, order_id, action, **extra):
        return {
            "orderId": order_id,
            "businessKey": key,
            "taskId": "T-MGR",
            "taskName": "部门经理审批",
            "action": action,
            "handleTime": "2025-01-24 16:00:00",
            **extra,
        }

    starts = [
        event(key, oid, "START", formData={"name": f"Bench supplier {key}", "ref": key})
        for key, oid in keys
    ]
    logs = [
        {
            "orderId": oid,
            "businessKey": key,
            "logs": [
                {
                    "taskId": "T-MGR",
                    "taskName": "部门经理审批",
                    "handlerUserCode": "admin",
                    "handleResult": "APPROVED",
                    "handleComment": "同意",
                    "handleTime": "2025-01-24 16:00:00",
                }
            ],
        }
        for key, oid in keys
    ]
    completes = [event(key, oid, "COMPLETE") for key, oid in keys]
    unknown = [event(f"{key}-NONE", oid, "COMPLETE") for key, oid in keys]
    receive = signed_sender(url, "/odoo/api/workflow/receive")
    approval = signed_sender(url, "/odoo/api/workflow/approval/log")
    trivial = trivial_sender(url)
    phases = [
        ("START (creates a contact and an order)", signed(starts), receive, (200, 0)),
        (TRIVIAL, [None] * args.calls, trivial, (200, None)),
        (MAIN, signed(logs), approval, (200, 0)),
        ("COMPLETE (ends the order, pass effect)", signed(completes), receive, (200, 0)),
        ("unknown businessKey (stored, -1024)", signed(unknown), receive, (200, -1024)),
        (
            "wrong signature (403, not stored)",
            signed(completes, Signer(WRONG)),
            receive,
            (403, -4002),
        ),
    ]
    results = {name: (0.0, 0, []) for name, *_rest in phases}
    cpu = {name: collections.Counter() for name, *_rest in phases}
    try:
        run_calls([None] * 20, trivial, args.clients)  # both workers warm
        # the phases take turns, a slice of each per round, so that a slow
        # moment of the machine weighs on all of them alike
        for round_ in range(args.rounds):
            for name, bodies, send, expected in phases:
                part = bodies[round_ :: args.rounds]
                before = cpu_seconds(process.pid)
                seconds, answers = run_calls(part, send, args.clients)
                cpu[name].update(cpu_seconds(process.pid))
                cpu[name].subtract(before)
                ok = [answer for answer in answers if answered(expected)(answer)]
                bad = [answer for answer in answers if not answered(expected)(answer)]
                spent, count, failed = results[name]
                results[name] = (spent + seconds, count + len(ok), failed + bad)
    finally:
        process.terminate()
        process.wait(timeout=60)
    print(
        f"Odoo --workers=2, {args.clients} concurrent clients, {args.calls} calls each "
        f"in {args.rounds} rounds (database {args.db}):"
    )
    for name, (seconds, ok, _bad) in results.items():
        print(f"  {name:42s} {ok:5d} ok in {seconds:6.2f} s = {ok / seconds:7.1f} calls/s")
    print("CPU milliseconds per call (Odoo server, PostgreSQL, this client):")
    for name, spent in cpu.items():
        ok = results[name][1] or 1
        figures = ", ".join(f"{kind} {spent[kind] / ok * 1000:.2f}" for kind in spent)
        print(f"  {name:42s} {figures}")
    rate = {name: ok / seconds for name, (seconds, ok, _bad) in results.items()}
    ratio = rate[MAIN] / rate[TRIVIAL]
    print(
        f"ratio approval logs / trivial route = {ratio:.2f} (goal >= {GOAL_RATIO}: "
        f"{'met' if ratio >= GOAL_RATIO else 'missed'}); COMPLETE / trivial = "
        f"{rate['COMPLETE (ends the order, pass effect)'] / rate[TRIVIAL]:.2f}",
        flush=True,
    )
    failed = {name: bad[:2] for name, (_s, _ok, bad) in results.items() if bad}
    if failed:
        print(f"calls not answered as expected: {failed}")
        sys.exit(1)


if __name__ == "__main__":
    main()
