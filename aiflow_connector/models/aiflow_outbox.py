# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The transactional outbox: every call Odoo makes to aiflow goes through it.

A change writes a row in the user's own transaction (a rollback leaves
nothing, a commit guarantees delivery); a cron, triggered when that
transaction commits, claims rows with ``FOR UPDATE SKIP LOCKED``, builds the
payloads from the current records, and sends them with no user transaction
open across the HTTP call.

Two kinds of rows:

* ``live``: the payload is built at send time by the source model's
  ``_aiflow_outbox_payloads(endpoint, res_ids)``, so many changes to one
  record make one call (one open row per endpoint and record);
* ``fixed``: the payload was stored when the row was written (a record
  that is deleted, an old code to disable, or any one-shot call).
"""

import functools
import json
import logging
import random
import threading
import time
import uuid
from collections import defaultdict, namedtuple
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg2.errors
import psycopg2.sql

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..protocol import org_payloads
from ..protocol.errors import AiflowError, PayloadError
from ..protocol.schema import ENDPOINTS, validate, validate_item

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "aiflow_connector."
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 1000
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_VACUUM_DAYS = 30
# A row stays claimed this long; after it, a worker that died is presumed
# dead and its rows are claimed again.  Longer than a few batches' worst
# case (connect + read timeout each).
CLAIM_LEASE = timedelta(minutes=10)
# Rows claimed at once: a few batches, so a lease comfortably covers them.
CLAIM_BATCHES = 5
# Rows left waiting for a record another worker was sending are looked at
# again this much later.
IN_FLIGHT_RECHECK = timedelta(seconds=10)
# Transaction-level advisory lock that serializes claims between workers.
CLAIM_LOCK_KEY = 0x416966_6C6F77  # "Aiflow"
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
# One cron run stops after this long and asks for another, so other cron
# jobs get their turn, and well before Odoo's limit_time_real (120 s by
# default) would kill a cron worker in multi-process mode.
RUN_TIME_BUDGET = 60

OPEN_STATES = ("pending", "retrying", "sending", "dead")
# Rows the console may queue again.
RETRYABLE_STATES = ("pending", "retrying", "dead")

# Ordering: departments before users; disabling old/deleted records last, so
# every child has been pointed elsewhere before its old parent goes away.
PRIORITY = {
    ("department_sync", "live"): 10,
    ("user_sync", "live"): 20,
    ("user_sync", "fixed"): 30,
    ("department_sync", "fixed"): 40,
}
DEFAULT_PRIORITY = 50


# A bulk queueing this large refreshes the table's planner statistics.
BULK_ANALYZE_ROWS = 1000


def retry_delay(attempts, rand=random.random):
    """Seconds before the next try after ``attempts`` failed ones: exponential
    (30 s, 60 s, 120 s ... capped at one hour) with +-50 % jitter so that
    workers that failed together do not come back together."""
    base = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    return base * (0.5 + rand())


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
                with _notify_connection.cursor() as cursor:
                    cursor.execute(query, (dbname,))
                return
            except psycopg2.Error:
                # A connection that broke (server restart): one new try.
                if _notify_connection is not None:
                    _notify_connection.close()
                _notify_connection = None
        _logger.warning("aiflow outbox: could not wake the cron workers of %s", dbname)


def _json(value):
    return json.dumps(value, ensure_ascii=False)


# A claimed outbox row, as the worker needs it (no ORM record per row).
ClaimedRow = namedtuple("ClaimedRow", "id endpoint mode res_model res_id payload priority attempts")


def _auto_commit(env):
    # Tests run inside one transaction that must not be committed.
    return not getattr(threading.current_thread(), "testing", False) or env.context.get(
        "aiflow_outbox_commit"
    )


class AiflowOutbox(models.Model):
    _name = "aiflow.outbox"
    _description = "aiflow Sync Queue"
    _order = "id desc"
    _rec_name = "record_key"

    endpoint = fields.Selection(
        selection=[
            ("department_sync", "Department sync"),
            ("user_sync", "User sync"),
            ("flow_create_third_party", "Third-party flow definition"),
            ("flow_online_third_party", "Third-party flow online"),
            ("order_task_sync", "Order and task sync"),
            ("flow_create", "Flow definition"),
            ("flow_update", "Flow update"),
            ("flow_publish", "Flow publication"),
            ("form_sync", "Form sync"),
            ("approval_log_sync", "Approval log sync"),
        ],
        string="Kind",
        required=True,
        readonly=True,
    )
    mode = fields.Selection(
        [("live", "Current record"), ("fixed", "Stored payload")],
        required=True,
        default="live",
        readonly=True,
        help="Current record: the payload is built from the record when it is "
        "sent. Stored payload: the payload was kept when the row was written "
        "(a deleted record, an old code to disable).",
    )
    res_model = fields.Char(string="Model", readonly=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", readonly=True)
    record_key = fields.Char(
        string="aiflow ID",
        readonly=True,
        help="The id aiflow knows the record by (its aiflow code).",
    )
    record_name = fields.Char(string="Record", readonly=True)
    record_ref = fields.Reference(
        selection="_selection_record_ref",
        string="Odoo record",
        compute="_compute_record_ref",
    )
    payload = fields.Text(readonly=True, help="Stored payload of a fixed row.")
    priority = fields.Integer(default=DEFAULT_PRIORITY, readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sending", "Sending"),
            ("done", "Done"),
            ("retrying", "Retrying"),
            ("dead", "Dead"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="pending",
        readonly=True,
    )
    attempts = fields.Integer(default=0, readonly=True)
    next_attempt_at = fields.Datetime(
        string="Next attempt", default=fields.Datetime.now, readonly=True
    )
    claimed_at = fields.Datetime(readonly=True)
    claim_token = fields.Char(readonly=True, copy=False)
    sent_at = fields.Datetime(string="Last sent", readonly=True)
    done_at = fields.Datetime(string="Delivered", readonly=True)
    last_error = fields.Text(readonly=True)
    request_body = fields.Text(
        string="Request sent",
        readonly=True,
        help="What was sent for this record (its element of the batch).",
    )
    response_body = fields.Text(string="Response", readonly=True)
    resync_token = fields.Char(readonly=True, copy=False)

    def init(self):
        # Few indexes on purpose: a state change adds an entry to every index
        # whose condition the new row meets, and a full resync changes each
        # row's state twice. The claim scans only the rows a worker may take;
        # the others serve the hooks (open rows of a record), the dependency
        # check, expired claims and resync progress.
        # The claim walks this index in sending order and stops after a few
        # batches, whatever the length of the queue; a claimed row leaves it.
        self.env.cr.execute("DROP INDEX IF EXISTS aiflow_outbox_claim_idx")
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_due_idx
                ON aiflow_outbox (priority, id)
             WHERE state IN ('pending', 'retrying')
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_lease_idx
                ON aiflow_outbox (claimed_at) WHERE state = 'sending'
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_open_key_idx
                ON aiflow_outbox (endpoint, record_key)
             WHERE state IN ('pending', 'retrying', 'sending', 'dead')
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_record_idx
                ON aiflow_outbox (res_id, res_model, endpoint)
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_resync_idx
                ON aiflow_outbox (resync_token) WHERE resync_token IS NOT NULL
            """
        )

    @api.model
    def _selection_record_ref(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for row in self:
            if (
                row.res_model in self.env
                and row.res_id
                and self.env[row.res_model].browse(row.res_id).exists()
            ):
                row.record_ref = f"{row.res_model},{row.res_id}"
            else:
                row.record_ref = False

    @api.depends("endpoint", "record_key", "record_name")
    def _compute_display_name(self):
        labels = dict(self._fields["endpoint"]._description_selection(self.env))
        for row in self:
            row.display_name = " ".join(
                part for part in (labels.get(row.endpoint), row.record_key, row.record_name) if part
            )

    # ------------------------------------------------------------------
    # settings

    @api.model
    def _aiflow_outbox_settings(self):
        params = self.env["ir.config_parameter"].sudo()

        def number(name, default, highest=None):
            # Settings refuse bad values; a system parameter edited by hand
            # falls back to the default or the highest allowed.
            try:
                value = int(params.get_param(PARAM_PREFIX + name) or default)
            except ValueError:
                return default
            if value <= 0:
                return default
            return min(value, highest) if highest else value

        return {
            "sync_enabled": self.env["aiflow.connection"]._aiflow_settings()["sync_enabled"],
            "batch_size": number("sync_batch_size", DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE),
            "max_attempts": number("sync_max_attempts", DEFAULT_MAX_ATTEMPTS),
            "vacuum_days": number("outbox_vacuum_days", DEFAULT_VACUUM_DAYS),
        }

    # ------------------------------------------------------------------
    # enqueueing (in the caller's transaction)

    @api.model
    def _aiflow_enqueue(self, endpoint, records):
        """Queue a live row per record of ``records`` for ``endpoint``.

        The rows are written just before the caller's transaction commits
        (precommit), so twenty writes to one record cost one row, and a
        savepoint rolled back takes its changes with it.
        """
        if not records:
            return
        pending = self._aiflow_precommit_data()
        pending["live"].setdefault((endpoint, records._name), set()).update(records.ids)

    @api.model
    def _aiflow_enqueue_fixed(self, endpoint, entries, res_model=None):
        """Queue stored payloads: ``entries`` are ``(res_id, key, name, payload)``."""
        if not entries:
            return
        pending = self._aiflow_precommit_data()
        pending["fixed"].extend(
            (endpoint, res_model, res_id, key, name, payload)
            for res_id, key, name, payload in entries
        )

    @api.model
    def _aiflow_precommit_data(self):
        precommit = self.env.cr.precommit
        pending = precommit.data.get("aiflow.outbox")
        if pending is None:
            pending = precommit.data["aiflow.outbox"] = {"live": {}, "fixed": []}
            precommit.add(self._aiflow_flush_enqueued)
        return pending

    @api.model
    def _aiflow_flush_enqueued(self):
        pending = self.env.cr.precommit.data.pop("aiflow.outbox", None)
        if not pending:
            return
        outbox = self.sudo().with_context(active_test=False, tracking_disable=True)
        wrote = False
        for (endpoint, res_model), ids in pending["live"].items():
            wrote |= outbox._aiflow_write_live_rows(endpoint, res_model, ids)
        if pending["fixed"]:
            outbox.create(
                [
                    {
                        "endpoint": endpoint,
                        "mode": "fixed",
                        "res_model": res_model,
                        "res_id": res_id or False,
                        "record_key": key,
                        "record_name": name,
                        "payload": json.dumps(payload, ensure_ascii=False),
                        "priority": PRIORITY.get((endpoint, "fixed"), DEFAULT_PRIORITY),
                    }
                    for endpoint, res_model, res_id, key, name, payload in pending["fixed"]
                ]
            )
            wrote = True
        if wrote:
            self._aiflow_trigger_worker()

    def _aiflow_write_live_rows(self, endpoint, res_model, ids):
        """One open live row per record: re-arm the existing one, else create."""
        source = self.env[res_model].with_context(active_test=False)
        keys = source.browse(list(ids))._aiflow_outbox_keys(endpoint)
        if not keys:
            return False
        found = []
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        """
                        SELECT id, res_id, state FROM aiflow_outbox
                         WHERE endpoint = %s AND res_model = %s AND mode = 'live'
                           AND res_id IN %s AND state IN ('pending', 'retrying', 'dead')
                         ORDER BY id
                           FOR NO KEY UPDATE
                        """,
                        endpoint,
                        res_model,
                        tuple(keys),
                    ),
                    log_exceptions=False,
                )
                found = self.env.cr.fetchall()
        except psycopg2.errors.SerializationFailure:
            # A worker claimed one of them after this transaction began (the
            # user's transaction is REPEATABLE READ): new rows carry the change
            # rather than failing the user's save.
            found = []
        existing = {}
        for row_id, res_id, state in found:
            existing.setdefault(res_id, (row_id, state))
        now = fields.Datetime.now()
        to_create = []
        for res_id, (key, name) in keys.items():
            if res_id in existing:
                row_id, state = existing[res_id]
                values = {"record_key": key, "record_name": name}
                if state == "dead":
                    # A new change may well be the fix: start over.
                    values.update(
                        state="pending", attempts=0, next_attempt_at=now, last_error=False
                    )
                self.browse(row_id).write(values)
            else:
                to_create.append(
                    {
                        "endpoint": endpoint,
                        "mode": "live",
                        "res_model": res_model,
                        "res_id": res_id,
                        "record_key": key,
                        "record_name": name,
                        "next_attempt_at": now,
                        "priority": PRIORITY.get((endpoint, "live"), DEFAULT_PRIORITY),
                    }
                )
        if to_create:
            self.create(to_create)
        return True

    @api.model
    def _aiflow_enqueue_query(self, endpoint, res_model, source, resync_token=None):
        """Queue live rows in bulk for the records ``source`` selects
        (``SELECT id, key, name``): a full resync of thousands of records
        without loading them. Rows already waiting join instead (a dead one
        starts over). Returns the number of rows queued or joined."""
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now()
        params = {
            "source": source,
            "endpoint": endpoint,
            "model": res_model,
            "token": resync_token,
            "now": now,
            "uid": self.env.uid,
            "priority": PRIORITY.get((endpoint, "live"), DEFAULT_PRIORITY),
        }
        cr.execute(
            SQL(
                """
                UPDATE aiflow_outbox row
                   SET resync_token = %(token)s, write_date = %(now)s, write_uid = %(uid)s,
                       record_key = src.key,
                       attempts = CASE WHEN row.state = 'dead' THEN 0 ELSE row.attempts END,
                       next_attempt_at = CASE WHEN row.state = 'dead' THEN %(now)s
                                              ELSE row.next_attempt_at END,
                       last_error = CASE WHEN row.state = 'dead' THEN NULL ELSE row.last_error END,
                       state = CASE WHEN row.state = 'dead' THEN 'pending' ELSE row.state END
                  FROM (%(source)s) src
                 WHERE row.endpoint = %(endpoint)s AND row.res_model = %(model)s
                   AND row.mode = 'live' AND row.res_id = src.id
                   AND row.state IN ('pending', 'retrying', 'dead')
                """,
                **params,
            )
        )
        joined = cr.rowcount
        cr.execute(
            SQL(
                """
                INSERT INTO aiflow_outbox
                       (endpoint, mode, res_model, res_id, record_key, record_name, priority,
                        state, attempts, next_attempt_at, resync_token,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(endpoint)s, 'live', %(model)s, src.id, src.key, src.name, %(priority)s,
                       'pending', 0, %(now)s, %(token)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (%(source)s) src
                 WHERE NOT EXISTS (
                        SELECT 1 FROM aiflow_outbox row
                         WHERE row.endpoint = %(endpoint)s AND row.res_model = %(model)s
                           AND row.mode = 'live' AND row.res_id = src.id
                           AND row.state IN ('pending', 'retrying', 'dead'))
                """,
                **params,
            )
        )
        inserted = cr.rowcount
        if inserted >= BULK_ANALYZE_ROWS:
            # Without fresh statistics the planner takes the grown table for
            # the small one it knew and joins the worker's per-batch UPDATEs
            # by scanning it for every row (measured: 0.2-0.9 s per batch of
            # 100-500 rows after queueing 22,000).
            cr.execute("ANALYZE aiflow_outbox")
        self.invalidate_model()
        return joined + inserted

    @api.model
    def _aiflow_forget_live(self, endpoint, records):
        """Drop the live rows of ``records`` (about to be deleted) that were
        not sent yet: their stored payload replaces them."""
        pending = self.env.cr.precommit.data.get("aiflow.outbox")
        if pending:
            pending["live"].get((endpoint, records._name), set()).difference_update(records.ids)
        self.sudo().search(
            [
                ("endpoint", "=", endpoint),
                ("mode", "=", "live"),
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
                ("state", "in", ("pending", "retrying", "dead")),
            ]
        ).write(
            {
                "state": "cancelled",
                "last_error": self.env._("Replaced by the deletion of the record."),
            }
        )

    @api.model
    def _aiflow_trigger_worker(self):
        """Have the delivery cron run as soon as this transaction commits.

        What ``ir.cron._trigger()`` does, made cheap enough for every save: a
        trigger row, then a NOTIFY that wakes the cron workers, sent on a
        connection kept open (core opens a new one to the ``postgres``
        database for each NOTIFY, which costs more than the save itself).
        """
        if not self._aiflow_outbox_settings()["sync_enabled"]:
            return  # rows wait; enabling sync triggers the worker
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox", raise_if_not_found=False)
        if not cron or not cron.sudo().active:
            return
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO ir_cron_trigger
                       (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, %s, %s, %s, %s)
                """,
                cron.id,
                now,
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
        )
        self.env.cr.postcommit.add(functools.partial(notify_cron_workers, self.env.cr.dbname))

    # ------------------------------------------------------------------
    # the worker
    #
    # It handles rows as plain tuples and records outcomes with one UPDATE per
    # batch: a full resync moves tens of thousands of rows, and per-row ORM
    # writes would cost more than the HTTP calls themselves.

    @api.model
    def _cron_deliver(self):
        self._aiflow_deliver()

    @api.model
    def _aiflow_deliver(self, time_budget=RUN_TIME_BUDGET, settings=None, client=None):
        """Send what is due; returns counters (requests, sent, done, failed,
        retrying, waiting). ``settings`` / ``client`` default to the saved
        configuration (scripts and tests may pass their own)."""
        stats = defaultdict(int)
        settings = settings or self._aiflow_outbox_settings()
        if not settings["sync_enabled"]:
            return dict(stats)
        own_client = client is None
        client = client or self.env["aiflow.connection"]._aiflow_client()
        deadline = time.monotonic() + time_budget
        settings = dict(settings, deadline=deadline)
        self = self.sudo()
        stopped = out_of_time = False
        try:
            # A child that had to wait for a parent claimed later in this run
            # gets another pass once something was delivered.
            while not (stopped or out_of_time):
                delivered_before = stats["done"]
                skip = set()
                while True:
                    if time.monotonic() > deadline:
                        out_of_time = True
                        break
                    token, rows = self._aiflow_claim(settings["batch_size"] * CLAIM_BATCHES, skip)
                    if not rows:
                        break
                    stats["claims"] += 1
                    stopped, waited = self._aiflow_send(token, rows, client, settings, stats)
                    skip.update(waited)
                    if stopped:
                        break
                if not skip or stats["done"] == delivered_before:
                    break
        finally:
            if own_client:
                client.close()
        self._aiflow_schedule_next(
            out_of_time or time.monotonic() > deadline, bool(stats["waiting_in_flight"])
        )
        return dict(stats)

    def _aiflow_commit(self):
        # The worker runs in its own cron transaction, never a user's: a claim
        # must be visible to other workers before the HTTP call, and each
        # outcome must stay recorded whatever happens to the next batch.
        if _auto_commit(self.env):
            self.env.cr.commit()  # pylint: disable=invalid-commit
        else:
            self.env.flush_all()

    @api.model
    def _aiflow_claim(self, limit, skip=()):
        """Claim due rows (and rows whose claim outlived its lease); returns
        (claim token, rows as :class:`ClaimedRow`), committed before any call."""
        token = uuid.uuid4().hex
        if _auto_commit(self.env):
            # Odoo's transactions are REPEATABLE READ, where locking a row that
            # another worker claimed (and committed) after our snapshot is a
            # serialization error; READ COMMITTED re-checks such a row and
            # skips it, which is what SKIP LOCKED claiming needs.
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            # One claim at a time, each seeing the claims committed before
            # it: two rows of one record never go to two workers at once.
            self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", CLAIM_LOCK_KEY))
        else:
            self.env.flush_all()
        now = fields.Datetime.now()
        # Rows whose claim outlived its lease go back to the queue: their
        # worker is presumed dead.
        self.env.cr.execute(
            SQL(
                """
                UPDATE aiflow_outbox
                   SET state = 'pending', claimed_at = NULL, claim_token = NULL,
                       write_date = %(now)s
                 WHERE state = 'sending' AND claimed_at < %(stale)s
                """,
                now=now,
                stale=now - CLAIM_LEASE,
            )
        )
        # A row whose record another worker is sending waits for that answer:
        # sent at the same time, the older payload could reach aiflow last
        # and undo the newer one. (A lapsed claim was released just above: it
        # is claimed again with the newer row and both make one item.)
        self.env.cr.execute(
            SQL(
                """
                WITH claimable AS (
                    SELECT id FROM aiflow_outbox row
                     WHERE state IN ('pending', 'retrying') AND next_attempt_at <= %(now)s
                       AND NOT (id = ANY(%(skip)s))
                       AND NOT EXISTS (
                            SELECT 1 FROM aiflow_outbox other
                             WHERE other.endpoint = row.endpoint
                               AND other.record_key = row.record_key
                               AND other.state = 'sending')
                     ORDER BY priority, id
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                )
                UPDATE aiflow_outbox row
                   SET state = 'sending', claimed_at = %(now)s, claim_token = %(token)s,
                       write_date = %(now)s
                  FROM claimable
                 WHERE row.id = claimable.id
             RETURNING row.id, row.endpoint, row.mode, row.res_model, row.res_id,
                       row.payload, row.priority, row.attempts
                """,
                now=now,
                skip=list(skip),
                limit=limit,
                token=token,
            )
        )
        rows = sorted(
            (ClaimedRow(*values) for values in self.env.cr.fetchall()), key=lambda r: r.id
        )
        self.invalidate_model()
        # The claim is visible to other workers before any HTTP call starts.
        self._aiflow_commit()
        return token, rows

    def _aiflow_settle(self, token, outcomes):
        """Record outcomes of claimed rows in one statement. ``outcomes``:
        (id, state, last_error, request_body, response_body, next_attempt_at,
        sent). Only rows still claimed by ``token`` change: a row whose lease
        ran out was claimed again and belongs to another worker now."""
        if not outcomes:
            return set()
        now = fields.Datetime.now()
        columns = list(zip(*outcomes, strict=True))
        self.env.cr.execute(
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
                       done_at = CASE WHEN v.state = 'done' THEN %(now)s ELSE row.done_at END,
                       claimed_at = NULL, claim_token = NULL,
                       write_date = %(now)s, write_uid = %(uid)s
                  FROM unnest(%(ids)s::int[], %(states)s::varchar[], %(errors)s::text[],
                              %(requests)s::text[], %(responses)s::text[],
                              %(next_at)s::timestamp[], %(sent)s::bool[])
                       AS v(id, state, error, request, response, next_at, sent)
                 WHERE row.id = v.id AND row.claim_token = %(token)s AND row.state = 'sending'
             RETURNING row.id
                """,
                now=now,
                uid=self.env.uid,
                token=token,
                ids=list(columns[0]),
                states=list(columns[1]),
                errors=list(columns[2]),
                requests=list(columns[3]),
                responses=list(columns[4]),
                next_at=list(columns[5]),
                sent=list(columns[6]),
            )
        )
        settled = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_model()
        return settled

    def _aiflow_release(self, token, notes):
        """Back to the queue, not sent, so no attempt is counted. ``notes``:
        row id -> why it waits (None keeps the previous note)."""
        if not notes:
            return
        ids = list(notes)
        self.env.cr.execute(
            SQL(
                """
                UPDATE aiflow_outbox row
                   SET state = 'pending', claimed_at = NULL, claim_token = NULL,
                       last_error = COALESCE(v.note, row.last_error), write_date = %s
                  FROM unnest(%s::int[], %s::text[]) AS v(id, note)
                 WHERE row.id = v.id AND row.claim_token = %s AND row.state = 'sending'
                """,
                fields.Datetime.now(),
                ids,
                [notes[i] for i in ids],
                token,
            )
        )
        self.invalidate_model()

    def _aiflow_send(self, token, rows, client, settings, stats):
        """Send claimed ``rows``; returns (stopped, ids left waiting)."""
        waited = set()
        groups = defaultdict(list)
        for row in rows:
            groups[(row.priority, row.endpoint)].append(row)
        order = sorted(groups)
        for position, key in enumerate(order):
            stopped, group_waited = self._aiflow_send_group(
                token, key[1], groups[key], client, settings, stats
            )
            waited.update(group_waited)
            if stopped:
                later = [row.id for k in order[position + 1 :] for row in groups[k]]
                self._aiflow_release(token, dict.fromkeys(later))
                self._aiflow_commit()
                return True, waited
        return False, waited

    def _aiflow_items(self, endpoint, rows):
        """row id -> item to send, or None when there is nothing to send."""
        items = {}
        live = defaultdict(list)
        for row in rows:
            if row.mode == "fixed":
                items[row.id] = json.loads(row.payload)
            else:
                live[row.res_model].append(row)
        for res_model, model_rows in live.items():
            built = (
                self.env[res_model]
                .with_context(active_test=False)
                ._aiflow_outbox_payloads(endpoint, list({row.res_id for row in model_rows}))
            )
            for row in model_rows:
                items[row.id] = built.get(row.res_id)
        return items

    def _aiflow_blocked(self, token, endpoint, items, group_ids):
        """(endpoint, key) pairs the items depend on that have open rows
        outside this group: aiflow does not have them yet. Also returns those
        another worker is sending right now."""
        needed = defaultdict(set)
        for item in items:
            for dep_endpoint, key in org_payloads.dependencies(endpoint, item):
                needed[dep_endpoint].add(key)
        blocked, in_flight = set(), set()
        for dep_endpoint, keys in needed.items():
            self.env.cr.execute(
                SQL(
                    """
                    SELECT record_key,
                           bool_or(state = 'sending' AND claim_token IS DISTINCT FROM %s)
                      FROM aiflow_outbox
                     WHERE endpoint = %s AND mode = 'live' AND record_key = ANY(%s)
                       AND state IN %s AND NOT (id = ANY(%s))
                  GROUP BY record_key
                    """,
                    token,
                    dep_endpoint,
                    list(keys),
                    OPEN_STATES,
                    list(group_ids),
                )
            )
            for key, sending_elsewhere in self.env.cr.fetchall():
                blocked.add((dep_endpoint, key))
                if sending_elsewhere:
                    in_flight.add((dep_endpoint, key))
        return blocked, in_flight

    def _aiflow_waiting_note(self, key):
        return self.env._("Waiting for %(key)s to reach aiflow first.", key=key)

    def _aiflow_send_group(self, token, endpoint, rows, client, settings, stats):
        """Send rows of one endpoint and priority, parents first, in batches;
        returns (stopped, ids left waiting)."""
        items = self._aiflow_items(endpoint, rows)
        outcomes = []
        nothing_note = self.env._(
            "Nothing to send: the record is gone or outside the synchronised "
            "scope, and aiflow never received it."
        )
        entries = []
        for row in rows:
            item = items[row.id]
            if item is None:
                outcomes.append((row.id, "done", nothing_note, None, None, None, False))
                continue
            try:
                if ENDPOINTS[endpoint].list_field:
                    validate_item(endpoint, item, 0)
                else:
                    validate(endpoint, item)
            except PayloadError as exc:
                message = self.env._(
                    "The payload breaks the aiflow specification: %(error)s", error=str(exc)
                )
                outcomes.append((row.id, "dead", message, _json(item), None, None, False))
                stats["failed"] += 1
                continue
            entries.append((row.id, item))
        blocked, in_flight = self._aiflow_blocked(
            token, endpoint, [item for _id, item in entries], [r.id for r in rows]
        )
        plan = org_payloads.plan(endpoint, entries, blocked)
        for row_id, message in plan.invalid.items():
            outcomes.append((row_id, "dead", message, _json(items[row_id]), None, None, False))
            stats["failed"] += 1
        self._aiflow_settle(token, outcomes)
        waiting = {
            row_id: self._aiflow_waiting_note(dep[1]) for row_id, dep in plan.waiting.items()
        }
        self._aiflow_release(token, waiting)
        stats["waiting"] += len(waiting)
        # Waiting for a record another worker is sending: that worker may
        # have finished its run before these rows went back to the queue.
        stats["waiting_in_flight"] += sum(dep in in_flight for dep in plan.waiting.values())
        self._aiflow_commit()

        attempts = {row.id: row.attempts or 0 for row in rows}
        waited = set(waiting)
        if not ENDPOINTS[endpoint].list_field:
            for position, row_id in enumerate(plan.ordered):
                if self._aiflow_call(
                    token, endpoint, [row_id], items, attempts, client, settings, stats
                ):
                    self._aiflow_release(token, dict.fromkeys(plan.ordered[position + 1 :]))
                    self._aiflow_commit()
                    return True, waited
            return False, waited

        # Parents before children; a record below one refused in this run
        # waits instead of being sent and refused in turn.
        failed_keys = {
            (endpoint, org_payloads.item_key(endpoint, items[row_id]))
            for row_id in list(plan.invalid) + list(plan.waiting)
        }
        queue = list(plan.ordered)
        # While aiflow works on one batch, the outcome of the previous one is
        # recorded: the HTTP call runs on a helper thread, the database work
        # stays on this one. A batch is sent only once the answer to the
        # previous one is known, so it never holds a child of a record that
        # answer refused.
        stopped = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiflow-http") as http:
            previous = None
            while queue or previous:
                outcomes = []
                if previous is not None:
                    call, row_ids, sent = previous
                    try:
                        data = call.result()
                    except AiflowError as exc:
                        self._aiflow_release(token, dict.fromkeys(queue))
                        self._aiflow_record_error(
                            token, exc, row_ids, items, attempts, settings, stats
                        )
                        return bool(exc.retryable), waited
                    outcomes, refused = self._aiflow_outcomes(endpoint, sent, data, stats)
                    failed_keys.update((endpoint, key) for key in refused)
                    previous = None
                if queue and time.monotonic() > settings.get("deadline", float("inf")):
                    # Out of time: the rest goes back to the queue for the
                    # next run, which is triggered right away.
                    self._aiflow_release(token, dict.fromkeys(queue))
                    queue = []
                    stopped = True
                batch = self._aiflow_next_batch(
                    token,
                    endpoint,
                    queue,
                    items,
                    failed_keys,
                    settings["batch_size"],
                    waited,
                    stats,
                )
                if batch:
                    sent = self._aiflow_group_items(endpoint, batch, items)
                    payload = {ENDPOINTS[endpoint].list_field: [item for item, _ids in sent]}
                    self._aiflow_commit()
                    stats["requests"] += 1
                    # Every item was validated on its own above (so that one
                    # bad record does not sink its batch); the envelope
                    # around them cannot be wrong.
                    previous = (
                        http.submit(client.call, endpoint, payload, check=False),
                        batch,
                        sent,
                    )
                self._aiflow_settle(token, outcomes)
                self._aiflow_commit()
        return stopped, waited

    def _aiflow_next_batch(self, token, endpoint, queue, items, failed_keys, size, waited, stats):
        """Take up to ``size`` row ids off ``queue`` (in place); rows under a
        record refused in this run are released to wait for it."""
        batch, held = [], {}
        while queue and len(batch) < size:
            row_id = queue.pop(0)
            item = items[row_id]
            blocker = next(
                (dep for dep in org_payloads.dependencies(endpoint, item) if dep in failed_keys),
                None,
            )
            if blocker is None:
                batch.append(row_id)
            else:
                failed_keys.add((endpoint, org_payloads.item_key(endpoint, item)))
                held[row_id] = self._aiflow_waiting_note(blocker[1])
        if held:
            self._aiflow_release(token, held)
            stats["waiting"] += len(held)
            waited.update(held)
        return batch

    @staticmethod
    def _aiflow_group_items(endpoint, row_ids, items):
        """[(item, row ids)]: two rows of one record (one claimed while the
        other was sending) make one item."""
        groups = {}
        for row_id in row_ids:
            key = org_payloads.item_key(endpoint, items[row_id]) or row_id
            groups.setdefault(key, []).append(row_id)
        return [(items[ids[0]], ids) for ids in groups.values()]

    def _aiflow_call(self, token, endpoint, row_ids, items, attempts, client, settings, stats):
        """One HTTP call for ``row_ids`` (the one payload of a non-list
        endpoint) and its outcome recorded. Returns True when the run must
        stop (aiflow unavailable)."""
        sent = self._aiflow_group_items(endpoint, row_ids, items)
        self._aiflow_commit()  # no transaction stays open across the call
        stats["requests"] += 1
        try:
            data = client.call(endpoint, sent[0][0])
        except AiflowError as exc:
            return self._aiflow_record_error(token, exc, row_ids, items, attempts, settings, stats)
        outcomes, _refused = self._aiflow_outcomes(endpoint, sent, data, stats)
        self._aiflow_settle(token, outcomes)
        self._aiflow_commit()
        return False

    def _aiflow_outcomes(self, endpoint, sent, data, stats):
        """Outcome rows for ``sent`` ([(item, row ids)]) from aiflow's answer
        ``data``, and the keys its ``failDetails`` refused."""
        endpoint_def = ENDPOINTS[endpoint]
        data = data if isinstance(data, dict) else {}
        details = data.get("failDetails") if endpoint_def.list_field else None
        by_index, by_id = {}, {}
        for detail in details or ():
            if isinstance(detail, dict):
                if isinstance(detail.get("index"), int) and not isinstance(detail["index"], bool):
                    by_index[detail["index"]] = detail
                elif detail.get("id") not in (None, ""):
                    by_id[str(detail["id"])] = detail
        if endpoint_def.list_field:
            summary = {k: data[k] for k in ("successCount", "failCount") if k in data}
            summary_text = _json(summary)
        else:
            summary = {}
            summary_text = _json(data)
        outcomes, refused = [], set()
        for index, (item, ids) in enumerate(sent):
            key = org_payloads.item_key(endpoint, item)
            detail = by_index.get(index) or by_id.get(str(key))
            request = _json(item)
            if detail:
                message = self.env._(
                    "aiflow refused this record: %(code)s %(message)s",
                    code=detail.get("errorCode") or "",
                    message=detail.get("errorMessage") or "",
                )
                response = _json(dict(summary, failDetail=detail))
                refused.add(key)
                outcomes.extend(
                    (row_id, "dead", message, request, response, None, True) for row_id in ids
                )
                stats["failed"] += len(ids)
            else:
                outcomes.extend(
                    (row_id, "done", None, request, summary_text, None, True) for row_id in ids
                )
                stats["done"] += len(ids)
        stats["sent"] += len(sent)
        return outcomes, refused

    def _aiflow_record_error(self, token, exc, row_ids, items, attempts, settings, stats):
        """The whole call failed: retry later, or dead-letter. True = stop the run."""
        now = fields.Datetime.now()
        message = self.env["aiflow.connection"]._aiflow_error_message(exc)
        response = {
            key: value
            for key, value in (
                ("httpStatus", exc.http_status),
                ("status", exc.status),
                ("msg", exc.msg),
                ("data", exc.data),
            )
            if value is not None
        }
        response_text = _json(response) if response else None
        outcomes = []
        for row_id in row_ids:
            tries = attempts[row_id] + 1
            request = _json(items[row_id])
            if exc.retryable and tries < settings["max_attempts"]:
                next_at = now + timedelta(seconds=retry_delay(tries))
                outcomes.append(
                    (row_id, "retrying", message, request, response_text, next_at, True)
                )
                stats["retrying"] += 1
            else:
                outcomes.append((row_id, "dead", message, request, response_text, None, True))
                stats["failed"] += 1
        self._aiflow_settle(token, outcomes)
        self._aiflow_commit()
        # aiflow being unreachable or overloaded: the next calls would fail
        # too, and rows sent after a failed parent would be refused.
        return bool(exc.retryable)

    @api.model
    def _aiflow_schedule_next(self, out_of_time, recheck=False):
        """Ask the cron to come back when the earliest retry is due (right
        away when out of time, soon when rows wait for another worker)."""
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox", raise_if_not_found=False)
        if not cron:
            return
        if out_of_time:
            cron.sudo()._trigger()
        elif recheck:
            cron.sudo()._trigger(fields.Datetime.now() + IN_FLIGHT_RECHECK)
        self.env.cr.execute(
            "SELECT min(next_attempt_at) FROM aiflow_outbox WHERE state = 'retrying'"
        )
        (next_retry,) = self.env.cr.fetchone()
        if next_retry:
            cron.sudo()._trigger(max(next_retry, fields.Datetime.now()))
        self._aiflow_commit()

    # ------------------------------------------------------------------
    # console actions

    def action_retry_now(self):
        # Delivered or cancelled rows stay as they are; a row being sent waits
        # for its outcome.
        rows = self.filtered(lambda row: row.state in RETRYABLE_STATES)
        rows._aiflow_requeue()
        return self.env["aiflow.outbox.retry.dead"]._aiflow_notification(
            len(rows), len(self) - len(rows)
        )

    def _aiflow_requeue(self):
        self.write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "last_error": False,
                "claim_token": False,
            }
        )
        if self:
            self._aiflow_trigger_worker()

    def action_cancel(self):
        if any(row.state == "sending" for row in self):
            raise UserError(
                self.env._("A row that is being sent cannot be cancelled; wait for its outcome.")
            )
        self.filtered(lambda row: row.state in ("pending", "retrying", "dead")).write(
            {"state": "cancelled", "claim_token": False}
        )
        return True

    def action_retry_all_dead(self):
        # The list's header button passes the selected rows, or none and the
        # list's current filter (active_domain); called from code with
        # neither, every dead row.
        if self:
            domain = [("id", "in", self.ids)]
        else:
            domain = self.env.context.get("active_domain") or []
        return self.env["aiflow.outbox.retry.dead"]._aiflow_retry_dead(domain)

    @api.model
    def _cron_vacuum(self):
        days = self._aiflow_outbox_settings()["vacuum_days"]
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            SQL(
                "DELETE FROM aiflow_outbox"
                " WHERE state IN ('done', 'cancelled') AND write_date < %s",
                limit,
            )
        )
        _logger.info("aiflow outbox: vacuumed %s delivered rows", self.env.cr.rowcount)
