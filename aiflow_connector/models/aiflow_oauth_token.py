# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import hmac
import uuid
from datetime import timedelta

from odoo import api, fields, models

from ..protocol import oauth2

# Rotated, revoked and expired rows stay visible to admins this long after
# their refresh token expired, then the autovacuum removes them.
TOKEN_RETENTION = timedelta(days=7)
# last_used_at is written at most this often per token, so that a busy
# client does not turn every userinfo call into a row update.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class AiflowOauthToken(models.Model):
    """An access token and its refresh token, both stored as SHA-256 only.

    Refreshing rotates: the row becomes ``rotated`` (both its tokens die) and
    a new row joins the same ``family``. Presenting a rotated refresh token
    again means it leaked: the whole family is revoked.
    """

    _name = "aiflow.oauth.token"
    _description = "aiflow OAuth2 token"
    _order = "create_date desc, id desc"
    _rec_name = "client_id"

    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="cascade", readonly=True
    )
    client_id = fields.Char(required=True, readonly=True)
    scope = fields.Char(readonly=True)
    issued_at = fields.Datetime(
        string="Issued", required=True, readonly=True, default=fields.Datetime.now
    )
    access_expires_at = fields.Datetime(string="Access token expires", required=True, readonly=True)
    refresh_expires_at = fields.Datetime(
        string="Refresh token expires", required=True, readonly=True
    )
    last_used_at = fields.Datetime(string="Last used", readonly=True)
    state = fields.Selection(
        [("active", "Active"), ("rotated", "Refreshed"), ("revoked", "Revoked")],
        required=True,
        default="active",
        readonly=True,
        index=True,
    )
    revoked_at = fields.Datetime(string="Revoked on", readonly=True)
    revoke_reason = fields.Selection(
        [
            ("admin", "Revoked by an administrator"),
            ("code_reuse", "Authorization code used twice"),
            ("refresh_reuse", "Refresh token used twice"),
            ("password", "Password changed"),
            ("archived", "User archived"),
        ],
        readonly=True,
    )
    family = fields.Char(required=True, index=True, readonly=True, copy=False)
    code_id = fields.Many2one("aiflow.oauth.code", ondelete="set null", readonly=True, index=True)
    access_token_hash = fields.Char(required=True, index=True, readonly=True, copy=False)
    refresh_token_hash = fields.Char(required=True, index=True, readonly=True, copy=False)
    # Binds the token to the user's password hash: a password change made by
    # any path (even one that bypasses write()) invalidates the token.
    user_fingerprint = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("access_token_hash_unique", "unique(access_token_hash)", "Access tokens are unique."),
        ("refresh_token_hash_unique", "unique(refresh_token_hash)", "Refresh tokens are unique."),
    ]

    # ------------------------------------------------------------ issuing

    @api.model
    def _oauth_user_fingerprint(self, user):
        self.env.cr.execute(
            "SELECT COALESCE(password, '') FROM res_users WHERE id = %s", (user.id,)
        )
        row = self.env.cr.fetchone()
        password_hash = row[0] if row else ""
        key = self.env["ir.config_parameter"].sudo().get_param("database.secret", "")
        msg = f"{user.id}\n{password_hash}"
        return hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest()

    @api.model
    def _oauth_issue(self, user, client_id, scope, code=None, family=None):
        """Create a token pair; returns a dict with access_token,
        refresh_token, expires_in (seconds) and scope, the tokens in clear."""
        Client = self.env["aiflow.oauth.client"]
        access_ttl = Client._oauth_access_token_ttl()
        refresh_ttl = Client._oauth_refresh_token_ttl()
        access, refresh = oauth2.generate_token(), oauth2.generate_token()
        now = fields.Datetime.now()
        self.sudo().create(
            {
                "user_id": user.id,
                "client_id": client_id,
                "scope": scope,
                "issued_at": now,
                "access_expires_at": now + timedelta(seconds=access_ttl),
                "refresh_expires_at": now + timedelta(seconds=refresh_ttl),
                "family": family or uuid.uuid4().hex,
                "code_id": code.id if code else False,
                "access_token_hash": oauth2.hash_token(access),
                "refresh_token_hash": oauth2.hash_token(refresh),
                "user_fingerprint": self._oauth_user_fingerprint(user),
            }
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": access_ttl,
            "scope": scope,
        }

    def _oauth_user_still_valid(self):
        self.ensure_one()
        user = self.user_id
        return (
            user.active
            and self.user_fingerprint
            and hmac.compare_digest(self.user_fingerprint, self._oauth_user_fingerprint(user))
        )

    # ------------------------------------------------------------ grants

    @api.model
    def _oauth_refresh(self, token_request, client_id):
        """The refresh_token grant: rotate and return a new pair (as _oauth_issue)."""
        if not token_request.refresh_token:
            raise oauth2.invalid_request("The refresh token is missing.")
        token = self.sudo().search(
            [("refresh_token_hash", "=", oauth2.hash_token(token_request.refresh_token))],
            limit=1,
        )
        if not token or not oauth2.constant_time_equals(token.client_id, client_id):
            raise oauth2.invalid_grant("The refresh token is invalid.")
        if token.state == "rotated":
            token._oauth_revoke_family("refresh_reuse")
            raise oauth2.invalid_grant("The refresh token has already been used.")
        if token.state != "active":
            raise oauth2.invalid_grant("The refresh token has been revoked.")
        if token.refresh_expires_at <= fields.Datetime.now():
            raise oauth2.invalid_grant("The refresh token has expired.")
        if not token._oauth_user_still_valid():
            token._oauth_revoke("archived" if not token.user_id.active else "password")
            raise oauth2.invalid_grant("The user's credentials changed; log in again.")
        scope = token.scope
        if token_request.scope:
            try:
                requested = oauth2.normalize_scope(token_request.scope)
            except oauth2.OAuthError:
                requested = None
            # RFC 6749 6: a refresh may narrow the scope, never widen it.
            if requested is None or not set(requested.split()) <= set((scope or "").split()):
                raise oauth2.OAuthError(
                    oauth2.ERROR_INVALID_SCOPE, "The scope exceeds the original grant."
                )
            scope = requested
        if not token._oauth_mark_rotated():
            token._oauth_revoke_family("refresh_reuse")
            raise oauth2.invalid_grant("The refresh token has already been used.")
        return self._oauth_issue(
            token.user_id, client_id, scope, code=token.code_id, family=token.family
        )

    def _oauth_mark_rotated(self):
        # Conditional UPDATE: of two concurrent refreshes with the same token
        # only one rotates; the other counts as reuse.
        self.ensure_one()
        self.env.cr.execute(
            "UPDATE aiflow_oauth_token SET state = 'rotated', write_date = %s "
            "WHERE id = %s AND state = 'active' RETURNING id",
            (fields.Datetime.now(), self.id),
        )
        rotated = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["state"])
        return rotated

    # ------------------------------------------------------------ resource access

    @api.model
    def _oauth_check_access_token(self, access_token):
        """The live token row for a bearer access token, or OAuthError(invalid_token)."""
        token = self.sudo().search(
            [("access_token_hash", "=", oauth2.hash_token(access_token))], limit=1
        )
        if not token:
            raise oauth2.invalid_token("The access token is invalid.")
        if token.state != "active":
            raise oauth2.invalid_token("The access token has been revoked.")
        now = fields.Datetime.now()
        if token.access_expires_at <= now:
            raise oauth2.invalid_token("The access token has expired.")
        if not token._oauth_user_still_valid():
            token._oauth_revoke("archived" if not token.user_id.active else "password")
            raise oauth2.invalid_token("The access token has been revoked.")
        if not token.last_used_at or token.last_used_at < now - LAST_USED_RESOLUTION:
            # apart from the request's transaction: concurrent calls with the
            # same token must not turn into serialization errors
            with self.env["aiflow.oauth.client"]._oauth_side_cursor() as cr:
                cr.execute(
                    "UPDATE aiflow_oauth_token SET last_used_at = %s "
                    "WHERE id = %s AND (last_used_at IS NULL OR last_used_at < %s)",
                    (now, token.id, now - LAST_USED_RESOLUTION),
                )
            token.invalidate_recordset(["last_used_at"])
        return token

    # ------------------------------------------------------------ revocation

    def _oauth_revoke(self, reason):
        live = self.filtered(lambda t: t.state != "revoked")
        if live:
            live.sudo().write(
                {"state": "revoked", "revoked_at": fields.Datetime.now(), "revoke_reason": reason}
            )

    def _oauth_revoke_family(self, reason):
        families = self.mapped("family")
        self.sudo().search([("family", "in", families), ("state", "!=", "revoked")])._oauth_revoke(
            reason
        )

    @api.model
    def _oauth_revoke_code_family(self, code, reason):
        self.sudo().search([("code_id", "=", code.id)])._oauth_revoke_family(reason)

    @api.model
    def _oauth_revoke_users(self, users, reason):
        self.sudo().search([("user_id", "in", users.ids), ("state", "=", "active")])._oauth_revoke(
            reason
        )

    def action_revoke(self):
        self._oauth_revoke("admin")
        return True

    @api.autovacuum
    def _gc_oauth_tokens(self):
        floor = fields.Datetime.now() - TOKEN_RETENTION
        self.sudo().search([("refresh_expires_at", "<", floor)]).unlink()
