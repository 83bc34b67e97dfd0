"""A second outbox worker in an OS process of its own, for
test_multi_process_outbox.py: it calls ``aiflow.outbox._aiflow_deliver`` on
the same database as the server's cron, the way another Odoo process would.

    python outbox_worker.py --config ODOO_CONF --db DB

It loads the registry, prints ``ready``, waits for ``go`` on stdin, then
delivers again and again (a short pause when the queue was empty) until
``stop`` or the end of stdin, and prints one JSON line: rows it delivered,
requests it made, runs, and the UTC times of its first and last delivering
run. It runs as the admin user so that the rows it settles carry the admin
as ``write_uid`` (the cron runs as OdooBot).
"""

import argparse
import json
import sys
import threading
from collections import Counter
from datetime import datetime, timezone


def utc_now():
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        admin_id = api.Environment(cr, SUPERUSER_ID, {}).ref("base.user_admin").id
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1

    stop = threading.Event()

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    totals = Counter()
    first = last = None
    runs = 0
    while not stop.is_set():
        started = utc_now()
        with registry.cursor() as cr:
            env = api.Environment(cr, admin_id, {})
            stats = env["aiflow.outbox"]._aiflow_deliver()
        runs += 1
        totals.update(stats)
        if stats.get("sent"):
            first = first or started
            last = utc_now()
        else:
            stop.wait(0.1)
    print(
        json.dumps({"uid": admin_id, "runs": runs, "first": first, "last": last, **dict(totals)}),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
