"""Cost of the task-center sync on approvals, and delivery of their orders.

    python benchmarks/task_center_approvals.py --config odoo.conf --db aiflow_bench_tc \
        [--documents 500] [--rounds 1]

On a database with sale_management, sale_tier_validation and the bridge
(created once if missing; the OCA wheels of requirements-oca.txt must be
installed), flow SALES_ORDER is online for sale.order with one tier. Each
round, for the connector enabled and for ``sync_enabled`` off (alternating),
``--documents`` quotations are submitted for validation and approved, each
step in its own committed transaction as a user's click would be; the
medians are compared (goal: ratio <= 1.10). Both modes keep the orders and
queue their rows (nothing is lost); with sync on, the delivery cron is also
woken. Then the aiflow sandbox starts in its own process and the worker
delivers every queued row: the figure is the rate of order snapshots
accepted by the sandbox.
"""

import argparse
import statistics
import subprocess
import sys
import time

import requests
from org_sync_common import (
    ODOO_PATH,
    add_common_arguments,
    configure,
    odoo_env,
    sandbox_process,
)

MODULES = "sale_management,sale_tier_validation,aiflow_connector_tier_validation"
GOAL_RATIO = 1.10
MARK = "TCBENCH"


def ensure_database(config, db):
    import odoo
    from odoo.service import db as db_service

    odoo.tools.config.parse_config(["-c", config, "-d", db])
    if db_service.exp_db_exist(db):
        return
    print(f"creating database {db} with {MODULES} (once)...", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(ODOO_PATH / "odoo-bin"),
            *("-c", config, "-d", db, "-i", MODULES),
            *("--stop-after-init", "--without-demo=all", "--log-level=warn"),
        ],
        check=True,
    )


def set_up(env):
    """Requester, reviewer (with an employee), the online flow and its tier."""
    Users = env["res.users"].with_context(no_reset_password=True)
    groups = [
        env.ref("base.group_user").id,
        env.ref("sales_team.group_sale_salesman_all_leads").id,
    ]
    people = {}
    for role in ("requester", "reviewer"):
        login = f"{MARK.lower()}_{role}"
        user = Users.search([("login", "=", login)])
        if not user:
            user = Users.create(
                {"name": f"{MARK} {role}", "login": login, "groups_id": [(6, 0, groups)]}
            )
            department = env["hr.department"].create({"name": f"{MARK} {role}s"})
            env["hr.employee"].create(
                {"name": user.name, "user_id": user.id, "department_id": department.id}
            )
        people[role] = user
    model_id = env["ir.model"]._get_id("sale.order")
    flow = env["aiflow.flow"].search([("flow_code", "=", "SALES_ORDER")])
    if not flow:
        flow = env["aiflow.flow"].create(
            {
                "flow_code": "SALES_ORDER",
                "title": "销售订单审批流程",
                "model_id": model_id,
                "group_id": "GROUP001",
                "manager_user_id": people["reviewer"].id,
                "operation_user_id": people["reviewer"].id,
                "config_user_id": people["reviewer"].id,
            }
        )
    # Registration and going online are not measured here.
    flow.write({"state": "online", "flow_version": 1})
    if not env["tier.definition"].search([("model_id", "=", model_id)]):
        env["tier.definition"].create(
            {
                "name": "Sales manager approval",
                "model_id": model_id,
                "review_type": "individual",
                "reviewer_id": people["reviewer"].id,
            }
        )
    partner = env["res.partner"].search([("name", "=", f"{MARK} customer")], limit=1)
    partner = partner or env["res.partner"].create({"name": f"{MARK} customer"})
    env.cr.commit()
    return people["requester"], people["reviewer"], partner


def quotations(env, requester, partner, count):
    Sale = env["sale.order"].with_user(requester)
    sales = Sale.create([{"partner_id": partner.id} for _n in range(count)])
    env.cr.commit()
    return sales.ids


def timed_approvals(env, ids, requester, reviewer):
    start = time.perf_counter()
    for sale_id in ids:
        env["sale.order"].with_user(requester).browse(sale_id).request_validation()
        env.cr.commit()
        env["sale.order"].with_user(reviewer).browse(sale_id).validate_tier()
        env.cr.commit()
    return time.perf_counter() - start


def deliver_all(env, url):
    """Run the worker until nothing is due; (seconds, snapshots accepted)."""
    configure(env, url)
    env.cr.commit()
    Outbox = env["aiflow.outbox"]
    start = time.perf_counter()
    while True:
        stats = Outbox._aiflow_deliver()
        env.cr.commit()
        if not stats.get("requests"):
            break
    seconds = time.perf_counter() - start
    state = requests.get(f"{url}/sandbox/state", timeout=30).json()
    return seconds, state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    ensure_database(args.config, args.db)
    with odoo_env(args.config, args.db) as env:
        # Nothing listens there while approving: the worker is measured after.
        configure(env, "http://127.0.0.1:9")
        env.cr.execute("TRUNCATE aiflow_outbox")
        requester, reviewer, partner = set_up(env)
        params = env["ir.config_parameter"].sudo()
        times = {"enabled": [], "disabled": []}
        for _round in range(args.rounds):
            for mode in ("enabled", "disabled"):
                params.set_param("aiflow_connector.sync_enabled", str(mode == "enabled"))
                ids = quotations(env, requester, partner, args.documents)
                times[mode].append(timed_approvals(env, ids, requester, reviewer))
        env.cr.execute(
            "DELETE FROM ir_cron_trigger WHERE cron_id = %s",
            (env.ref("aiflow_connector.ir_cron_aiflow_outbox").id,),
        )
        env.cr.commit()
        Outbox = env["aiflow.outbox"]
        snapshots = Outbox.search_count([("endpoint", "=", "order_task_sync")])
        logs = Outbox.search_count([("endpoint", "=", "approval_log_sync")])
        with sandbox_process() as (url, _pid):
            seconds, state = deliver_all(env, url)
        delivered = Outbox.search_count(
            [("endpoint", "=", "order_task_sync"), ("state", "=", "done")]
        )
        passed = sum(1 for order in state["orders"].values() if order["orderResult"] == "pass")
        left = Outbox.search_count([("state", "not in", ("done", "cancelled"))])
        env.cr.execute("TRUNCATE aiflow_outbox")
        env.cr.commit()
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    per_doc = {mode: 1000 * value / args.documents for mode, value in medians.items()}
    ratio = medians["enabled"] / medians["disabled"]
    print(
        f"{args.documents} quotations submitted and approved (one tier), each step "
        f"committed, median of {args.rounds} round(s):\n"
        f"  connector enabled   {medians['enabled']:.2f} s "
        f"({per_doc['enabled']:.1f} ms/document)\n"
        f"  sync_enabled off    {medians['disabled']:.2f} s "
        f"({per_doc['disabled']:.1f} ms/document)\n"
        f"ratio enabled / off = {ratio:.3f} (goal <= {GOAL_RATIO}: "
        f"{'met' if ratio <= GOAL_RATIO else 'missed'})\n"
        f"delivery to the sandbox: {snapshots} order snapshot rows and {logs} approval logs "
        f"queued; {delivered} snapshots accepted in {seconds:.2f} s "
        f"({delivered / seconds:.0f} snapshots/s, with the logs and user sync in the same run); "
        f"{passed} orders over/pass in the sandbox; {left} rows not delivered",
        flush=True,
    )


if __name__ == "__main__":
    main()
