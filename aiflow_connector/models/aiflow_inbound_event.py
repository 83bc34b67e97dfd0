# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# pylint: disable=invalid-commit
# (a webhook's request commits on its own cursor, whose transaction holds
# nothing else: storing must be committed before applying, whatever follows)
"""What aiflow pushed to Odoo's webhooks, stored before it is applied.

Every correctly signed request becomes one row, committed before anything is
applied, so that no failure of the application can lose it. A valid event
carries an idempotency key (``protocol/webhook.py``); the unique index on it
decides, between any number of workers, which row is *the* event: a second
delivery is stored as a duplicate pointing to it and the event is applied at
most once. Events of one businessKey are applied one
at a time (a PostgreSQL advisory lock on the businessKey, then the event's
row lock), each in a transaction begun once the lock is held: a concurrent
delivery waits for the outcome and sees it. The rules of applying are in
``aiflow_inbound_apply.py``.
"""

import base64
import json
import logging

import psycopg2
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .. import sql_rows
from ..protocol import webhook

_logger = logging.getLogger(__name__)

KINDS = [(webhook.WORKFLOW, "Workflow event"), (webhook.APPROVAL_LOG, "Approval logs")]
STATES = [
    ("received", "Received"),
    ("applied", "Applied"),
    ("duplicate", "Duplicate"),
    ("invalid", "Invalid"),
    ("failed", "Failed"),
]
ACTIONS = [
    ("START", "Start"),
    ("COMPLETE", "Complete"),
    ("REJECT", "Reject"),
    ("CANCEL", "Cancel"),
]
# Applying again is what a re-run does; these are done or cannot be applied.
RERUNNABLE = ("received", "failed")
# Another transaction changed the event or what it touches: try again.
CONCURRENCY_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)
ATTEMPTS_ON_CONFLICT = 5
# first key of the advisory locks taken while applying (second: the businessKey)
LOCK_NAMESPACE = 0x41494657  # 'AIFW'


def _advisory(function, business_key):
    """SQL calling the advisory-lock ``function`` on a businessKey's lock."""
    return SQL("%s(%s, hashtext(%s))", SQL(function), LOCK_NAMESPACE, business_key)


class InboundEventError(Exception):
    """An event that cannot be applied now; the message is for the admin."""


