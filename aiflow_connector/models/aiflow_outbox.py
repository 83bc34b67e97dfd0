# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The transactional outbox: every call Odoo makes to aiflow goes through it.

A change writes a row in the user's own transaction (a rollback leaves
nothing, a commit guarantees delivery); a cron, triggered when that
transaction commits, delivers the rows (:mod:`..outbox.delivery`) with no
user transaction open across the HTTP call. What a row is sent as comes
from its source (:mod:`..outbox.sources`).

Two kinds of rows:

* ``live``: the payload is built at send time from the current record, so
  many changes to one record make one call (one open row per record);
* ``fixed``: the payload was stored when the row was written (a record
  that is deleted, an old code to disable, or any one-shot call).
"""

import json
import logging
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..outbox import claims, delivery, queries, sources, states, wakeup

_logger = logging.getLogger(__name__)

# The delivery cron (data/ir_cron_outbox.xml).
CRON_XMLID = "aiflow_connector.ir_cron_aiflow_outbox"
# A bulk queueing this large refreshes the table's planner statistics.
BULK_ANALYZE_ROWS = 1000


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
    priority = fields.Integer(default=sources.DEFAULT_PRIORITY, readonly=True)
    state = fields.Selection(
        list(states.STATES),
        required=True,
        default=states.PENDING,
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
        queries.create_indexes(self.env.cr)

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
    def _aiflow_queued_ids(self, endpoint, res_model):
        """Ids of ``res_model`` queued for ``endpoint`` in this transaction,
        whose rows are written when it commits."""
        pending = self.env.cr.precommit.data.get("aiflow.outbox")
        return set(pending["live"].get((endpoint, res_model), ())) if pending else set()

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
                        "priority": self._aiflow_source(endpoint, res_model).row_priority("fixed"),
                    }
                    for endpoint, res_model, res_id, key, name, payload in pending["fixed"]
                ]
            )
            wrote = True
        if wrote:
            self._aiflow_trigger_worker()

    def _aiflow_write_live_rows(self, endpoint, res_model, ids):
        """One open live row per record: re-arm the existing one, else create
        (always create for an append-only source)."""
        source = self._aiflow_source(endpoint, res_model)
        records = self.env[res_model].with_context(active_test=False).browse(list(ids))
        keys = source.describe(records)
        if not keys:
            return False
        found = []
        if source.supersedes:
            try:
                with self.env.cr.savepoint(flush=False):
                    found = queries.lock_waiting_live_rows(self.env.cr, endpoint, res_model, keys)
            except psycopg2.errors.SerializationFailure:
                # A worker claimed one of them after this transaction began
                # (the user's transaction is REPEATABLE READ): new rows carry
                # the change rather than failing the user's save.
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
                if state == states.DEAD:
                    # A new change may well be the fix: start over.
                    values.update(
                        state=states.PENDING, attempts=0, next_attempt_at=now, last_error=False
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
                        "priority": source.row_priority("live"),
                    }
                )
        if to_create:
            self.create(to_create)
        return True

    @api.model
    def _aiflow_source(self, endpoint, res_model):
        source = sources.get(endpoint, res_model)
        if source is None:
            raise ValueError(f"no aiflow source declared for {endpoint} rows of {res_model}")
        return source

    @api.model
    def _aiflow_enqueue_query(self, endpoint, res_model, source_sql):
        """Queue live rows in bulk for the records ``source_sql`` selects
        (``SELECT id, key, name``): thousands of records (a change of the
        synced companies) without loading them. Rows already waiting join instead (a dead one
        starts over). Returns the number of rows queued or joined."""
        self.env.flush_all()
        now = fields.Datetime.now()
        params = {
            "source": source_sql,
            "endpoint": endpoint,
            "model": res_model,
            "now": now,
            "uid": self.env.uid,
            "priority": self._aiflow_source(endpoint, res_model).row_priority("live"),
        }
        joined = queries.join_waiting_rows(self.env.cr, params)
        inserted = queries.insert_missing_rows(self.env.cr, params)
        if inserted >= BULK_ANALYZE_ROWS:
            queries.analyze(self.env.cr)
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
                ("state", "in", states.WAITING),
            ]
        ).write(
            {
                "state": states.CANCELLED,
                "last_error": self.env._("Replaced by the deletion of the record."),
            }
        )

    @api.model
    def _aiflow_trigger_worker(self):
        """Have the delivery cron run as soon as this transaction commits."""
        if not aiflow_settings.of_env(self.env).sync_enabled:
            return  # rows wait; enabling sync triggers the worker
        wakeup.trigger_after_commit(self.env, CRON_XMLID, fields.Datetime.now())

    # ------------------------------------------------------------------
    # the worker (outbox/delivery.py)

    @api.model
    def _cron_deliver(self):
        self._aiflow_deliver()

    @api.model
    def _aiflow_deliver(self, time_budget=delivery.RUN_TIME_BUDGET, settings=None, client=None):
        """Send what is due; returns counters (requests, sent, done, failed,
        retrying, waiting). ``settings`` / ``client`` default to the saved
        configuration (scripts and tests may pass their own)."""
        settings = settings or aiflow_settings.of_env(self.env)
        if not settings.sync_enabled:
            return {}
        missing = settings.missing_credentials()
        if missing and client is None:
            # Rows wait untouched; the settings overview shows the same.
            aiflow_settings.warn_once(
                "aiflow sync is on but %s is not set in the aiflow settings of %s: "
                "the sync queue waits",
                ", ".join(aiflow_settings.BY_NAME[name].key for name in missing),
                self.env.cr.dbname,
            )
            return {}
        own_client = client is None
        if own_client:
            try:
                client = self.env["aiflow.connection"]._aiflow_client(settings)
            except UserError as exc:
                aiflow_settings.warn_once(
                    "aiflow sync cannot start in %s: %s", self.env.cr.dbname, exc.args[0]
                )
                return {}
        run = delivery.Run(self.sudo().env, settings, client, time_budget)
        try:
            out_of_time = run.deliver()
        finally:
            if own_client:
                client.close()
        self._aiflow_schedule_next(out_of_time, bool(run.stats["waiting_in_flight"]))
        return dict(run.stats)

    @api.model
    def _aiflow_schedule_next(self, out_of_time, recheck=False):
        """Ask the cron to come back when the earliest retry is due (right
        away when out of time, soon when rows wait for another worker)."""
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if not cron:
            return
        if out_of_time:
            cron.sudo()._trigger()
        elif recheck:
            cron.sudo()._trigger(fields.Datetime.now() + delivery.IN_FLIGHT_RECHECK)
        next_retry = queries.next_retry_at(self.env.cr)
        if next_retry:
            cron.sudo()._trigger(max(next_retry, fields.Datetime.now()))
        claims.commit(self.env)

    # ------------------------------------------------------------------
    # console actions

    def action_retry_now(self):
        # Delivered or cancelled rows stay as they are; a row being sent waits
        # for its outcome.
        rows = self.filtered(lambda row: row.state in states.REQUEUABLE)
        rows._aiflow_requeue()
        return self.env["aiflow.outbox.retry.dead"]._aiflow_notification(
            len(rows), len(self) - len(rows)
        )

    def _aiflow_requeue(self):
        self.write(
            {
                "state": states.PENDING,
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "last_error": False,
                "claim_token": False,
            }
        )
        if self:
            self._aiflow_trigger_worker()

    def action_cancel(self):
        if any(row.state == states.SENDING for row in self):
            raise UserError(
                self.env._("A row that is being sent cannot be cancelled; wait for its outcome.")
            )
        self.filtered(lambda row: row.state in states.WAITING).write(
            {"state": states.CANCELLED, "claim_token": False}
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
        days = aiflow_settings.of_env(self.env).outbox_vacuum_days
        removed = queries.vacuum(self.env.cr, fields.Datetime.now() - timedelta(days=days))
        _logger.info("aiflow outbox: vacuumed %s delivered rows", removed)
