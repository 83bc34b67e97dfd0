# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models

from ..protocol import oauth2

# Redeemed or expired codes are kept this long so that a replay is still
# recognised as a replay (and revokes what the code produced).
CODE_RETENTION = timedelta(days=1)


class AiflowOauthCode(models.Model):
    """An authorization code: only its SHA-256 is stored.

    Single use, short-lived, bound to the client, redirect URI, user, scope
    and PKCE challenge of the authorization request that produced it.
    """

    _name = "aiflow.oauth.code"
    _description = "aiflow OAuth2 authorization code"
    _order = "id desc"
    _rec_name = "client_id"

    code_hash = fields.Char(required=True, index=True, readonly=True)
    client_id = fields.Char(string="Client ID", required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="cascade", readonly=True
    )
    redirect_uri = fields.Char(string="Redirect URI", required=True, readonly=True)
    scope = fields.Char(readonly=True)
    code_challenge = fields.Char(readonly=True)
    code_challenge_method = fields.Char(readonly=True)
    expires_at = fields.Datetime(string="Expires", required=True, readonly=True)
    used_at = fields.Datetime(string="Used", readonly=True)

    _sql_constraints = [
        ("code_hash_unique", "unique(code_hash)", "Authorization codes are unique."),
    ]

    @api.model
    def _oauth_issue(self, user, auth_request):
        """Create a code for ``user`` and return it in clear, once."""
        code = oauth2.generate_token()
        ttl = self.env["aiflow.oauth.client"]._oauth_code_ttl()
        self.sudo().create(
            {
                "code_hash": oauth2.hash_token(code),
                "client_id": auth_request.client_id,
                "user_id": user.id,
                "redirect_uri": auth_request.redirect_uri,
                "scope": auth_request.scope,
                "code_challenge": auth_request.code_challenge,
                "code_challenge_method": auth_request.code_challenge
                and auth_request.code_challenge_method,
                "expires_at": fields.Datetime.now() + timedelta(seconds=ttl),
            }
        )
        return code

    def _oauth_burn(self):
        """Mark the code used; False when it already was.

        A conditional UPDATE, so two workers redeeming the same code at once
        cannot both succeed (the loser waits for the row lock and then sees
        it used, or gets a serialization failure that Odoo retries).
        """
        self.ensure_one()
        self.env.cr.execute(
            "UPDATE aiflow_oauth_code SET used_at = %s, write_date = %s "
            "WHERE id = %s AND used_at IS NULL RETURNING id",
            (fields.Datetime.now(), fields.Datetime.now(), self.id),
        )
        burned = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["used_at"])
        return burned

    @api.model
    def _oauth_redeem(self, token_request, client_id):
        """Check the code of an authorization_code grant and burn it.

        Returns the code record. Raises OAuthError(invalid_grant) for a code
        that is unknown, of another client, used, expired, or whose redirect
        URI or PKCE verifier does not match. Any presentation of a known code
        of this client burns it: a code is shown once.
        """
        if not token_request.code:
            raise oauth2.invalid_request("The code parameter is missing.")
        code = self.sudo().search(
            [("code_hash", "=", oauth2.hash_token(token_request.code))], limit=1
        )
        if not code or not oauth2.constant_time_equals(code.client_id, client_id):
            raise oauth2.invalid_grant("The authorization code is invalid.")
        if not code._oauth_burn():
            # RFC 6749 4.1.2: a reused code should revoke what it produced.
            self.env["aiflow.oauth.token"].sudo()._oauth_revoke_code_family(code, "code_reuse")
            raise oauth2.invalid_grant("The authorization code has already been used.")
        if code.expires_at <= fields.Datetime.now():
            raise oauth2.invalid_grant("The authorization code has expired.")
        if token_request.redirect_uri != code.redirect_uri:
            raise oauth2.invalid_grant(
                "The redirect URI does not match the one of the authorization request."
            )
        if code.code_challenge:
            if not token_request.code_verifier:
                raise oauth2.invalid_grant("The code_verifier is required.")
            if not oauth2.verify_pkce_s256(token_request.code_verifier, code.code_challenge):
                raise oauth2.invalid_grant("The code_verifier does not match the code_challenge.")
        elif token_request.code_verifier:
            # A verifier for a code issued without a challenge hints at a
            # downgrade (the challenge stripped from the authorize request).
            raise oauth2.invalid_grant("No code_challenge was sent for this code.")
        if not code.user_id.active:
            raise oauth2.invalid_grant("The user is no longer active.")
        return code

    @api.autovacuum
    def _gc_oauth_codes(self):
        floor = fields.Datetime.now() - CODE_RETENTION
        self.sudo().search([("expires_at", "<", floor)]).unlink()
