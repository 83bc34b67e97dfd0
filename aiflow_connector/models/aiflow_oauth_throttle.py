# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from datetime import timedelta

from odoo import api, fields, models


class AiflowOauthThrottle(models.Model):
    """Client authentication attempts per client id and remote address.

    Kept in the database, not in memory, so the limit holds across several
    Odoo workers. Fixed window: an attempt is counted *before* the secret is
    checked, in one atomic statement, so that parallel guesses cannot slip
    past the limit while the (slow) hash check runs; a successful
    authentication clears the count. Beyond ``_max_failures`` counted
    attempts within ``_window_seconds`` the pair is refused until the window
    ends.
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
    def _oauth_count_attempt(self, client_id, remote_addr):
        """Count one attempt; returns the seconds to wait when the pair is
        over the limit (the attempt must then be refused), else 0."""
        now = fields.Datetime.now()
        window_floor = now - timedelta(seconds=self._window_seconds)
        with self.env["aiflow.oauth.client"]._oauth_side_cursor() as cr:
            # A window that has ended starts over at 1.
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
                RETURNING failures, window_start
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
            failures, window_start = cr.fetchone()
        self.invalidate_model()
        if failures <= self._max_failures:
            return 0
        window_end = window_start + timedelta(seconds=self._window_seconds)
        return max(int((window_end - now).total_seconds()) + 1, 1)

    @api.model
    def _oauth_forget(self, client_id, remote_addr):
        """The client proved its secret: its count starts over."""
        with self.env["aiflow.oauth.client"]._oauth_side_cursor() as cr:
            cr.execute(
                "DELETE FROM aiflow_oauth_throttle WHERE key = %s",
                (self._oauth_key(client_id, remote_addr),),
            )
        self.invalidate_model()

    @api.autovacuum
    def _gc_oauth_throttle(self):
        floor = fields.Datetime.now() - timedelta(seconds=self._window_seconds)
        self.sudo().search([("window_start", "<", floor)]).unlink()
