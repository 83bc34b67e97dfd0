# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""For tests and maintenance: remove or date rows, read the table as it is."""

from odoo.tools import SQL


def delete_rows(cr, resync_token=None, res_model=None, res_id=None):
    """Remove rows for good: all; a resync's (any resync's with True); a record's."""
    where = [SQL("TRUE")]
    if resync_token:
        where.append(
            SQL("resync_token IS NOT NULL")
            if resync_token is True
            else SQL("resync_token = %s", resync_token)
        )
    if res_model:
        where.append(SQL("res_model = %s AND res_id = %s", res_model, res_id))
    cr.execute(SQL("DELETE FROM aiflow_outbox WHERE %s", SQL(" AND ").join(where)))


def set_date(cr, ids, column, when):
    """Date rows ``ids`` back: their ``column`` (create_date, write_date) to ``when``."""
    assert column in ("create_date", "write_date"), column
    cr.execute(
        SQL(
            "UPDATE aiflow_outbox SET %s = %s WHERE id = ANY(%s)",
            SQL.identifier(column),
            when,
            list(ids),
        )
    )


def select(cr, columns, where, tail=None):
    """``SELECT columns FROM aiflow_outbox WHERE where tail`` (SQL parts): for
    tests that hold what the code shows against the table itself."""
    cr.execute(SQL("SELECT %s FROM aiflow_outbox WHERE %s %s", columns, where, tail or SQL()))
    return cr.fetchall()


def state_counts(cr, ids=None):
    """state -> number of rows (of ``ids``, or of the whole table)."""
    where = SQL("id = ANY(%s)", list(ids)) if ids is not None else SQL("TRUE")
    cr.execute(SQL("SELECT state, count(*) FROM aiflow_outbox WHERE %s GROUP BY state", where))
    return dict(cr.fetchall())
