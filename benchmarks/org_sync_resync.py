"""Full resync of departments and employees to the aiflow sandbox.

    python benchmarks/org_sync_resync.py --config odoo.conf --db aiflow_bench \
        [--departments 2000] [--employees 20000] [--compare-employees 2000] [--rounds 5]

Builds the fixture once per database (ORM, about 4 minutes for 20,000
employees here; a database that already has it is reused), then times only
the resync: starting it (the dry run confirmed), and the worker sending every
record to a sandbox running in its own process. Prints records per second, HTTP requests made, the
peak memory of the process that ran the resync, and CPU seconds: of that
process, of every PostgreSQL backend on the database (the worker records
outcomes and takes its next claim on connections of their own) and of the
sandbox. With --compare-employees it
also resyncs a second database holding that many employees, so the two peak
memories can be compared (each resync runs in a fresh process).

In the same run it measures the protocol floor: the very payloads the
resync sent, recorded and kept aside, sent again in the same batches by the
plain-Python client straight to a reset sandbox (no Odoo, no queue), and
prints resync time / floor time, for each of --rounds rounds (5 by
default) and their median: on a 2-core machine shared with others, one
round's ratio moves by a quarter either way. Absolute rates do not carry
from one machine to another; that ratio does. Each round also times the
floor once more beside a process that keeps one CPU busy: the floor runs on
one CPU at a time, the resync on both (Odoo builds and records while the
sandbox answers), and on a machine whose two CPUs slow each other down that
figure says by how much.

Goals: resync time / floor time <= 1.5; memory that does not grow with the
number of records. The database is vacuumed and analyzed before each run.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from org_sync_common import (
    CREDENTIAL,
    add_common_arguments,
    configure,
    ensure_database,
    odoo_env,
    peak_rss_mb,
    process_cpu_seconds,
    sandbox_process,
    vacuum_analyze,
)

MARK = "BENCH"
GOAL_FLOOR_RATIO = 1.5


class RecordingClient:
    """The connector's own client, keeping every call it sends (endpoint
    and body, in order) for the floor measurement; the bodies are decoded
    after the timing (:meth:`calls`)."""

    def __init__(self, client):
        self.client = client
        self.sent = []

    def prepare(self, endpoint_name, payload, **options):
        return self.client.prepare(endpoint_name, payload, **options)

    def send(self, prepared, **options):
        self.sent.append((prepared.endpoint.name, prepared.request.body))
        return self.client.send(prepared, **options)

    def call(self, endpoint_name, payload, **options):
        return self.send(self.prepare(endpoint_name, payload, **options))

    def calls(self):
        return [(name, json.loads(body)) for name, body in self.sent]

    def close(self):
        self.client.close()


def backends_cpu_seconds(cr):
    """pid -> CPU seconds of every PostgreSQL backend on this database (the
    worker's own and the one it records outcomes on; nothing else uses the
    benchmark database). A backend that ended is not counted."""
    cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    cpu = {}
    for (pid,) in cr.fetchall():
        try:
            cpu[pid] = process_cpu_seconds(pid)
        except OSError:  # ended meanwhile
            pass
    return cpu


def build_fixture(env, departments, employees):
    """A tree of ``departments`` (10 roots, each child under an earlier one)
    and ``employees`` spread over them, each led by the previous employee of
    their department; created without queueing (the resync queues them)."""
    Dept = env["hr.department"].with_context(
        aiflow_no_sync=True, tracking_disable=True, mail_create_nolog=True
    )
    Emp = env["hr.employee"].with_context(
        aiflow_no_sync=True, tracking_disable=True, mail_create_nolog=True
    )
    existing = Dept.search_count([("name", "=like", f"{MARK} %")])
    if existing >= departments and Emp.search_count([("name", "=like", f"{MARK} %")]) >= employees:
        return False
    start = time.perf_counter()
    dept_ids = []
    for n in range(departments):
        parent = dept_ids[(n - 10) // 3] if n >= 10 else False
        dept_ids.append(Dept.create({"name": f"{MARK} dept {n}", "parent_id": parent}).id)
    env.cr.commit()
    types = ["employee", "worker", "student", "trainee", "contractor", "freelance"]
    last_in_dept = {}
    chunk = []
    for n in range(employees):
        dept_id = dept_ids[n % departments]
        chunk.append(
            {
                "name": f"{MARK} person {n}",
                "department_id": dept_id,
                "employee_type": types[n % len(types)],
                "work_email": f"p{n}@example.com",
                "parent_id": last_in_dept.get(dept_id, False),
            }
        )
        if len(chunk) == 500 or n == employees - 1:
            created = Emp.create(chunk)
            for record, vals in zip(created, chunk, strict=True):
                last_in_dept[vals["department_id"]] = record.id
            env.cr.commit()
            env.invalidate_all()
            chunk = []
    # What autovacuum does after a bulk load like this one; PostgreSQL on
    # these machines runs with autovacuum off, and without statistics the
    # planner takes 20,000 employees for a few hundred.
    env.cr.execute("ANALYZE hr_department")
    env.cr.execute("ANALYZE hr_employee")
    env.cr.commit()
    print(
        f"fixture: {departments} departments, {employees} employees built in "
        f"{time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return True


def run_resync(config, db, base_url, calls_file):
    """One resync in this process; returns the figures and writes the calls
    it made to ``calls_file``."""
    with odoo_env(config, db) as env:
        configure(env, base_url)
        # A benchmark database: start from an empty, unbloated queue.
        env.cr.execute("TRUNCATE aiflow_outbox")
        env.cr.commit()
        vacuum_analyze(db)
        client = RecordingClient(env["aiflow.connection"]._aiflow_client())
        rss_before = peak_rss_mb()
        cpu_before = process_cpu_seconds(os.getpid()), backends_cpu_seconds(env.cr)
        start = time.perf_counter()
        wizard = env["aiflow.full.resync"].create({})
        wizard.action_confirm()
        env.cr.commit()
        queued = time.perf_counter()
        stats = env["aiflow.outbox"]._aiflow_deliver(time_budget=3600, client=client)
        env.cr.commit()
        end = time.perf_counter()
        cpu_after = process_cpu_seconds(os.getpid()), backends_cpu_seconds(env.cr)
        client.close()
        with open(calls_file, "w", encoding="utf-8") as out:
            json.dump(client.calls(), out, ensure_ascii=False)
        wizard.invalidate_recordset()
        return {
            "records": wizard.total_count,
            "sent": wizard.sent_count,
            "failed": wizard.failed_count,
            "start_seconds": queued - start,
            "deliver_seconds": end - queued,
            "seconds": end - start,
            "requests": stats.get("requests", 0),
            "peak_rss_mb_before": rss_before,
            "peak_rss_mb": peak_rss_mb(),
            "cpu_odoo": cpu_after[0] - cpu_before[0],
            "cpu_postgres": sum(
                cpu - cpu_before[1].get(pid, 0) for pid, cpu in cpu_after[1].items()
            ),
        }


def resync_in_fresh_process(args, db, sandbox_pid, calls_file):
    sandbox_cpu = process_cpu_seconds(sandbox_pid)
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--config",
            args.config,
            "--db",
            db,
            "--phase",
            "resync",
            "--base-url",
            args.base_url,
            "--calls-file",
            calls_file,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["cpu_sandbox"] = process_cpu_seconds(sandbox_pid) - sandbox_cpu
    return figures


@contextlib.contextmanager
def cpu_kept_busy(busy):
    """With ``busy``, a process spinning beside what runs inside."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # under way before the timing starts
        yield
    finally:
        spinner.kill()
        spinner.wait()


