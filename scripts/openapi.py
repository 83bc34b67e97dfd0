#!/usr/bin/env python3
"""Write (or check) the OpenAPI 3.1 description the addon ships.

    python scripts/openapi.py           rewrite aiflow_connector/static/openapi/odoo-endpoints.json
    python scripts/openapi.py --check   exit 1 when the shipped file is not up to date

The document is built by ``aiflow_connector/protocol/openapi.py`` from the
payload rules of ``protocol/schema.py``; run this after changing either.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiflow_connector.protocol import openapi  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    target = REPO / openapi.SHIPPED_PATH
    text = openapi.render()
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{openapi.SHIPPED_PATH} is out of date: run scripts/openapi.py", file=sys.stderr)
            return 1
        print(f"{openapi.SHIPPED_PATH} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {openapi.SHIPPED_PATH} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
