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

import json
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..protocol import org_payloads
from ..protocol.errors import AiflowError, PayloadError
from ..protocol.schema import ENDPOINTS, validate, validate_item

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "aiflow_connector."
DEFAULT_BATCH_SIZE = 100
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_VACUUM_DAYS = 30
# A row stays claimed this long; after it, a worker that died is presumed
# dead and its rows are claimed again.  Longer than a few batches' worst
# case (connect + read timeout each).
CLAIM_LEASE = timedelta(minutes=10)
# Rows claimed at once: a few batches, so a lease comfortably covers them.
CLAIM_BATCHES = 5
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
# One cron run stops after this long and asks for another, so other cron
# jobs get their turn.
RUN_TIME_BUDGET = 240

OPEN_STATES = ("pending", "retrying", "sending", "dead")
WAITING_STATES = ("pending", "retrying")

# Ordering: departments before users; disabling old/deleted records last, so
# every child has been pointed elsewhere before its old parent goes away.
PRIORITY = {
    ("department_sync", "live"): 10,
    ("user_sync", "live"): 20,
    ("user_sync", "fixed"): 30,
    ("department_sync", "fixed"): 40,
}
DEFAULT_PRIORITY = 50


def retry_delay(attempts, rand=random.random):
    """Seconds before the next try after ``attempts`` failed ones: exponential
    (30 s, 60 s, 120 s ... capped at one hour) with +-50 % jitter so that
    workers that failed together do not come back together."""
    base = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    return base * (0.5 + rand())