def protocol_floor(base_url, sandbox_pid, calls_file, busy=False):
    """Send the recorded calls again, in order, with the plain client to a
    reset sandbox: the time no connector can beat. Returns the figures.

    With ``busy``, the same beside a process that keeps one CPU busy: the
    floor uses one CPU at a time (client and sandbox take turns), and this
    shows what work on the other one costs it on this machine."""
    from aiflow_connector.protocol.client import AiflowClient
    from aiflow_connector.protocol.signing import Credential, Signer

    with open(calls_file, encoding="utf-8") as source:
        calls = json.load(source)  # built beforehand, outside the timing
    requests.post(f"{base_url}/sandbox/reset", timeout=10).raise_for_status()
    sandbox_cpu = process_cpu_seconds(sandbox_pid)
    cpu = process_cpu_seconds(os.getpid())
    with (
        AiflowClient(base_url, Signer(Credential(*CREDENTIAL))) as client,
        cpu_kept_busy(busy),
    ):
        start = time.perf_counter()
        for endpoint_name, payload in calls:
            client.call(endpoint_name, payload, check=False)
        seconds = time.perf_counter() - start
    return {
        "requests": len(calls),
        "seconds": seconds,
        "cpu_client": process_cpu_seconds(os.getpid()) - cpu,
        "cpu_sandbox": process_cpu_seconds(sandbox_pid) - sandbox_cpu,
    }


