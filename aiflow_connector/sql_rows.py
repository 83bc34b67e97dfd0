# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""INSERT and UPDATE statements for the few rows the addon writes without
the ORM (every webhook call writes them), with the audit columns the ORM
would have filled, and how to run one statement in a transaction of its
own. Each table's own module runs them; only the statement's shape is
shared here."""

from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import fields
from odoo.tools import SQL


def stamped(vals, uid, now=None, created=True):
    """``vals`` with the write (and, when ``created``, create) date and user."""
    now = now or fields.Datetime.now()
    stamp = {"write_date": now, "write_uid": uid}
    if created:
        stamp.update(create_date=now, create_uid=uid)
    return {**vals, **stamp}


def insert(table, rows, conflict=None, returning="id"):
    """``INSERT INTO table ... [ON CONFLICT (conflict) DO NOTHING] RETURNING``
    of ``rows`` (dicts with the same keys, values as stored: None is NULL)."""
    columns = list(rows[0])
    return SQL(
        "INSERT INTO %s (%s) VALUES %s %s RETURNING %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in columns),
        SQL(", ").join(SQL("%s", tuple(row[column] for column in columns)) for row in rows),
        SQL("ON CONFLICT (%s) DO NOTHING", SQL(", ").join(map(SQL.identifier, conflict)))
        if conflict
        else SQL(),
        SQL.identifier(returning),
    )


def update(table, row_id, vals):
    """``UPDATE table SET ... WHERE id = row_id`` (values as stored)."""
    return SQL(
        "UPDATE %s SET %s WHERE id = %s",
        SQL.identifier(table),
        SQL(", ").join(SQL("%s = %s", SQL.identifier(name), value) for name, value in vals.items()),
        row_id,
    )


def outside_transaction(cr, query, params=None):
    """Run one statement in a transaction of its own that PostgreSQL begins
    and ends (autocommit, as Odoo's database service does): one round trip,
    no transaction left open, and the next statement begins a new one.
    Returns the rows it answered."""
    if cr._cnx.info.transaction_status != TRANSACTION_STATUS_IDLE:
        # a test's cursor, inside the test's transaction: the statement,
        # then the end of what this cursor began (its savepoint), kept as
        # autocommit would keep it
        cr.execute(query, params, log_exceptions=False)
        rows = cr.fetchall() if cr.description else []
        cr.commit()  # pylint: disable=invalid-commit
        return rows
    cr._cnx.autocommit = True
    try:
        cr.execute(query, params, log_exceptions=False)
        return cr.fetchall() if cr.description else []
    finally:
        cr._cnx.autocommit = False