def _json(value):
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False)


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
        index=True,
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
    res_model = fields.Char(string="Model", index=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", index=True, readonly=True
    )
    record_key = fields.Char(
        string="aiflow ID",
        index=True,
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
    priority = fields.Integer(default=DEFAULT_PRIORITY, readonly=True, index=True)
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
        index=True,
        readonly=True,
    )
    attempts = fields.Integer(readonly=True)
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
    resync_token = fields.Char(index=True, readonly=True, copy=False)

    def init(self):
        # The claim query scans only the rows a worker may take.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_claim_idx
                ON aiflow_outbox (priority, id)
             WHERE state IN ('pending', 'retrying', 'sending')
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS aiflow_outbox_open_key_idx
                ON aiflow_outbox (endpoint, record_key)
             WHERE state IN ('pending', 'retrying', 'sending', 'dead')
            """
        )

    @api.model
    def _selection_record_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])
        ]

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
                part
                for part in (labels.get(row.endpoint), row.record_key, row.record_name)
                if part
            )

    # ------------------------------------------------------------------
    # settings

    @api.model
    def _aiflow_outbox_settings(self):
        params = self.env["ir.config_parameter"].sudo()

        def number(name, default):
            try:
                value = int(params.get_param(PARAM_PREFIX + name) or default)
            except ValueError:
                return default
            return value if value > 0 else default

        return {
            "sync_enabled": self.env["aiflow.connection"]._aiflow_settings()[
                "sync_enabled"
            ],
            "batch_size": number("sync_batch_size", DEFAULT_BATCH_SIZE),
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
            )
        )
        existing = {}
        for row_id, res_id, state in self.env.cr.fetchall():
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
        self.invalidate_model()
        return joined + cr.rowcount

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
        if not self._aiflow_outbox_settings()["sync_enabled"]:
            return  # rows wait; enabling sync triggers the worker
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------
    # the worker

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
                    rows = self._aiflow_claim(settings["batch_size"] * CLAIM_BATCHES, skip)
                    if not rows:
                        break
                    stats["claims"] += 1
                    stopped, waited = rows._aiflow_send(client, settings, stats)
                    skip.update(waited)
                    if stopped:
                        break
                if not skip or stats["done"] == delivered_before:
                    break
        finally:
            if own_client:
                client.close()
        self._aiflow_schedule_next(out_of_time)
        return dict(stats)

    def _aiflow_commit(self):
        if _auto_commit(self.env):
            self.env.cr.commit()
        else:
            self.env.flush_all()

    @api.model
    def _aiflow_claim(self, limit, skip=()):
        now = fields.Datetime.now()
        token = uuid.uuid4().hex
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH claimable AS (
                    SELECT id FROM aiflow_outbox
                     WHERE ((state IN ('pending', 'retrying') AND next_attempt_at <= %(now)s)
                            OR (state = 'sending' AND claimed_at < %(stale)s))
                       AND NOT (id = ANY(%(skip)s))
                     ORDER BY priority, id
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                )
                UPDATE aiflow_outbox row
                   SET state = 'sending', claimed_at = %(now)s, claim_token = %(token)s,
                       write_date = %(now)s
                  FROM claimable
                 WHERE row.id = claimable.id
             RETURNING row.id
                """,
                now=now,
                stale=now - CLAIM_LEASE,
                skip=list(skip),
                limit=limit,
                token=token,
            )
        )
        ids = sorted(row[0] for row in self.env.cr.fetchall())
        self.invalidate_model()
        # The claim is visible to other workers before any HTTP call starts.
        self._aiflow_commit()
        return self.browse(ids).with_context(aiflow_claim_token=token)

    def _aiflow_mine(self):
        """Those of ``self`` still claimed by this worker (locked until commit):
        a row whose lease ran out and was claimed again is not ours to touch."""
        if not self:
            return self
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM aiflow_outbox
                 WHERE id IN %s AND state = 'sending' AND claim_token = %s
                   FOR NO KEY UPDATE
                """,
                tuple(self.ids),
                self.env.context.get("aiflow_claim_token"),
            )
        )
        mine = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_recordset()
        return self.filtered(lambda row: row.id in mine)

    def _aiflow_send(self, client, settings, stats):
        """Send the claimed rows ``self``; returns (stopped, ids left waiting)."""
        waited = set()
        groups = defaultdict(lambda: self.browse())
        for row in self:
            groups[(row.priority, row.endpoint)] |= row
        for position, (_priority, endpoint) in enumerate(sorted(groups)):
            rows = groups[(_priority, endpoint)]
            stopped, group_waited = rows._aiflow_send_group(endpoint, client, settings, stats)
            waited.update(group_waited)
            if stopped:
                rest = self.browse()
                for later in sorted(groups)[position + 1 :]:
                    rest |= groups[later]
                rest._aiflow_mine()._aiflow_release()
                self._aiflow_commit()
                return True, waited
        return False, waited

    def _aiflow_release(self, note=None):
        """Back to the queue, untouched: not sent, so no attempt is counted."""
        values = {"state": "pending", "claimed_at": False, "claim_token": False}
        if note is not None:
            values["last_error"] = note
        self.write(values)

    def _aiflow_items(self, endpoint):
        """token (row id) -> item to send, or None when there is nothing to send."""
        items = {}
        by_model = defaultdict(lambda: self.browse())
        for row in self:
            if row.mode == "fixed":
                items[row.id] = json.loads(row.payload)
            else:
                by_model[row.res_model] |= row
        for res_model, rows in by_model.items():
            built = self.env[res_model].with_context(active_test=False)._aiflow_outbox_payloads(
                endpoint, rows.mapped("res_id")
            )
            for row in rows:
                items[row.id] = built.get(row.res_id)
        return items

    def _aiflow_blocked(self, endpoint, items):
        """(endpoint, key) pairs the items depend on that have open rows
        outside this group: aiflow does not have them yet."""
        needed = defaultdict(set)
        for item in items:
            for dep_endpoint, key in org_payloads.dependencies(endpoint, item):
                needed[dep_endpoint].add(key)
        blocked = set()
        for dep_endpoint, keys in needed.items():
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT record_key FROM aiflow_outbox
                     WHERE endpoint = %s AND mode = 'live' AND record_key IN %s
                       AND state IN %s AND NOT (id = ANY(%s))
                    """,
                    dep_endpoint,
                    tuple(keys),
                    OPEN_STATES,
                    self.ids,
                )
            )
            blocked.update((dep_endpoint, key) for (key,) in self.env.cr.fetchall())
        return blocked

    def _aiflow_send_group(self, endpoint, client, settings, stats):
        """Send rows of one endpoint and priority, parents first, in batches."""
        now = fields.Datetime.now()
        items = self._aiflow_items(endpoint)
        nothing = self.filtered(lambda row: items.get(row.id) is None)
        nothing.write(
            {
                "state": "done",
                "done_at": now,
                "claim_token": False,
                "last_error": self.env._(
                    "Nothing to send: the record is not in the synchronised "
                    "companies and aiflow never received it."
                ),
            }
        )
        rows = self - nothing
        invalid = {}
        for row in rows:
            try:
                if ENDPOINTS[endpoint].list_field:
                    validate_item(endpoint, items[row.id], 0)
                else:
                    validate(endpoint, items[row.id])
            except PayloadError as exc:
                invalid[row.id] = self.env._(
                    "The payload breaks the aiflow specification: %(error)s", error=str(exc)
                )
        entries = [(row.id, items[row.id]) for row in rows if row.id not in invalid]
        plan = org_payloads.plan(
            endpoint, entries, self._aiflow_blocked(endpoint, [i for _t, i in entries])
        )
        invalid.update(plan.invalid)
        self._aiflow_mark_dead(self.browse(list(invalid)), invalid, items, now)
        waiting = self.browse(list(plan.waiting))
        for row in waiting:
            dep_endpoint, key = plan.waiting[row.id]
            row._aiflow_release(
                self.env._("Waiting for %(key)s to reach aiflow first.", key=key)
            )
        stats["waiting"] += len(waiting)
        self._aiflow_commit()

        sendable = [self.browse(token) for token in plan.ordered]
        if ENDPOINTS[endpoint].list_field:
            failed_keys = set()
            queue = list(sendable)
            stopped = False
            while queue and not stopped:
                batch, queue = self._aiflow_next_batch(
                    endpoint, queue, items, failed_keys, settings["batch_size"], stats
                )
                if batch:
                    stopped = batch._aiflow_call_batch(
                        endpoint, client, items, settings, stats, failed_keys
                    )
            if stopped:
                self.browse([row.id for row in queue])._aiflow_mine()._aiflow_release()
                self._aiflow_commit()
            return stopped, set(plan.waiting) | set(stats.pop("_waited_ids", ()))
        for position, row in enumerate(sendable):
            if row._aiflow_call_single(endpoint, client, items, settings, stats):
                rest = self.browse([r.id for r in sendable[position + 1 :]])
                rest._aiflow_mine()._aiflow_release()
                self._aiflow_commit()
                return True, set(plan.waiting)
        return False, set(plan.waiting)

    def _aiflow_next_batch(self, endpoint, queue, items, failed_keys, size, stats):
        """Take up to ``size`` rows off ``queue``; rows under a record that
        failed earlier in this run wait instead of being rejected by aiflow."""
        batch = self.browse()
        keys_in_batch = {}
        rest = list(queue)
        while rest and len(batch) < size:
            row = rest.pop(0)
            item = items[row.id]
            blocker = next(
                (dep for dep in org_payloads.dependencies(endpoint, item) if dep in failed_keys),
                None,
            )
            if blocker is not None:
                failed_keys.add((endpoint, org_payloads.item_key(endpoint, item)))
                row._aiflow_mine()._aiflow_release(
                    self.env._("Waiting for %(key)s to reach aiflow first.", key=blocker[1])
                )
                stats["waiting"] += 1
                stats.setdefault("_waited_ids", set()).add(row.id)
                continue
            key = org_payloads.item_key(endpoint, item)
            if key in keys_in_batch:
                # Two rows for one record (one was claimed mid-send): one item.
                keys_in_batch[key] |= row
            else:
                keys_in_batch[key] = row
            batch |= row
        return batch, rest

    def _aiflow_call_batch(self, endpoint, client, items, settings, stats, failed_keys):
        """One HTTP call for ``self``; returns True when the run must stop."""
        endpoint_def = ENDPOINTS[endpoint]
        sent_rows = []
        seen = {}
        for row in self:
            key = org_payloads.item_key(endpoint, items[row.id])
            if key not in seen:
                seen[key] = len(sent_rows)
                sent_rows.append([row])
            else:
                sent_rows[seen[key]].append(row)
        batch_items = [items[group[0].id] for group in sent_rows]
        payload = {endpoint_def.list_field: batch_items}
        self._aiflow_commit()  # no transaction stays open across the call
        try:
            data = client.call(endpoint, payload)
        except AiflowError as exc:
            return self._aiflow_record_error(exc, items, settings, stats)
        finally:
            stats["requests"] += 1
        now = fields.Datetime.now()
        details = data.get("failDetails") if isinstance(data, dict) else None
        by_index = {}
        by_id = {}
        for detail in details or ():
            if isinstance(detail, dict):
                if isinstance(detail.get("index"), int):
                    by_index[detail["index"]] = detail
                elif detail.get("id"):
                    by_id[str(detail["id"])] = detail
        summary = {
            key: data.get(key) for key in ("successCount", "failCount") if key in data
        }
        mine = self._aiflow_mine()
        for index, group in enumerate(sent_rows):
            item = batch_items[index]
            key = org_payloads.item_key(endpoint, item)
            detail = by_index.get(index) or by_id.get(str(key))
            for row in group:
                if row not in mine:
                    continue
                values = {
                    "attempts": row.attempts + 1,
                    "sent_at": now,
                    "claim_token": False,
                    "request_body": _json(item),
                    "response_body": _json(dict(summary, failDetail=detail) if detail else summary),
                }
                if detail:
                    values.update(
                        state="dead",
                        last_error=self.env._(
                            "aiflow refused this record: %(code)s %(message)s",
                            code=detail.get("errorCode") or "",
                            message=detail.get("errorMessage") or "",
                        ),
                    )
                    stats["failed"] += 1
                else:
                    values.update(state="done", done_at=now, last_error=False)
                    stats["done"] += 1
                row.write(values)
            if detail:
                failed_keys.add((endpoint, key))
        stats["sent"] += len(batch_items)
        self._aiflow_commit()
        return False

    def _aiflow_call_single(self, endpoint, client, items, settings, stats):
        item = items[self.id]
        self._aiflow_commit()
        try:
            data = client.call(endpoint, item)
        except AiflowError as exc:
            return self._aiflow_record_error(exc, items, settings, stats)
        finally:
            stats["requests"] += 1
        now = fields.Datetime.now()
        self._aiflow_mine().write(
            {
                "state": "done",
                "done_at": now,
                "sent_at": now,
                "attempts": self.attempts + 1,
                "claim_token": False,
                "last_error": False,
                "request_body": _json(item),
                "response_body": _json(data),
            }
        )
        stats["sent"] += 1
        stats["done"] += 1
        self._aiflow_commit()
        return False

    def _aiflow_record_error(self, exc, items, settings, stats):
        """Whole call failed: retry later, or dead-letter. True = stop the run."""
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
        for row in self._aiflow_mine():
            attempts = row.attempts + 1
            values = {
                "attempts": attempts,
                "sent_at": now,
                "claim_token": False,
                "last_error": message,
                "request_body": _json(items[row.id]),
                "response_body": _json(response) if response else False,
            }
            if exc.retryable and attempts < settings["max_attempts"]:
                values.update(
                    state="retrying",
                    next_attempt_at=now + timedelta(seconds=retry_delay(attempts)),
                )
                stats["retrying"] += 1
            else:
                values["state"] = "dead"
                stats["failed"] += 1
            row.write(values)
        self._aiflow_commit()
        # aiflow being unreachable or overloaded: the next calls would fail
        # too, and rows sent after a failed parent would be rejected.
        return bool(exc.retryable)

    @api.model
    def _aiflow_mark_dead(self, rows, messages, items, now):
        for row in rows:
            row.write(
                {
                    "state": "dead",
                    "claim_token": False,
                    "last_error": messages[row.id],
                    "request_body": _json(items[row.id]) if items.get(row.id) else False,
                    "sent_at": now,
                }
            )

    @api.model
    def _aiflow_schedule_next(self, out_of_time):
        """Ask the cron to come back when the earliest retry is due."""
        cron = self.env.ref("aiflow_connector.ir_cron_aiflow_outbox", raise_if_not_found=False)
        if not cron:
            return
        if out_of_time:
            cron.sudo()._trigger()
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
        # A delivered row may be sent again too (e.g. aiflow lost the record).
        rows = self.filtered(lambda row: row.state != "sending")
        rows.write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "last_error": False,
                "claim_token": False,
            }
        )
        if rows:
            self._aiflow_trigger_worker()
        return True

    def action_cancel(self):
        if any(row.state == "sending" for row in self):
            raise UserError(
                self.env._("A row that is being sent cannot be cancelled; wait for its outcome.")
            )
        self.filtered(lambda row: row.state in ("pending", "retrying", "dead")).write(
            {"state": "cancelled", "claim_token": False}
        )
        return True

    @api.model
    def action_retry_all_dead(self):
        self.search([("state", "=", "dead")]).action_retry_now()
        return True

    @api.model
    def _cron_vacuum(self):
        days = self._aiflow_outbox_settings()["vacuum_days"]
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            SQL(
                "DELETE FROM aiflow_outbox WHERE state IN ('done', 'cancelled') AND write_date < %s",
                limit,
            )
        )
        _logger.info("aiflow outbox: vacuumed %s delivered rows", self.env.cr.rowcount)