class AiflowInboundEvent(models.Model):
    _name = "aiflow.inbound.event"
    _description = "aiflow Received Event"
    _order = "id desc"
    _rec_names_search = ["business_key", "aiflow_order_ref"]

    kind = fields.Selection(KINDS, required=True, readonly=True)
    state = fields.Selection(STATES, default="received", required=True, readonly=True, index=True)
    received_at = fields.Datetime(
        string="Received On", required=True, readonly=True, default=fields.Datetime.now
    )
    applied_at = fields.Datetime(string="Applied On", readonly=True)
    attempts = fields.Integer(readonly=True, help="Times Odoo tried to apply the event.")
    signature_ok = fields.Boolean(
        string="Signature Verified",
        readonly=True,
        help="Only correctly signed requests are stored; the others are refused and logged.",
    )
    raw_body = fields.Text(
        readonly=True,
        help="The request body as received (escaped where it is not UTF-8 text or "
        "holds NUL characters: then its exact bytes are kept too).",
    )
    raw_bytes = fields.Binary(
        string="Exact Body",
        attachment=False,
        readonly=True,
        help="The exact bytes received, kept when the body is not UTF-8 text "
        "or holds NUL characters.",
    )
    body_pretty = fields.Text(string="Body", compute="_compute_body_pretty")
    error = fields.Text(readonly=True)
    error_unexpected = fields.Boolean(
        string="Unexpected Error",
        readonly=True,
        help="Applying failed for a reason Odoo did not plan for (a program "
        "error): aiflow was answered a short message, the detail is here and "
        "in the server log.",
    )
    answer_status = fields.Integer(readonly=True, help="The status Odoo answered aiflow.")
    idempotency_key = fields.Char(readonly=True, copy=False)  # indexed by its unique constraint
    duplicate_of_id = fields.Many2one("aiflow.inbound.event", readonly=True, ondelete="set null")
    action = fields.Selection(ACTIONS, readonly=True)
    aiflow_order_ref = fields.Char(
        string="aiflow Order ID", readonly=True, index=True, help="orderId (a Long) as sent."
    )
    business_key = fields.Char(readonly=True, index=True)
    task_key = fields.Char(string="Task ID", readonly=True)
    task_name = fields.Char(readonly=True)
    handler_code = fields.Char(readonly=True, help="handlerUserCode as sent.")
    handler_id = fields.Many2one("res.users", readonly=True)
    handle_time = fields.Datetime(string="Handled On", readonly=True)
    order_id = fields.Many2one("aiflow.order", readonly=True, index=True, ondelete="set null")
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document ID", model_field="res_model", readonly=True)

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "unique(idempotency_key)",
            "Another stored event has this idempotency key.",
        ),
    ]

    @api.depends("kind", "action", "business_key")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for event in self:
            parts = [event.action or kinds.get(event.kind) or "", event.business_key or ""]
            event.display_name = " ".join(p for p in parts if p) or f"#{event.id}"

    @api.depends("raw_body")
    def _compute_body_pretty(self):
        for event in self:
            event.body_pretty = webhook.pretty_body(event.raw_body or "")[: webhook.SHOWN_BODY]

    # ------------------------------------------------------------------
    # receiving (called by the controller, on the request's cursor)

    @api.model
    def _aiflow_receive(self, cr, kind, raw, verdict):
        """Store a signed request, then apply it if it is a valid event;
        the :class:`webhook.Verdict` to answer. ``cr``: a cursor this call
        may commit, its transaction holding nothing of anyone else's (the
        webhook's request cursor; the caller closes it).

        One cursor, two commits: the row (committed before anything is
        applied), then the application with its outcome. Events of one
        businessKey are applied one at a time: a session advisory lock on
        the businessKey, taken outside any transaction (by the statement
        that stores a new event; after the row of a duplicate, whose row
        would lock the original it points to, which the lock's holder
        updates: a deadlock), so the application's transaction begins once
        the lock is held and sees what the previous event of that key did.
        That transaction hands the lock over to itself before it commits
        (see :meth:`_aiflow_process_locked`)."""
        payload = verdict.payload if verdict.valid else None
        key = webhook.event_key(kind, payload) if verdict.valid else None
        vals = self._aiflow_stored_values(kind, raw, verdict)
        business_key = payload["businessKey"] if verdict.valid else None
        event_id, original_id = self._aiflow_store(cr, vals, key, business_key)
        if not verdict.valid:
            return verdict
        if original_id:
            # a duplicate's session lock, taken outside any transaction: the
            # one that applies begins once it is held, its snapshot taken
            # under it
            sql_rows.outside_transaction(
                cr, SQL("SELECT %s", _advisory("pg_advisory_lock", business_key))
            )
        return self._aiflow_process_locked(
            cr, original_id or event_id, business_key, payload, delivery_id=original_id and event_id
        )

    @api.model
    def _aiflow_store(self, cr, vals, key, business_key):
        """Commit the request as a row: (its id, the id of the event it
        repeats or None). The unique index on the key decides; a new event
        (a key, no original) holds its businessKey's session lock on return."""
        for _attempt in range(ATTEMPTS_ON_CONFLICT):
            try:
                return self._aiflow_store_once(cr, vals, key, business_key)
            except CONCURRENCY_ERRORS:
                # the original was committed since this statement began:
                # look again
                cr.rollback()
        raise RuntimeError(f"aiflow event {key} could not be stored: constant conflicts")

    @api.model
    def _aiflow_store_once(self, cr, vals, key, business_key):
        """Each statement commits on its own (autocommit): the row is kept
        once the statement returns, in one round trip."""
        if not key:
            ((event_id,),) = sql_rows.outside_transaction(cr, self._aiflow_insert_sql(vals))
            return event_id, None
        # a new event also takes its businessKey's lock in the statement that
        # stores it (a row that points to no other holds no lock that the
        # lock's holder could wait for); its row is committed once the lock
        # is held, before anything is applied
        rows = sql_rows.outside_transaction(
            cr,
            SQL(
                "WITH stored AS (%s) SELECT id, %s FROM stored",
                self._aiflow_insert_sql({**vals, "idempotency_key": key}, keyed=True),
                _advisory("pg_advisory_lock", business_key),
            ),
        )
        if rows:
            return rows[0][0], None
        # the original is committed and visible to a new statement (else
        # the insert raised a serialization failure: retried)
        ((original_id,),) = sql_rows.outside_transaction(
            cr, "SELECT id FROM aiflow_inbound_event WHERE idempotency_key = %s", (key,)
        )
        ((event_id,),) = sql_rows.outside_transaction(
            cr,
            self._aiflow_insert_sql({**vals, "state": "duplicate", "duplicate_of_id": original_id}),
        )
        return event_id, original_id

    @api.model
    def _aiflow_insert_sql(self, vals, keyed=False):
        """INSERT of one row (ON CONFLICT DO NOTHING on the key when
        ``keyed``) returning its id, none when an event with this key is
        stored. SQL of its own, as the conflicts it meets are expected and
        retried, not errors to log."""
        now = fields.Datetime.now()
        row = sql_rows.stamped({**vals, "received_at": now}, SUPERUSER_ID, now)
        conflict = ["idempotency_key"] if keyed else None
        return sql_rows.insert(self._table, [row], conflict=conflict)

    @api.model
    def _aiflow_stored_values(self, kind, raw, verdict):
        payload = verdict.payload if isinstance(verdict.payload, dict) else {}
        body, exact = webhook.stored_body(raw)
        vals = {
            "kind": kind,
            "raw_body": body,
            # the exact bytes when the text cannot be them (PostgreSQL text
            # holds neither NUL nor bytes that are not UTF-8); base64 in the
            # column, as Odoo keeps a Binary field
            "raw_bytes": None if exact else psycopg2.Binary(base64.b64encode(raw)),
            "signature_ok": True,
            "state": "received" if verdict.valid else "invalid",
            "answer_status": verdict.status,
            "attempts": 0,
            "error": None if verdict.valid else verdict.msg,
        }
        if verdict.valid:
            # the payload rules refuse any string holding NUL: these fit
            vals.update(
                aiflow_order_ref=str(payload["orderId"]),
                business_key=payload["businessKey"],
                action=payload.get("action") or None,
                task_key=payload.get("taskId") or None,
                task_name=payload.get("taskName") or None,
                handler_code=payload.get("handlerUserCode") or None,
            )
        return vals

    @api.model
    def _aiflow_process_locked(self, cr, event_id, business_key, payload=None, delivery_id=None):
        """Apply the stored event ``event_id`` unless it already was, the
        session lock of its ``business_key`` being held; the verdict to answer.
        ``delivery_id``: the duplicate row of this delivery, whose answer is
        kept with the outcome in the same transaction. The lock is released
        in every case, by the commit when the event is applied: the
        transaction takes it again for itself and lets the session's go, so
        the next event of the key starts once this one is committed, and no
        statement of its own unlocks it."""
        held = True
        try:
            for _attempt in range(ATTEMPTS_ON_CONFLICT):
                try:
                    verdict = self._aiflow_apply_stored(cr, event_id, payload, delivery_id)
                    if verdict is None:  # applied already: nothing written
                        cr.rollback()
                        return webhook.duplicate(event_id)
                    cr.flush()  # nothing left for the commit to write
                    cr.execute(
                        SQL(
                            "SELECT %s FROM (SELECT %s OFFSET 0) AS handed_over",
                            _advisory("pg_advisory_unlock", business_key),
                            _advisory("pg_advisory_xact_lock", business_key),
                        )
                    )
                    held = False
                    cr.commit()
                    return verdict
                except CONCURRENCY_ERRORS:
                    cr.rollback()
                    if not held:
                        raise  # the lock is gone: this delivery cannot go on
            return webhook.cannot_apply(
                "the event is being applied by another request; send it again later", event_id
            )
        finally:
            if held:
                cr.rollback()
                sql_rows.outside_transaction(
                    cr, SQL("SELECT %s", _advisory("pg_advisory_unlock", business_key))
                )

    @api.model
    def _aiflow_apply_stored(self, cr, event_id, payload, delivery_id):
        """One attempt at applying the event under its row lock: the verdict,
        or None when it was applied already. Nothing is committed."""
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute(
            "SELECT state, kind, attempts FROM aiflow_inbound_event WHERE id = %s FOR UPDATE",
            (event_id,),
            log_exceptions=False,
        )
        state, kind, attempts = cr.fetchone()
        if state == "applied":
            return None
        event = env[self._name].browse(event_id)
        if payload is not None:
            # what applying reads of the row is known: the row (its
            # body up to 1 MiB) is not read again
            env.cache.update(event, event._fields["kind"], [kind])
            env.cache.update(event, event._fields["attempts"], [attempts or 0])
        event._aiflow_apply_now(payload)
        verdict = event._aiflow_verdict()
        if delivery_id and verdict.status != webhook.STATUS_OK:
            # a delivery that re-applied a failed original failed again
            cr.execute(
                "UPDATE aiflow_inbound_event SET answer_status = %s WHERE id = %s",
                (verdict.status, delivery_id),
            )
        return verdict

    def _aiflow_verdict(self):
        self.ensure_one()
        if self.state == "applied":
            return webhook.applied(self.id)
        if self.error_unexpected:
            # the detail (SQL, data) is for the admin, not for the caller
            return webhook.cannot_apply(
                self.env._(
                    "The event could not be applied; it is kept in Odoo as event %(id)s.",
                    id=self.id,
                ),
                self.id,
            )
        return webhook.cannot_apply(self.error or "", self.id)

    # ------------------------------------------------------------------
    # applying

    def _aiflow_apply_env(self):
        """Superuser, speaking the admin's language (messages are for them),
        in the superuser's company, named in the context as ``env.company``
        would find it, without reading the superuser's whole row (a
        console re-run keeps the companies its user chose)."""
        lang, company_id = self.env["res.users"]._aiflow_admin_lang_company()
        context = {**self.env.context, "lang": lang or "en_US"}
        if company_id:
            context.setdefault("allowed_company_ids", [company_id])
        return self.env(user=SUPERUSER_ID, su=True, context=context)

    def _aiflow_apply_now(self, payload=None):
        """Apply this stored event in a savepoint: all of it, or nothing and
        the reason kept on the event. Concurrency errors go up (retry).
        ``payload``: the event's body, when the caller has it parsed."""
        self.ensure_one()
        event = self.with_env(self._aiflow_apply_env())
        if payload is None:
            payload = json.loads(event.raw_body)
        error, unexpected = None, False
        try:
            with event.env.cr.savepoint():
                touched = event._aiflow_apply_payload(payload)
        except CONCURRENCY_ERRORS:
            raise
        except InboundEventError as exc:
            error = str(exc)
        except UserError as exc:
            error = exc.args[0] if exc.args else str(exc)
        except Exception as exc:  # pylint: disable=broad-except
            # an effect (a server action) or a model rule failed: kept on the
            # event for the admin; the traceback goes to the server log only
            _logger.exception("aiflow event %s could not be applied", event.id)
            detail = f"{type(exc).__name__}: {exc}"
            error = event.env._("Applying the event failed: %(error)s", error=detail)
            unexpected = True
        vals = {"attempts": event.attempts + 1, "error_unexpected": unexpected}
        if error is None:
            vals.update(touched, state="applied", error=False, applied_at=fields.Datetime.now())
            vals["answer_status"] = webhook.STATUS_OK
        else:
            vals.update(state="failed", error=error, answer_status=webhook.STATUS_GENERAL)
            # still on the order's timeline when the order is known
            vals.update(event._aiflow_failure_context(payload))
        event._aiflow_write_outcome(vals)

    def _aiflow_write_outcome(self, vals):
        """Keep the outcome of applying: one UPDATE, and the values put in
        the cache as written. Every received event passes here, and the
        ORM's write would check again what this model set itself (all of
        it readonly to users, none of it stored by a computation)."""
        self.ensure_one()
        self.flush_recordset()
        columns = sql_rows.stamped(vals, self.env.uid, created=False)
        stored = {
            name: None if value is False and self._fields[name].type != "boolean" else value
            for name, value in columns.items()
        }
        self.env.cr.execute(sql_rows.update(self._table, self.id, stored))
        self._update_cache(columns, validate=False)

    # ------------------------------------------------------------------
    # console

    def action_aiflow_rerun(self):
        """Apply failed events again (once their cause is fixed)."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only administrators can re-run received events."))
        for event in self:
            if event.state not in RERUNNABLE:
                raise UserError(
                    self.env._(
                        "Event %(event)s is %(state)s: only a failed event can be re-run.",
                        event=event.display_name,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            event.state
                        ],
                    )
                )
            try:
                self.env.cr.execute(
                    "SELECT id FROM aiflow_inbound_event WHERE id = %s FOR UPDATE NOWAIT",
                    (event.id,),
                    log_exceptions=False,
                )
            except pg_errors.LockNotAvailable:
                raise UserError(
                    self.env._(
                        "Event %(event)s is being applied right now; try again in a moment.",
                        event=event.display_name,
                    )
                ) from None
            event.sudo()._aiflow_apply_now()
        return True

    def action_open_document(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            raise UserError(self.env._("This event touched no document."))
        document = self.env[self.res_model].browse(self.res_id).exists()
        if not document:
            raise UserError(self.env._("The document of this event no longer exists."))
        return {
            "type": "ir.actions.act_window",
            "res_model": document._name,
            "res_id": document.id,
            "view_mode": "form",
            "target": "current",
        }