def report(label, figures):
    rate = figures["sent"] / figures["seconds"] if figures["seconds"] else 0
    print(
        f"{label}: {figures['sent']} of {figures['records']} records sent "
        f"({figures['failed']} failed) in {figures['seconds']:.2f} s "
        f"(start {figures['start_seconds']:.2f} s, deliver {figures['deliver_seconds']:.2f} s) "
        f"= {rate:,.0f} records/s; {figures['requests']} HTTP requests; "
        f"peak memory {figures['peak_rss_mb']:.0f} MB "
        f"(after Odoo start-up {figures['peak_rss_mb_before']:.0f} MB); "
        f"CPU seconds: Odoo {figures['cpu_odoo']:.2f}, its PostgreSQL backends "
        f"{figures['cpu_postgres']:.2f}, sandbox {figures['cpu_sandbox']:.2f}",
        flush=True,
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--departments", type=int, default=2000)
    parser.add_argument("--employees", type=int, default=20000)
    parser.add_argument("--compare-employees", type=int, default=0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="resyncs (each followed by its floor) of the main database; the median ratio counts",
    )
    parser.add_argument("--phase", choices=("all", "fixture", "resync"), default="all")
    parser.add_argument("--base-url", default="")
    parser.add_argument("--calls-file", default="")
    args = parser.parse_args()

    if args.phase == "fixture":
        ensure_database(args.config, args.db)
        with odoo_env(args.config, args.db) as env:
            build_fixture(env, args.departments, args.employees)
        return
    if args.phase == "resync":
        print(json.dumps(run_resync(args.config, args.db, args.base_url, args.calls_file)))
        return

    runs = [(args.db, args.departments, args.employees)]
    if args.compare_employees:
        runs.append((f"{args.db}_small", max(args.departments // 10, 1), args.compare_employees))
    for db, departments, employees in runs:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--config",
                args.config,
                "--db",
                db,
                "--phase",
                "fixture",
                "--departments",
                str(departments),
                "--employees",
                str(employees),
            ],
            check=True,
        )
    with sandbox_process() as (base_url, sandbox_pid), tempfile.TemporaryDirectory() as tmp:
        args.base_url = base_url
        for db, departments, employees in runs:
            calls_file = os.path.join(tmp, f"{db}-calls.json")
            ratios = []
            for _round in range(args.rounds if db == args.db else 1):
                requests.post(f"{base_url}/sandbox/reset", timeout=10).raise_for_status()
                figures = resync_in_fresh_process(args, db, sandbox_pid, calls_file)
                report(f"{db} ({departments} departments, {employees} employees)", figures)
                if db != args.db:
                    continue
                floor = protocol_floor(base_url, sandbox_pid, calls_file)
                ratio = figures["seconds"] / floor["seconds"]
                ratios.append(ratio)
                print(
                    f"protocol floor: the same {figures['sent']} payloads in "
                    f"{floor['requests']} requests, plain client straight to the sandbox: "
                    f"{floor['seconds']:.2f} s (CPU seconds: client {floor['cpu_client']:.2f}, "
                    f"sandbox {floor['cpu_sandbox']:.2f})",
                    flush=True,
                )
                print(
                    f"resync time / floor time = {figures['seconds']:.2f} / "
                    f"{floor['seconds']:.2f} = {ratio:.2f}",
                    flush=True,
                )
                busy = protocol_floor(base_url, sandbox_pid, calls_file, busy=True)
                print(
                    f"protocol floor beside a process keeping the other CPU busy: "
                    f"{busy['seconds']:.2f} s ({busy['seconds'] / floor['seconds']:.2f} x the "
                    f"floor; sandbox CPU seconds {busy['cpu_sandbox']:.2f}): what the resync's "
                    f"work beside the sandbox costs the sandbox on this machine",
                    flush=True,
                )
            if ratios:
                median = statistics.median(ratios)
                verdict = "meets" if median <= GOAL_FLOOR_RATIO else "misses"
                print(
                    f"resync / floor over {len(ratios)} rounds: "
                    f"{', '.join(f'{r:.2f}' for r in ratios)}; median {median:.2f} "
                    f"(goal <= {GOAL_FLOOR_RATIO}: {verdict})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
