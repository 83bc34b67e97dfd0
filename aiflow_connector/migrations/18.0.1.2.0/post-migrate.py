# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Drop two indexes that repeat a unique constraint's index: every received
event and approval-log line paid for writing them twice (Odoo keeps an index
it no longer expects, so the upgrade removes them)."""

from odoo.tools.sql import drop_index

REPEATED_INDEXES = {
    "aiflow_inbound_event__idempotency_key_index": "aiflow_inbound_event",
    "aiflow_order_log__order_id_index": "aiflow_order_log",
}


def migrate(cr, version):
    for index, table in REPEATED_INDEXES.items():
        drop_index(cr, index, table)
