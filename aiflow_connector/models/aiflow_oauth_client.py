# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import contextlib
import logging

from odoo import api, models

from .. import settings as aiflow_settings
from ..protocol import oauth2

_logger = logging.getLogger(__name__)


class AiflowOauthClient(models.AbstractModel):
    """The one OAuth2 client Odoo knows: aiflow, configured in Settings.

    Its id, hashed secret and redirect URIs are ``ir.config_parameter`` keys
    (DESIGN.md, settings), so this is an abstract model: behaviour, no table.
    """

    _name = "aiflow.oauth.client"
    _description = "aiflow OAuth2 client"

    # ------------------------------------------------------------ settings

    @api.model
    def _oauth_settings(self):
        return aiflow_settings.of_env(self.env)

    @api.model
    def _oauth_code_ttl(self):
        return self._oauth_settings().oauth_code_ttl

    @api.model
    def _oauth_access_token_ttl(self):
        return self._oauth_settings().oauth_access_token_ttl

    @api.model
    def _oauth_refresh_token_ttl(self):
        return self._oauth_settings().oauth_refresh_token_ttl

    @api.model
    def _oauth_client_id(self):
        """The client id, defaulting to the aiflow app id (DESIGN.md)."""
        return self._oauth_settings().oauth_client_id

    @api.model
    def _oauth_redirect_uris(self):
        return list(self._oauth_settings().oauth_redirect_uris)

    @api.model
    @contextlib.contextmanager
    def _oauth_side_cursor(self):
        """A cursor for bookkeeping (failure counters, last use) that commits
        on its own, in READ COMMITTED.

        Under Odoo's REPEATABLE READ, two workers updating the same counter
        row make one of them fail with a serialization error: Odoo retries
        the whole request (hashing the secret again) and logs the failed
        query as an ERROR. READ COMMITTED waits for the other update and
        applies on top of it. Committing apart also keeps a failure counted
        whatever happens to the request's own transaction.
        """
        if self.env.registry.in_test_mode():
            # Tests share one transaction with the HTTP server: stay in it.
            yield self.env.cr
            return
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield cr

    # ------------------------------------------------------------ secret

    @api.model
    def _oauth_crypt_context(self):
        # The secret is stored like Odoo stores passwords (passlib
        # pbkdf2_sha512, same rounds): an admin may type a low-entropy secret
        # (the spec's example is "client_secret"), and a leaked database must
        # not let anyone test guesses offline. A fast SHA-256 would only be
        # safe for secrets we generate ourselves. The cost (~0.5 s) is paid
        # once per code exchange or refresh; online guessing is throttled.
        return self.env["res.users"]._crypt_context()

    @api.model
    def _oauth_set_client_secret(self, secret):
        """Store ``secret`` hashed; an empty value removes the secret, which
        disables the client until a new one is set."""
        ICP = self.env["ir.config_parameter"].sudo()
        key = aiflow_settings.BY_NAME["oauth_client_secret"].key
        if not secret:
            ICP.set_param(key, False)
            return
        ICP.set_param(key, self._oauth_crypt_context().hash(secret))

    @api.model
    def _oauth_has_client_secret(self):
        return bool(self._oauth_settings().oauth_client_secret)

    @api.model
    def _oauth_check_client_secret(self, secret):
        """Constant-time check of a presented secret against the stored one.

        A value set directly as plain text (a deployment script writing the
        config parameter) is accepted once and replaced by its hash.
        """
        stored = self._oauth_settings().oauth_client_secret
        if not stored or not secret:
            return False
        ctx = self._oauth_crypt_context()
        if ctx.identify(stored, required=False) == "pbkdf2_sha512":
            try:
                return ctx.verify(secret, stored)
            except ValueError:
                return False
        if not oauth2.constant_time_equals(secret, stored):
            return False
        self._oauth_set_client_secret(secret)
        return True

    # ------------------------------------------------------------ authentication

    @api.model
    def _oauth_authenticate(self, token_request, remote_addr):
        """Authenticate the client of a token request or raise OAuthError.

        Throttling comes first, so a locked-out caller pays no hashing work
        and learns nothing about the secret.
        """
        Throttle = self.env["aiflow.oauth.throttle"].sudo()
        client_id = token_request.client_id or ""
        retry_after = Throttle._oauth_count_attempt(client_id, remote_addr)
        if retry_after:
            raise oauth2.OAuthError(
                oauth2.ERROR_INVALID_CLIENT,
                "Too many failed client authentications; retry later.",
                429,
                {"Retry-After": str(retry_after)},
            )
        expected = self._oauth_client_id()
        ok = (
            bool(expected)
            and oauth2.constant_time_equals(client_id, expected)
            and self._oauth_check_client_secret(token_request.client_secret)
        )
        if not ok:
            # already counted by _oauth_count_attempt
            _logger.info(
                "OAuth2 client authentication failed for client id %r from %s",
                client_id[:64],
                remote_addr,
            )
            raise oauth2.invalid_client(
                "Client authentication failed.", token_request.basic_auth_used
            )
        Throttle._oauth_forget(client_id, remote_addr)
        return client_id
