"""The layout rules the outbox issue set, kept by a test rather than by a
reading: no source file of the addons past about 500 lines (a longer one
does several jobs), and every SQL statement on the outbox table in the one
package beside that table (``aiflow_connector/outbox/queries``)."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = ("aiflow_connector", "aiflow_connector_tier_validation")
MAX_LINES = 500
QUERIES = REPO / "aiflow_connector" / "outbox" / "queries"
# A statement naming the table (the model name, aiflow.outbox, is not it).
OUTBOX_SQL = re.compile(r"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?aiflow_outbox\b", re.IGNORECASE)


def _sources():
    for addon in ADDONS:
        for path in sorted((REPO / addon).rglob("*.py")):
            if "tests" not in path.relative_to(REPO).parts:
                yield path


def test_the_rules_see_the_addons():
    paths = list(_sources())
    assert REPO / "aiflow_connector" / "outbox" / "resync.py" in paths
    assert len(paths) > 50


def test_no_source_file_past_about_500_lines():
    long = {
        str(path.relative_to(REPO)): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_sql_on_the_outbox_table_only_in_its_queries_package():
    assert OUTBOX_SQL.search('cr.execute("SELECT id FROM aiflow_outbox WHERE state = %s")')
    assert any(OUTBOX_SQL.search(path.read_text(encoding="utf-8")) for path in QUERIES.glob("*.py"))
    elsewhere = [
        str(path.relative_to(REPO))
        for path in _sources()
        if QUERIES not in path.parents and OUTBOX_SQL.search(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []
