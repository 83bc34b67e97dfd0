"""Overhead of the organization sync hooks on the user's save.

    python benchmarks/org_sync_hooks.py --config odoo.conf --db aiflow_bench_hooks \
        [--writes 1000] [--rounds 3] [--block 50]

Makes ``--writes`` employee saves, each in its own committed transaction (as
a user clicking Save would), changing a field that reaches aiflow. In each
round the modes (connector enabled, ``sync_enabled`` off, hooks bypassed)
take turns every ``--block`` saves, so that the machine's drifts in speed
fall on all of them alike; the medians of the rounds are compared (goal:
ratio <= 1.10). With sync on, each
save also queues an outbox row and triggers the delivery cron; with sync off
the row is queued too (nothing is lost) but the cron is not woken. For
reference it also times saves with the hooks bypassed entirely. The worker
is not run: only the cost paid inside the user's transaction is measured.
"""

import argparse
import statistics
import time

from org_sync_common import add_common_arguments, configure, ensure_database, odoo_env

MARK = "HOOKBENCH"
GOAL_RATIO = 1.10


def employees(env, count):
    Emp = env["hr.employee"].with_context(aiflow_no_sync=True, tracking_disable=True)
    found = Emp.search([("name", "=like", f"{MARK} %")], order="id", limit=count)
    if len(found) < count:
        dept = (
            env["hr.department"]
            .with_context(aiflow_no_sync=True)
            .create({"name": f"{MARK} department"})
        )
        found |= Emp.create(
            [{"name": f"{MARK} {n}", "department_id": dept.id} for n in range(count - len(found))]
        )
        env.cr.commit()
    return found.ids


def timed_saves(env, ids, label, context=None):
    Emp = env["hr.employee"].with_context(**(context or {}))
    start = time.perf_counter()
    for n, emp_id in enumerate(ids):
        Emp.browse(emp_id).write({"work_email": f"{label}.{n}@example.com"})
        env.cr.commit()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--block", type=int, default=50, help="saves of one mode before the next takes its turn"
    )
    args = parser.parse_args()
    ensure_database(args.config, args.db)
    with odoo_env(args.config, args.db) as env:
        # Nothing listens there: the worker is not part of this measure.
        configure(env, "http://127.0.0.1:9")
        ids = employees(env, args.writes)
        env.cr.execute("TRUNCATE aiflow_outbox")
        env.cr.commit()
        params = env["ir.config_parameter"].sudo()
        modes = ("enabled", "disabled", "bypassed")
        times = {mode: [] for mode in modes}
        for round_no in range(args.rounds):
            spent = dict.fromkeys(modes, 0.0)
            # The modes take turns every --block saves: this machine's speed
            # drifts over tens of seconds, which a mode timed in one piece
            # took for its own cost. Each block starts with the next mode.
            for number, start in enumerate(range(0, len(ids), args.block)):
                chunk = ids[start : start + args.block]
                shift = number % len(modes)
                for mode in modes[shift:] + modes[:shift]:
                    params.set_param("aiflow_connector.sync_enabled", str(mode == "enabled"))
                    env.cr.commit()
                    context = {"aiflow_no_sync": True} if mode == "bypassed" else None
                    label = f"{mode}{round_no}.{number}"
                    spent[mode] += timed_saves(env, chunk, label, context)
            for mode in modes:
                times[mode].append(spent[mode])
        queued = env["aiflow.outbox"].search_count([])
        env.cr.execute(
            "DELETE FROM ir_cron_trigger WHERE cron_id = %s",
            (env.ref("aiflow_connector.ir_cron_aiflow_outbox").id,),
        )
        env.cr.execute("TRUNCATE aiflow_outbox")
        env.cr.commit()
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    per_save = {mode: 1000 * value / args.writes for mode, value in medians.items()}
    ratio = medians["enabled"] / medians["disabled"]
    print(
        f"{args.writes} employee saves, each committed, median of {args.rounds} rounds:\n"
        f"  connector enabled   {medians['enabled']:.2f} s ({per_save['enabled']:.2f} ms/save)\n"
        f"  sync_enabled off    {medians['disabled']:.2f} s ({per_save['disabled']:.2f} ms/save)\n"
        f"  hooks bypassed      {medians['bypassed']:.2f} s ({per_save['bypassed']:.2f} ms/save)\n"
        f"  outbox rows queued  {queued} (one per employee: saves coalesce)\n"
        f"ratio enabled / off = {ratio:.3f} (goal <= {GOAL_RATIO}: "
        f"{'met' if ratio <= GOAL_RATIO else 'missed'}); "
        f"enabled / bypassed = {medians['enabled'] / medians['bypassed']:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
