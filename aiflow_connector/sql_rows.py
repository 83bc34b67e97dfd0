# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""INSERT and UPDATE statements for the few rows the addon writes without
the ORM (every webhook call writes them), with the audit columns the ORM
would have filled. Each table's own module runs them; only the statement's
shape is shared here."""

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
