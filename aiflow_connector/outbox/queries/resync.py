# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A full resync's rows: its progress, the waiting rows it claims, the rows it writes."""

import json
from datetime import datetime

from odoo.tools import SQL

from ..states import DEAD, DONE, RUNNING, SENDING, WAITING


def resync_counts(cr, token):
    """state -> rows of the resync ``token`` ('skipped': done, nothing sent)."""
    cr.execute(
        SQL(
            """
            SELECT CASE WHEN state = %s AND request_body IS NULL
                        THEN 'skipped' ELSE state END, count(*)
              FROM aiflow_outbox WHERE resync_token = %s GROUP BY 1
            """,
            DONE,
            token,
        )
    )
    return dict(cr.fetchall())


def resync_running(cr, token):
    """True while rows of the resync ``token`` are still to be delivered."""
    cr.execute(
        SQL(
            "SELECT 1 FROM aiflow_outbox WHERE resync_token = %s AND state IN %s LIMIT 1",
            token,
            RUNNING,
        )
    )
    return bool(cr.fetchone())


def adopt_waiting_rows(cr, token, endpoint, res_model, ids_query, now):
    """The live rows waiting for the records ``ids_query`` selects are
    claimed by the full resync ``token``, which settles them when it sends
    their records (a dead one starts over); returns how many records the
    query selects."""
    cr.execute(
        SQL(
            """
            WITH records AS (%(ids)s),
                 adopted AS (  -- run to completion, whether read or not
                    UPDATE aiflow_outbox
                       SET state = %(sending)s, claim_token = %(token)s, claimed_at = %(now)s,
                           resync_token = %(token)s, write_date = %(now)s,
                           attempts = CASE WHEN state = %(dead)s THEN 0 ELSE attempts END
                     WHERE endpoint = %(endpoint)s AND res_model = %(model)s AND mode = 'live'
                       AND res_id IN (SELECT * FROM records) AND state IN %(waiting)s)
            SELECT count(*) FROM records
            """,
            sending=SENDING,
            dead=DEAD,
            waiting=WAITING,
            token=token,
            now=now,
            endpoint=endpoint,
            model=res_model,
            ids=ids_query,
        )
    )
    return cr.fetchone()[0]


def resync_rows(cr, token, endpoint, res_model):
    """[(res_id, row id, state)] of the rows of the full resync ``token`` for
    records of ``res_model`` sent to ``endpoint``."""
    cr.execute(
        SQL(
            """
            SELECT res_id, id, state FROM aiflow_outbox
             WHERE resync_token = %s AND endpoint = %s AND res_model = %s
            """,
            token,
            endpoint,
            res_model,
        )
    )
    return cr.fetchall()


def resync_held_back(cr, token):
    """(endpoint, aiflow id) of the records the full resync ``token`` could
    not deliver (refused, waiting, retrying): what depends on them waits."""
    cr.execute(
        SQL(
            """
            SELECT DISTINCT endpoint, record_key FROM aiflow_outbox
             WHERE resync_token = %s AND state IN %s AND record_key IS NOT NULL
            """,
            token,
            WAITING,
        )
    )
    return set(cr.fetchall())


def _sql_timestamp(value):
    # The one value of a row json cannot write: a retry's time.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def insert_outcomes(cr, token, source, rows, now, uid):
    """Write the rows of records the full resync ``token`` sent, each with its
    outcome, in one statement. ``rows`` are :class:`..resync.Written`
    tuples (res_id, key, name, state, error, request, response, next_at,
    sent), which travel as they are in one JSON text: adapted value by
    value, nine arrays of a batch held the worker's process (and its other
    threads) longer than the call.

    The user columns stay empty: who asked for the resync is its run's
    creator (``aiflow.resync.run``), and each user column is a foreign key
    checked row by row (measured: 0.17 of this statement's 0.39 CPU
    seconds in PostgreSQL for 22,002 rows went to the two checks)."""
    values = json.dumps(rows, ensure_ascii=False, default=_sql_timestamp)
    cr.execute(
        SQL(
            """
            INSERT INTO aiflow_outbox
                   (endpoint, mode, res_model, res_id, record_key, record_name, priority,
                    state, attempts, next_attempt_at, resync_token, last_error,
                    request_body, response_body, sent_at, done_at,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(endpoint)s, 'live', %(model)s, (v->>0)::int, v->>1, v->>2, %(priority)s,
                   v->>3, CASE WHEN (v->>8)::bool THEN 1 ELSE 0 END,
                   COALESCE((v->>7)::timestamp, %(now)s), %(token)s, v->>4, v->>5, v->>6,
                   CASE WHEN (v->>8)::bool THEN %(now)s END,
                   CASE WHEN v->>3 = %(done)s THEN %(now)s END,
                   NULL, %(now)s, NULL, %(now)s
              FROM jsonb_array_elements(%(values)s::jsonb) AS v
            """,
            endpoint=source.endpoint,
            model=source.model,
            priority=source.row_priority("live"),
            token=token,
            now=now,
            done=DONE,
            values=values,
        )
    )
