"""Time order_parents_first on 100,000 shuffled records (goal: under 1 s).

Run from the repository root, no Odoo needed:

    python benchmarks/hierarchy_order.py [--nodes 100000] [--seed 42] [--repeat 3]

The records mix the shapes a real organisation produces: wide trees (a
head office with many sibling departments), bushy random trees, and a few
very deep chains (a long management line), all shuffled together.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_connector.protocol.hierarchy import order_parents_first

GOAL_SECONDS = 1.0


def build(nodes, seed):
    rng = random.Random(seed)
    items = []

    def add(parent):
        node_id = f"D{len(items):06d}"
        items.append({"deptId": node_id, "deptName": node_id, "parentId": parent})
        return node_id

    wide = nodes * 4 // 10  # a few roots with thousands of direct children
    bushy = nodes * 4 // 10  # random trees: each node picks an earlier parent
    deep = nodes - wide - bushy  # long chains: half of them in one line
    for _ in range(5):
        root = add("")
        for _ in range(wide // 5 - 1):
            add(root)
    first_bushy = len(items)
    add("")
    while len(items) - first_bushy < bushy:
        add(items[rng.randrange(first_bushy, len(items))]["deptId"])
    for length in (deep // 2, deep // 4, nodes - len(items) - deep // 2 - deep // 4):
        parent = ""
        for _ in range(length):
            parent = add(parent)
    rng.shuffle(items)
    return items


def check(ordered, expected_count):
    seen = set()
    for item in ordered:
        parent = item["parentId"]
        if parent and parent not in seen:
            raise SystemExit(f"wrong order: {item['deptId']} before its parent {parent}")
        seen.add(item["deptId"])
    if len(seen) != expected_count:
        raise SystemExit(f"lost records: {len(seen)} of {expected_count}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    items = build(args.nodes, args.seed)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        ordered = order_parents_first(items, "deptId", "parentId")
        timings.append(time.perf_counter() - started)
    check(ordered, len(items))
    best = min(timings)
    verdict = "OK" if best < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(
        f"order_parents_first: {len(items)} records, best of {args.repeat}: "
        f"{best:.3f} s (goal < {GOAL_SECONDS:g} s) {verdict}"
    )
    return 0 if best < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
