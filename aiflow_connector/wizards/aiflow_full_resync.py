# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..outbox import queries, resync, states

# Any constant: serialises the start of resyncs across workers.
RESYNC_LOCK_KEY = 0x41494652  # "AIFR"
# The token of the latest resync: the one that may still be running.
RESYNC_PARAM = "aiflow_connector.full_resync_last_token"


class AiflowFullResync(models.TransientModel):
    """Send every department and employee to aiflow again.

    Opening it is the dry run: it counts what would be sent. Confirming
    starts a run (:mod:`..outbox.resync`): the worker sends them parents
    first, straight from the records, writing one row per record in the sync
    queue with its outcome (the rows already waiting for them included); the
    form then follows the progress of that run.
    """

    _name = "aiflow.full.resync"
    _description = "aiflow Full Resync"
    _transient_max_hours = 24.0

    state = fields.Selection(
        [("draft", "Dry run"), ("running", "Running"), ("done", "Finished")],
        default="draft",
        readonly=True,
    )
    resync_token = fields.Char(readonly=True, copy=False)
    department_enabled_count = fields.Integer(
        string="Active departments",
        compute="_compute_dry_run",
        help="Sent to aiflow as enabled.",
    )
    department_disabled_count = fields.Integer(
        string="Archived departments",
        compute="_compute_dry_run",
        help="Sent to aiflow as disabled.",
    )
    employee_enabled_count = fields.Integer(
        string="Active employees",
        compute="_compute_dry_run",
        help="Sent to aiflow as enabled.",
    )
    employee_disabled_count = fields.Integer(
        string="Archived employees",
        compute="_compute_dry_run",
        help="Sent to aiflow as disabled.",
    )
    employee_skipped_count = fields.Integer(
        string="Employees without a department",
        compute="_compute_dry_run",
        help="aiflow requires a department: these employees are not sent "
        "(those aiflow already knows are disabled there).",
    )
    total_count = fields.Integer(string="To send", compute="_compute_progress")
    sent_count = fields.Integer(string="Sent", compute="_compute_progress")
    failed_count = fields.Integer(string="Failures", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress")
    running = fields.Boolean(compute="_compute_progress")
    summary = fields.Text(compute="_compute_progress")

    @api.model
    def _check_admin(self):
        if not self.env.is_admin():
            raise AccessError(self.env._("Only administrators can run a full resync."))

    def _scope_sql(self, alias):
        return self.env["hr.department"]._aiflow_scope_sql(alias)

    # The form's onchange computes an unsaved record's fields only through
    # their dependencies: without one, the dry run would show zeros.
    @api.depends("state")
    def _compute_dry_run(self):
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            SQL(
                "SELECT count(*) FILTER (WHERE d.active), count(*) FILTER (WHERE NOT d.active)"
                " FROM hr_department d WHERE %s",
                self._scope_sql("d"),
            )
        )
        dept_on, dept_off = cr.fetchone()
        cr.execute(
            SQL(
                """
                SELECT count(*) FILTER (WHERE e.department_id IS NOT NULL AND e.active),
                       count(*) FILTER (WHERE e.department_id IS NOT NULL AND NOT e.active),
                       count(*) FILTER (WHERE e.department_id IS NULL)
                  FROM hr_employee e WHERE %s
                """,
                self._scope_sql("e"),
            )
        )
        emp_on, emp_off, emp_skipped = cr.fetchone()
        for wizard in self:
            wizard.department_enabled_count = dept_on
            wizard.department_disabled_count = dept_off
            wizard.employee_enabled_count = emp_on
            wizard.employee_disabled_count = emp_off
            wizard.employee_skipped_count = emp_skipped

    def _compute_progress(self):
        for wizard in self:
            counts, total, running = {}, 0, False
            if wizard.resync_token:
                run = self._run_of(wizard.resync_token)
                counts = queries.resync_counts(self.env.cr, wizard.resync_token)
                total = run.total_count
                running = self._is_running(wizard.resync_token, run)
            sent = counts.get(states.DONE, 0)
            failed = counts.get(states.DEAD, 0)
            skipped = counts.get("skipped", 0)
            wizard.total_count = total
            wizard.sent_count = sent
            wizard.failed_count = failed
            wizard.progress = 100.0 * (sent + failed + skipped) / total if total else 0.0
            wizard.running = running
            if wizard.state == "draft":
                wizard.summary = False
            elif wizard.running:
                wizard.summary = self.env._(
                    "%(sent)s of %(total)s sent, %(failed)s failed so far.",
                    sent=sent,
                    total=total,
                    failed=failed,
                )
            else:
                wizard.summary = self._finished_summary(counts, total)

    def _finished_summary(self, counts, total):
        # One whole message per case, so that each language words it whole.
        values = {
            "sent": counts.get(states.DONE, 0),
            "total": total,
            "failed": counts.get(states.DEAD, 0),
            "cancelled": counts.get(states.CANCELLED, 0),
            "skipped": counts.get("skipped", 0),
        }
        if not values["skipped"]:
            return self.env._(
                "Finished: %(sent)s of %(total)s sent, %(failed)s failed (their errors "
                "are in the sync queue), %(cancelled)s cancelled.",
                **values,
            )
        if values["skipped"] == 1:
            return self.env._(
                "Finished: %(sent)s of %(total)s sent, %(failed)s failed (their errors "
                "are in the sync queue), %(cancelled)s cancelled. 1 employee was not "
                "sent: they have no department, which aiflow requires, and aiflow has "
                "never had them.",
                **values,
            )
        return self.env._(
            "Finished: %(sent)s of %(total)s sent, %(failed)s failed (their errors "
            "are in the sync queue), %(cancelled)s cancelled. %(skipped)s employees "
            "were not sent: they have no department, which aiflow requires, and "
            "aiflow has never had them.",
            **values,
        )

    @api.model
    def _running_token(self):
        # Read from the table: action_confirm writes it with SQL, which the
        # parameters' cache does not see.
        self.env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (RESYNC_PARAM,))
        row = self.env.cr.fetchone()
        token = row and row[0]
        return token if token and self._is_running(token) else None

    @api.model
    def _run_of(self, token):
        return self.env["aiflow.resync.run"].sudo().search([("resync_token", "=", token)])

    @api.model
    def _is_running(self, token, run=None):
        """The worker still sends its records (``run``: the token's run, when
        read already), or the queue still holds some of its rows (aiflow
        refused a parent, or could not be reached)."""
        run = self._run_of(token) if run is None else run
        return run.state == "running" or queries.resync_running(self.env.cr, token)

    def action_confirm(self):
        self.ensure_one()
        self._check_admin()
        if self.state != "draft":
            return self._reopen()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (RESYNC_LOCK_KEY,))
        if not cr.fetchone()[0] or self._running_token():
            raise UserError(
                self.env._(
                    "A full resync is already running. Follow it in the sync "
                    "queue; a new one can start when it has finished."
                )
            )
        token = uuid.uuid4().hex
        # Under Odoo's REPEATABLE READ a second click whose transaction began
        # before the first one committed would not see its rows. Both write
        # this one parameter row: the later one then fails to serialise, and
        # Odoo replays the request, which sees the running resync.
        cr.execute(
            SQL(
                """
                INSERT INTO ir_config_parameter
                       (key, value, create_uid, create_date, write_uid, write_date)
                VALUES (%(key)s, %(token)s, %(uid)s, now() at time zone 'UTC',
                        %(uid)s, now() at time zone 'UTC')
                ON CONFLICT (key) DO UPDATE
                   SET value = EXCLUDED.value, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                key=RESYNC_PARAM,
                token=token,
                uid=self.env.uid,
            )
        )
        self.env.flush_all()
        total = resync.start(self.env, token)
        self.env["aiflow.resync.run"].sudo().create({"resync_token": token, "total_count": total})
        self.write({"state": "running", "resync_token": token})
        self.env["aiflow.outbox"]._aiflow_trigger_worker()
        return self._reopen()

    def action_refresh(self):
        self.ensure_one()
        if self.state == "running" and not self.running:
            self.state = "done"
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Full resync"),
        }

    def action_open_queue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aiflow_connector.aiflow_outbox_action"
        )
        action["domain"] = [("resync_token", "=", self.resync_token)]
        action["context"] = {}
        return action
