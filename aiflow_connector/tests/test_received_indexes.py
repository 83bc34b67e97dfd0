# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every received event and log line writes the indexes of its table: each
key is indexed once, by its unique constraint, and the upgrade to 18.0.1.2.0
drops the indexes that repeated them."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATION = Path(__file__).parents[1] / "migrations" / "18.0.1.2.0" / "post-migrate.py"


def _migration():
    spec = importlib.util.spec_from_file_location("aiflow_migrate_18_0_1_2_0", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestReceivedIndexes(TransactionCase):
    def indexes_leading_with(self, table, column):
        self.env.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            (table, f"%USING btree ({column}%"),
        )
        return sorted(name for (name,) in self.env.cr.fetchall())

    def test_each_key_indexed_once(self):
        self.assertEqual(
            self.indexes_leading_with("aiflow_inbound_event", "idempotency_key"),
            ["aiflow_inbound_event_idempotency_key_unique"],
        )
        self.assertEqual(
            self.indexes_leading_with("aiflow_order_log", "order_id"),
            ["aiflow_order_log_inbound_key_unique"],
        )

    def test_upgrade_drops_the_repeated_indexes(self):
        cr = self.env.cr
        cr.execute(
            "CREATE INDEX aiflow_inbound_event__idempotency_key_index"
            " ON aiflow_inbound_event (idempotency_key)"
        )
        cr.execute("CREATE INDEX aiflow_order_log__order_id_index ON aiflow_order_log (order_id)")
        self.assertEqual(len(self.indexes_leading_with("aiflow_order_log", "order_id")), 2)
        _migration().migrate(cr, "18.0.1.1.0")
        self.test_each_key_indexed_once()
        _migration().migrate(cr, "18.0.1.1.0")  # a second run finds nothing to drop
