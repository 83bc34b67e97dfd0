# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the records' forms, the hooks and the console ask of the table."""

from odoo.tools import SQL

from ..states import DONE, REACHED


def latest_rows(cr, res_model, endpoint, res_ids):
    """res_id -> (state, done_at, last_error) of its latest live row."""
    cr.execute(
        SQL(
            """
            SELECT DISTINCT ON (res_id) res_id, state, done_at, last_error
              FROM aiflow_outbox
             WHERE res_model = %s AND endpoint = %s AND mode = 'live' AND res_id IN %s
             ORDER BY res_id, id DESC
            """,
            res_model,
            endpoint,
            tuple(res_ids),
        )
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def latest_calls(cr, res_model, endpoints, res_ids):
    """res_id -> (endpoint, state, last_error) of its latest row among
    ``endpoints`` (a record sent by several kinds of call)."""
    cr.execute(
        SQL(
            """
            SELECT DISTINCT ON (res_id) res_id, endpoint, state, last_error
              FROM aiflow_outbox
             WHERE res_model = %s AND endpoint IN %s AND res_id IN %s
             ORDER BY res_id, id DESC
            """,
            res_model,
            tuple(endpoints),
            tuple(res_ids),
        )
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def last_delivery_times(cr, res_model, endpoint, res_ids):
    """res_id -> when aiflow last accepted something for it."""
    cr.execute(
        SQL(
            """
            SELECT res_id, max(done_at) FROM aiflow_outbox
             WHERE res_model = %s AND endpoint = %s AND state = %s AND res_id IN %s
             GROUP BY res_id
            """,
            res_model,
            endpoint,
            DONE,
            tuple(res_ids),
        )
    )
    return dict(cr.fetchall())


def last_delivered_bodies(cr, res_model, endpoint, res_ids):
    """res_id -> the item aiflow last accepted for it (JSON text)."""
    cr.execute(
        SQL(
            """
            SELECT DISTINCT ON (res_id) res_id, request_body FROM aiflow_outbox
             WHERE res_model = %s AND endpoint = %s AND res_id IN %s
               AND state = %s AND request_body IS NOT NULL
             ORDER BY res_id, id DESC
            """,
            res_model,
            endpoint,
            tuple(res_ids),
            DONE,
        )
    )
    return dict(cr.fetchall())


def keys_reached(cr, endpoint, keys):
    """Those of ``keys`` that aiflow has, or may have, received."""
    cr.execute(
        SQL(
            "SELECT DISTINCT record_key FROM aiflow_outbox"
            " WHERE endpoint = %s AND record_key IN %s AND state IN %s",
            endpoint,
            tuple(keys),
            REACHED,
        )
    )
    return {row[0] for row in cr.fetchall()}


def records_with_rows(cr, res_model, endpoint, res_ids):
    """Those of ``res_ids`` the outbox has ever had a row for."""
    cr.execute(
        SQL(
            "SELECT DISTINCT res_id FROM aiflow_outbox"
            " WHERE res_model = %s AND endpoint = %s AND res_id IN %s",
            res_model,
            endpoint,
            tuple(res_ids),
        )
    )
    return [row[0] for row in cr.fetchall()]


def delivered_condition(res_model, alias):
    """SQL condition: the record ``alias.id`` of ``res_model`` reached aiflow once."""
    return SQL(
        "EXISTS (SELECT 1 FROM aiflow_outbox o"
        " WHERE o.res_model = %s AND o.res_id = %s.id AND o.state = %s)",
        res_model,
        SQL.identifier(alias),
        DONE,
    )
