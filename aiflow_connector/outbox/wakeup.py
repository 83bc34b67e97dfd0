# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bring the delivery cron round as soon as a transaction commits.

What ``ir.cron._trigger()`` does, made cheap enough for every save: a
trigger row, then a NOTIFY that wakes the cron workers, sent on a connection
kept open (core opens a new one to the ``postgres`` database for each
NOTIFY, which costs more than the save itself).
"""

import functools
import logging
import threading

import psycopg2
import psycopg2.sql

from odoo import sql_db
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)

_notify_lock = threading.Lock()
_notify_connection = None


def notify_cron_workers(dbname):
    """Wake Odoo's cron workers (they LISTEN on the ``postgres`` database)."""
    global _notify_connection
    query = psycopg2.sql.SQL("SELECT {}('cron_trigger', %s)").format(
        psycopg2.sql.Identifier(ODOO_NOTIFY_FUNCTION)
    )
    with _notify_lock:
        for _attempt in range(2):
            try:
                if _notify_connection is None or _notify_connection.closed:
                    _name, params = sql_db.connection_info_for("postgres")
                    _notify_connection = psycopg2.connect(**params)
                    _notify_connection.autocommit = True
                    # A NOTIFY commits a transaction of its own; waiting for
                    # its WAL flush would cost every save a disk sync. The
                    # trigger row is durable with the save; a lost wake-up
                    # (server crash) is made good by the cron's own round.
                    with _notify_connection.cursor() as cursor:
                        cursor.execute("SET synchronous_commit TO OFF")
                with _notify_connection.cursor() as cursor:
                    cursor.execute(query, (dbname,))
                return
            except psycopg2.Error:
                # A connection that broke (server restart): one new try.
                if _notify_connection is not None:
                    _notify_connection.close()
                _notify_connection = None
        _logger.warning("aiflow outbox: could not wake the cron workers of %s", dbname)


def notify_connection():
    """The kept connection (None before the first NOTIFY)."""
    return _notify_connection


def trigger_after_commit(env, cron_xmlid, when):
    """A trigger row at ``when`` for the cron ``cron_xmlid``, when it exists
    and is active, and the workers woken once this transaction commits.

    One statement on every save: the cron's id comes from Odoo's cache of
    external ids, and whether it is active is asked by the INSERT itself
    (``env.ref()`` and reading ``active`` took a query each)."""
    cron_id = env["ir.model.data"]._xmlid_to_res_id(cron_xmlid)
    if not cron_id:
        return
    env.cr.execute(
        SQL(
            """
            INSERT INTO ir_cron_trigger
                   (cron_id, call_at, create_uid, create_date, write_uid, write_date)
            SELECT id, %s, %s, %s, %s, %s FROM ir_cron WHERE id = %s AND active
            """,
            when,
            env.uid,
            when,
            env.uid,
            when,
            cron_id,
        )
    )
    if env.cr.rowcount:
        env.cr.postcommit.add(functools.partial(notify_cron_workers, env.cr.dbname))
