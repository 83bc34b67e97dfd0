# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from datetime import timedelta

from odoo import api, fields, models


class AiflowOauthThrottle(models.Model):
    """Failed client authentications per client id and remote address.

    Kept in the database, not in memory, so the limit holds across several
    Odoo workers. Fixed window: after ``_max_failures`` failures within
    ``_window_seconds`` the pair is refused until the window ends.
    """

    _name = "aiflow.oauth.throttle"
    _description = "aiflow OAuth2 failed client authentications"
    _order = "window_start desc"
    _max_failures = 5
    _window_seconds = 300

    key = fields.Char(required=True, index=True, readonly=True)
    client_id = fields.Char(string="Client ID", readonly=True)
    remote_addr = fields.Char(string="Remote address", readonly=True)
    failures = fields.Integer(readonly=True)
    window_start = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("key_unique", "unique(key)", "One throttle row per client and address."),
    ]

    @api.model
    def _oauth_key(self, client_id, remote_addr):
        raw = f"{client_id or ''}\n{remote_addr or ''}"
        return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()

    @api.model
    def _oauth_retry_after(self, client_id, remote_addr):
        """Seconds until the pair may try again, 0 when it may try now."""
        row = self.search([("key", "=", self._oauth_key(client_id, remote_addr))], limit=1)
        if not row or row.failures < self._max_failures:
            return 0
        window_end = row.window_start + timedelta(seconds=self._window_seconds)
        remaining = (window_end - fields.Datetime.now()).total_seconds()
        return max(int(remaining) + 1, 0) if remaining > 0 else 0

    @api.model
    def _oauth_record_failure(self, client_id, remote_addr):
        # One atomic upsert: concurrent failures from several workers count
        # each, and a window that has ended starts over at 1.
        now = fields.Datetime.now()
        window_floor = now - timedelta(seconds=self._window_seconds)
        with self.env["aiflow.oauth.client"]._oauth_side_cursor() as cr:
            self._oauth_upsert_failure(cr, client_id, remote_addr, now, window_floor)
        self.invalidate_model()

    @api.model
    def _oauth_upsert_failure(self, cr, client_id, remote_addr, now, window_floor):
        cr.execute(
            """
            INSERT INTO aiflow_oauth_throttle
                (key, client_id, remote_addr, failures, window_start,
                 create_uid, create_date, write_uid, write_date)
            VALUES (%(key)s, %(client_id)s, %(remote_addr)s, 1, %(now)s,
                    %(uid)s, %(now)s, %(uid)s, %(now)s)
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN aiflow_oauth_throttle.window_start < %(floor)s
                                THEN 1 ELSE aiflow_oauth_throttle.failures + 1 END,
                window_start = CASE WHEN aiflow_oauth_throttle.window_start < %(floor)s
                                    THEN %(now)s ELSE aiflow_oauth_throttle.window_start END,
                write_uid = %(uid)s,
                write_date = %(now)s
            """,
            {
                "key": self._oauth_key(client_id, remote_addr),
                "client_id": (client_id or "")[:64],
                "remote_addr": (remote_addr or "")[:64],
                "now": now,
                "floor": window_floor,
                "uid": self.env.uid,
            },
        )

    @api.model
    def _oauth_forget(self, client_id, remote_addr):
        key = self._oauth_key(client_id, remote_addr)
        if not self.search_count([("key", "=", key)]):
            return
        with self.env["aiflow.oauth.client"]._oauth_side_cursor() as cr:
            cr.execute("DELETE FROM aiflow_oauth_throttle WHERE key = %s", (key,))
        self.invalidate_model()

    @api.autovacuum
    def _gc_oauth_throttle(self):
        floor = fields.Datetime.now() - timedelta(seconds=self._window_seconds)
        self.sudo().search([("window_start", "<", floor)]).unlink()
