# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every SQL statement on the ``aiflow_outbox`` table, each under a name.

The worker handles rows as plain values and records outcomes with one
statement per batch: a full resync moves tens of thousands of rows, and
per-row ORM writes would cost more than the HTTP calls themselves.
"""

import json

from odoo.tools import SQL

from .states import (
    DEAD,
    DONE,
    DUE,
    FINISHED,
    OPEN,
    PENDING,
    REACHED,
    RETRYING,
    RUNNING,
    SENDING,
    WAITING,
)

# Transaction-level advisory lock that serializes claims between workers.
CLAIM_LOCK_KEY = 0x416966_6C6F77  # "Aiflow"


def create_indexes(cr):
    # Few indexes on purpose: a state change adds an entry to every index
    # whose condition the new row meets, and a full resync changes each
    # row's state twice. The claim walks the due index in sending order and
    # stops after a few batches, whatever the length of the queue; the
    # others serve the hooks (open rows of a record), the dependency check,
    # expired claims and resync progress.
    for name, columns, where in (
        ("due", "priority, id", SQL("state IN %s", DUE)),
        ("lease", "claimed_at", SQL("state = %s", SENDING)),
        ("open_key", "endpoint, record_key", SQL("state IN %s", OPEN)),
        ("record", "res_id, res_model, endpoint", None),
        ("resync", "resync_token", SQL("resync_token IS NOT NULL")),
    ):
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON aiflow_outbox (%s)%s",
                SQL.identifier(f"aiflow_outbox_{name}_idx"),
                SQL(columns),
                SQL(" WHERE %s", where) if where else SQL(),
            )
        )


# -- enqueueing ----------------------------------------------------------------


def lock_waiting_live_rows(cr, endpoint, res_model, res_ids):
    """[(id, res_id, state)] of the live rows a change may join, locked."""
    cr.execute(
        SQL(
            """
            SELECT id, res_id, state FROM aiflow_outbox
             WHERE endpoint = %s AND res_model = %s AND mode = 'live'
               AND res_id IN %s AND state IN %s
             ORDER BY id
               FOR NO KEY UPDATE
            """,
            endpoint,
            res_model,
            tuple(res_ids),
            WAITING,
        ),
        log_exceptions=False,
    )
    return cr.fetchall()


def join_waiting_rows(cr, params):
    """Rows already waiting for the records ``params["source"]`` selects
    join a bulk queueing (a dead one starts over); returns their count."""
    cr.execute(
        SQL(
            """
            UPDATE aiflow_outbox row
               SET write_date = %(now)s, write_uid = %(uid)s,
                   record_key = src.key,
                   attempts = CASE WHEN row.state = %(dead)s THEN 0 ELSE row.attempts END,
                   next_attempt_at = CASE WHEN row.state = %(dead)s THEN %(now)s
                                          ELSE row.next_attempt_at END,
                   last_error = CASE WHEN row.state = %(dead)s THEN NULL ELSE row.last_error END,
                   state = CASE WHEN row.state = %(dead)s THEN %(pending)s ELSE row.state END
              FROM (%(source)s) src
             WHERE row.endpoint = %(endpoint)s AND row.res_model = %(model)s
               AND row.mode = 'live' AND row.res_id = src.id
               AND row.state IN %(waiting)s
            """,
            dead=DEAD,
            pending=PENDING,
            waiting=WAITING,
            **params,
        )
    )
    return cr.rowcount


def insert_missing_rows(cr, params):
    """New live rows for the records ``params["source"]`` selects that have
    none waiting; returns their count.

    write_uid stays empty until the worker settles the row (then: who
    delivered it). Each user column is a foreign key, checked per row and
    per changed value: naming the user here too meant, when an admin queues
    and the cron's OdooBot delivers, three checks per row instead of two
    (about 3 us each: 0.13 s of this statement's 0.25 s for 22,002 rows
    went to the two checks at insert)."""
    cr.execute(
        SQL(
            """
            INSERT INTO aiflow_outbox
                   (endpoint, mode, res_model, res_id, record_key, record_name, priority,
                    state, attempts, next_attempt_at,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(endpoint)s, 'live', %(model)s, src.id, src.key, src.name, %(priority)s,
                   %(pending)s, 0, %(now)s, %(uid)s, %(now)s, NULL, %(now)s
              FROM (%(source)s) src
             WHERE NOT EXISTS (
                    SELECT 1 FROM aiflow_outbox row
                     WHERE row.endpoint = %(endpoint)s AND row.res_model = %(model)s
                       AND row.mode = 'live' AND row.res_id = src.id
                       AND row.state IN %(waiting)s)
            """,
            pending=PENDING,
            waiting=WAITING,
            **params,
        )
    )
    return cr.rowcount


def analyze(cr):
    # Without fresh statistics the planner takes the grown table for the
    # small one it knew and joins the worker's per-batch UPDATEs by scanning
    # it for every row (measured: 0.2-0.9 s per batch after queueing 22,000).
    cr.execute("ANALYZE aiflow_outbox")


# -- what the records' forms and hooks ask --------------------------------------


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


# -- the full resync ------------------------------------------------------------


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


def adopt_waiting_rows(cr, token, endpoint, res_model, res_ids, now):
    """The live rows waiting for ``res_ids`` are claimed by the full resync
    ``token``, which settles them when it sends their records (a dead one
    starts over); returns their count."""
    cr.execute(
        SQL(
            """
            UPDATE aiflow_outbox
               SET state = %(sending)s, claim_token = %(token)s, claimed_at = %(now)s,
                   resync_token = %(token)s, write_date = %(now)s,
                   attempts = CASE WHEN state = %(dead)s THEN 0 ELSE attempts END
             WHERE endpoint = %(endpoint)s AND res_model = %(model)s AND mode = 'live'
               AND res_id = ANY(%(ids)s) AND state IN %(waiting)s
            """,
            sending=SENDING,
            dead=DEAD,
            waiting=WAITING,
            token=token,
            now=now,
            endpoint=endpoint,
            model=res_model,
            ids=list(res_ids),
        )
    )
    return cr.rowcount


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
            (DEAD, PENDING, RETRYING),
        )
    )
    return set(cr.fetchall())


def insert_outcomes(cr, token, source, rows, now, uid):
    """Write the rows of records the full resync ``token`` sent, each with its
    outcome (:class:`..resync.Written`), in one statement. The rows travel
    as one JSON text: adapted value by value, nine arrays of a batch held
    the worker's process (and its other threads) longer than the call."""
    values = json.dumps(
        [
            (
                r.res_id,
                r.key,
                r.name,
                o.state,
                o.error,
                o.request,
                o.response,
                o.next_at and o.next_at.isoformat(sep=" "),
                o.sent,
            )
            for r, o in ((r, r.outcome) for r in rows)
        ],
        ensure_ascii=False,
    )
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
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM jsonb_array_elements(%(values)s::jsonb) AS v
            """,
            endpoint=source.endpoint,
            model=source.model,
            priority=source.row_priority("live"),
            token=token,
            now=now,
            uid=uid,
            done=DONE,
            values=values,
        )
    )


# -- the worker -----------------------------------------------------------------


def lock_claims(cr):
    """One claim at a time, each seeing the claims committed before it."""
    cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", CLAIM_LOCK_KEY))


def release_lapsed_claims(cr, now, stale):
    """Rows claimed before ``stale`` go back to the queue: their worker is
    presumed dead."""
    cr.execute(
        SQL(
            """
            UPDATE aiflow_outbox
               SET state = %s, claimed_at = NULL, claim_token = NULL, write_date = %s
             WHERE state = %s AND claimed_at < %s
            """,
            PENDING,
            now,
            SENDING,
            stale,
        )
    )


def renew_claims(cr, token, now):
    """The rows still claimed by ``token`` count as claimed at ``now``."""
    cr.execute(
        SQL(
            "UPDATE aiflow_outbox SET claimed_at = %s WHERE claim_token = %s",
            now,
            token,
        )
    )


CLAIMED_COLUMNS = "id endpoint mode res_model res_id record_key payload attempts"


def claim(cr, now, token, limit, skip):
    """Mark up to ``limit`` due rows as sent by ``token``, in sending order;
    returns their ``CLAIMED_COLUMNS``. A row whose record another worker is
    sending waits for that answer: sent at the same time, the older payload
    could reach aiflow last and undo the newer one. The records being sent
    are hashed once (NOT IN): looked up per candidate, the planner scanned
    every row being sent for each (4,000 sent: 1.6 s per claim, not 0.05 s)."""
    cr.execute(
        SQL(
            """
            WITH claimable AS (
                SELECT id FROM aiflow_outbox row
                 WHERE state IN %(due)s AND next_attempt_at <= %(now)s
                   AND NOT (id = ANY(%(skip)s))
                   AND (row.record_key IS NULL
                        OR (row.endpoint, row.record_key) NOT IN (
                            SELECT other.endpoint, other.record_key FROM aiflow_outbox other
                             WHERE other.state = %(sending)s AND other.record_key IS NOT NULL))
                 ORDER BY priority, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
            )
            UPDATE aiflow_outbox row
               SET state = %(sending)s, claimed_at = %(now)s, claim_token = %(token)s,
                   write_date = %(now)s
             WHERE row.id = ANY(ARRAY(SELECT id FROM claimable))
         RETURNING row.id, row.endpoint, row.mode, row.res_model, row.res_id,
                   row.record_key, row.payload, row.attempts
            """,
            due=DUE,
            sending=SENDING,
            now=now,
            skip=list(skip),
            limit=limit,
            token=token,
        )
    )
    return cr.fetchall()


def settle(cr, token, outcomes, now, uid):
    """Record ``outcomes`` (:class:`..claims.Outcome`) in one statement.
    Only rows still claimed by ``token`` change: a row whose lease ran out
    was claimed again and belongs to another worker now. The token alone is
    the test (every statement that ends a claim clears it): testing the state
    as well led the planner to walk the lease index, which holds every
    claimed row, for each batch (8 ms instead of 1.5 ms per 100 rows with
    5,000 rows claimed)."""
    cr.execute(
        SQL(
            """
            UPDATE aiflow_outbox row
               SET state = v.state,
                   last_error = v.error,
                   request_body = COALESCE(v.request, row.request_body),
                   response_body = COALESCE(v.response, row.response_body),
                   next_attempt_at = COALESCE(v.next_at, row.next_attempt_at),
                   attempts = COALESCE(row.attempts, 0) + CASE WHEN v.sent THEN 1 ELSE 0 END,
                   sent_at = CASE WHEN v.sent THEN %(now)s ELSE row.sent_at END,
                   done_at = CASE WHEN v.state = %(done)s THEN %(now)s ELSE row.done_at END,
                   claimed_at = NULL, claim_token = NULL,
                   write_date = %(now)s, write_uid = %(uid)s
              FROM unnest(%(ids)s::int[], %(states)s::varchar[], %(errors)s::text[],
                          %(requests)s::text[], %(responses)s::text[],
                          %(next_at)s::timestamp[], %(sent)s::bool[])
                   AS v(id, state, error, request, response, next_at, sent)
             WHERE row.id = v.id AND row.claim_token = %(token)s
         RETURNING row.id
            """,
            now=now,
            uid=uid,
            token=token,
            done=DONE,
            ids=[o.row_id for o in outcomes],
            states=[o.state for o in outcomes],
            errors=[o.error for o in outcomes],
            requests=[o.request for o in outcomes],
            responses=[o.response for o in outcomes],
            next_at=[o.next_at for o in outcomes],
            sent=[o.sent for o in outcomes],
        )
    )
    return {row[0] for row in cr.fetchall()}


def release(cr, token, notes, now):
    """Claimed rows back to the queue, not sent. ``notes``: row id -> why it
    waits (None keeps the previous note). Matched by token alone, as in
    :func:`settle`."""
    ids = list(notes)
    cr.execute(
        SQL(
            """
            UPDATE aiflow_outbox row
               SET state = %s, claimed_at = NULL, claim_token = NULL,
                   last_error = COALESCE(v.note, row.last_error), write_date = %s
              FROM unnest(%s::int[], %s::text[]) AS v(id, note)
             WHERE row.id = v.id AND row.claim_token = %s
            """,
            PENDING,
            now,
            ids,
            [notes[i] for i in ids],
            token,
        )
    )


def open_keys(cr, token, endpoint, keys, exclude_ids):
    """[(key, sent by another worker now, lowest row id)] of those of
    ``keys`` with rows aiflow does not have yet, outside ``exclude_ids``."""
    cr.execute(
        SQL(
            """
            SELECT record_key,
                   bool_or(state = %s AND claim_token IS DISTINCT FROM %s),
                   min(id)
              FROM aiflow_outbox
             WHERE endpoint = %s AND record_key = ANY(%s)
               AND state IN %s AND NOT (id = ANY(%s))
          GROUP BY record_key
            """,
            SENDING,
            token,
            endpoint,
            list(keys),
            OPEN,
            list(exclude_ids),
        )
    )
    return cr.fetchall()


def next_retry_at(cr):
    """When the earliest retry is due (None without any)."""
    cr.execute(SQL("SELECT min(next_attempt_at) FROM aiflow_outbox WHERE state = %s", RETRYING))
    return cr.fetchone()[0]


def vacuum(cr, before):
    """Remove finished rows last written before ``before``; returns their count."""
    cr.execute(
        SQL(
            "DELETE FROM aiflow_outbox WHERE state IN %s AND write_date < %s",
            FINISHED,
            before,
        )
    )
    return cr.rowcount


# -- tests and maintenance ------------------------------------------------------


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
