# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..protocol import base_url as base_url_rules
from ..protocol import errors, tls_problem
from ..protocol.client import AiflowClient
from ..protocol.signing import (
    METHOD_BUILTIN,
    METHOD_SDK,
    Credential,
    Signer,
    vendor_sdk_error,
)


def _format_seconds(seconds):
    return f"{seconds:g}"


class AiflowConnection(models.AbstractModel):
    """The Odoo side of the connection: settings in, protocol objects out."""

    _name = "aiflow.connection"
    _description = "aiflow Connection"

    @api.model
    def _aiflow_settings(self):
        """The saved settings (:class:`..settings.Settings`, secrets included:
        callers must never log or display them)."""
        return aiflow_settings.of_env(self.env)

    def _aiflow_setting_labels(self):
        return {
            "base_url": self.env._("aiflow Base URL"),
            "enterprise_code": self.env._("Enterprise Code"),
            "app_id": self.env._("App ID"),
            "app_secret": self.env._("App Secret"),
        }

    def _aiflow_require(self, settings, names):
        labels = self._aiflow_setting_labels()
        missing = [labels[name] for name in names if not getattr(settings, name)]
        if missing:
            raise UserError(
                self.env._(
                    "aiflow is not configured: %(missing)s missing. Set it in Settings > aiflow.",
                    missing=", ".join(missing),
                )
            )

    def _aiflow_sdk_unavailable_message(self, reason):
        return self.env._(
            "The vendor SDK aflow-client-python (from auth import ASign, "
            "Credential) cannot be imported: %(reason)s. Install it in Odoo's "
            "Python environment or choose the built-in signing method.",
            reason=reason,
        )

    @api.model
    def _aiflow_signer(self, settings=None):
        """The :class:`Signer` for the configured credential and method."""
        settings = settings or self._aiflow_settings()
        self._aiflow_require(settings, ("enterprise_code", "app_id", "app_secret"))
        method = settings.signing_method
        if method not in (METHOD_BUILTIN, METHOD_SDK):
            raise UserError(
                self.env._(
                    "Unknown aiflow signing method %(method)s: choose one in Settings > aiflow.",
                    method=method,
                )
            )
        if method == METHOD_SDK:
            reason = vendor_sdk_error()
            if reason:
                raise UserError(self._aiflow_sdk_unavailable_message(reason))
        credential = Credential(
            enterprise_code=settings.enterprise_code,
            app_id=settings.app_id,
            app_secret=settings.app_secret,
        )
        return Signer(credential, method=method)

    @api.model
    def _aiflow_client(self, settings=None):
        """An :class:`AiflowClient` built from the saved settings.

        Raises a UserError naming what is missing when aiflow is not
        configured, or what is wrong with the base URL: nothing is sent then.
        """
        settings = settings or self._aiflow_settings()
        self._aiflow_require(settings, aiflow_settings.CREDENTIALS)
        check = base_url_rules.check_base_url(settings.base_url)
        if not check.ok:
            raise UserError(self._aiflow_base_url_message(check, settings.base_url))
        return AiflowClient(
            check.url,
            self._aiflow_signer(settings),
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    @api.model
    def _aiflow_base_url_message(self, check, url):
        """Why ``url`` is not a usable aiflow base URL (``check``: its
        :class:`BaseUrlCheck`), in the user's language. The one message for
        Settings and for every call to aiflow."""
        return self.env._(
            'The aiflow base URL "%(url)s" is invalid: %(problem)s.',
            url=url,
            problem=self._aiflow_base_url_problem(check),
        )

    def _aiflow_base_url_problem(self, check):
        details = check.details
        _ = self.env._
        if check.problem == base_url_rules.PROBLEM_FULL_WIDTH and details["ascii"]:
            return _(
                'it contains the full-width character "%(char)s" (%(codepoint)s) at '
                'position %(position)s: type the half-width "%(ascii)s" instead',
                **details,
            )
        problems = {
            base_url_rules.PROBLEM_EMPTY: lambda: _("it is empty"),
            base_url_rules.PROBLEM_FULL_WIDTH: lambda: _(
                'it contains the full-width character "%(char)s" (%(codepoint)s) at '
                "position %(position)s: use half-width characters",
                **details,
            ),
            base_url_rules.PROBLEM_SPACE: lambda: _(
                "it contains a space at position %(position)s", **details
            ),
            base_url_rules.PROBLEM_CONTROL: lambda: _(
                "it contains an invisible character (%(codepoint)s) at position %(position)s",
                **details,
            ),
            base_url_rules.PROBLEM_SCHEME_MISSING: lambda: _(
                "it does not start with http:// or https:// (did you mean %(suggestion)s?)",
                **details,
            ),
            base_url_rules.PROBLEM_SCHEME: lambda: _(
                'it must start with http:// or https://, not "%(start)s"', **details
            ),
            base_url_rules.PROBLEM_USERINFO: lambda: _(
                "it contains a user name or password (before @): the credentials "
                "belong in their own fields"
            ),
            base_url_rules.PROBLEM_HOST_MISSING: lambda: _(
                "it names no host, e.g. https://aiflow.example.com"
            ),
            base_url_rules.PROBLEM_HOST: lambda: _(
                '"%(host)s" is not a valid host name', **details
            ),
            base_url_rules.PROBLEM_PORT: lambda: _(
                'the port "%(port)s" is not a number from 1 to 65535', **details
            ),
            base_url_rules.PROBLEM_QUERY: lambda: _(
                'it contains a query "?%(query)s": the base URL ends with the host '
                "or a path prefix",
                **details,
            ),
            base_url_rules.PROBLEM_FRAGMENT: lambda: _(
                'it contains a fragment "#%(fragment)s": the base URL ends with the '
                "host or a path prefix",
                **details,
            ),
            base_url_rules.PROBLEM_PATH: lambda: _(
                '"%(path)s" is not a valid path prefix', **details
            ),
        }
        return problems[check.problem]()

    @api.model
    def _aiflow_base_url_removed_message(self, check):
        """Says that a pasted aiflow endpoint path was cut off the base URL."""
        return self.env._(
            "The aiflow endpoint path %(path)s was removed from the base URL: "
            "Odoo adds the path of each call itself. The base URL is now %(url)s.",
            path=check.removed_path,
            url=check.url,
        )

    def _aiflow_tls_reason(self, error):
        """The short reason of a TLS failure, in the user's language."""
        _ = self.env._
        detail = error.cause_detail or ""
        reasons = {
            tls_problem.TLS_SELF_SIGNED: lambda: _(
                "certificate verify failed: self-signed certificate"
            ),
            tls_problem.TLS_EXPIRED: lambda: _(
                "certificate verify failed: the certificate has expired"
            ),
            tls_problem.TLS_UNKNOWN_ISSUER: lambda: _(
                "certificate verify failed: the certificate's issuer is not trusted "
                "by the Odoo server"
            ),
            tls_problem.TLS_HOSTNAME_MISMATCH: lambda: _(
                "certificate verify failed: the certificate is for another host name"
            ),
            tls_problem.TLS_CERTIFICATE: lambda: _(
                "certificate verify failed: %(detail)s", detail=detail
            ),
            tls_problem.TLS_NOT_TLS: lambda: _(
                "wrong version number (is it http:// instead of https://?)"
            ),
        }
        return reasons[error.cause]() if error.cause in reasons else detail or error.message

    def _aiflow_timeout_message(self, error, url):
        seconds = _format_seconds(error.limit_seconds) if error.limit_seconds else "?"
        if error.cause == errors.CAUSE_CONNECT_TIMEOUT:
            return self.env._(
                "Timeout: no connection to %(url)s within %(seconds)s s (connect "
                "timeout). Check the address and that the Odoo server can reach it.",
                url=url,
                seconds=seconds,
            )
        return self.env._(
            "Timeout: %(url)s accepted the connection but sent no answer within "
            "%(seconds)s s (read timeout).",
            url=url,
            seconds=seconds,
        )

    @api.model
    def _aiflow_error_message(self, error, settings=None):
        """What an :class:`AiflowError` means, in the user's language.

        aiflow's own words (often Chinese) are quoted next to the message,
        never the whole message. Never contains a secret: only the base URL,
        limits, statuses and aiflow's own ``msg``.
        """
        settings = settings or self._aiflow_settings()
        url = settings["base_url"]
        reason = error.reason
        _ = self.env._
        http_status = error.http_status if error.http_status is not None else "-"
        if reason == errors.REASON_INVALID_URL:
            if error.cause:
                check = base_url_rules.check_base_url(url)
                if not check.ok:
                    return self._aiflow_base_url_message(check, url)
            return _(
                'The aiflow URL "%(url)s" cannot be used (%(details)s): nothing was sent.',
                url=url,
                details=error.cause_detail or error.message,
            )
        if reason == errors.REASON_UNREACHABLE:
            return _(
                "Unreachable: aiflow could not be reached at %(url)s. Check the "
                "base URL and that the Odoo server can connect to it.",
                url=url,
            )
        if reason == errors.REASON_TLS:
            return _(
                "TLS error: no secure connection could be made to %(url)s: %(reason)s.",
                url=url,
                reason=self._aiflow_tls_reason(error),
            )
        if reason == errors.REASON_TIMEOUT:
            return self._aiflow_timeout_message(error, url)
        if reason == errors.REASON_SIGNATURE and error.cause == errors.CAUSE_SDK_UNAVAILABLE:
            return self._aiflow_sdk_unavailable_message(error.cause_detail)
        if reason == errors.REASON_SIGNATURE and error.said:
            return _(
                'Signature rejected: aiflow refused the request signature ("%(said)s"). '
                "Check the enterprise code, app ID and app secret (and the signing "
                "method).",
                said=error.said,
            )
        if reason == errors.REASON_SIGNATURE:
            return _(
                "Signature rejected: aiflow refused the request signature. Check "
                "the enterprise code, app ID and app secret (and the signing "
                "method)."
            )
        if reason == errors.REASON_NOT_AIFLOW:
            return _(
                "The server at %(url)s answered (HTTP status %(http_status)s) but "
                "does not look like aiflow. Check the base URL.",
                url=url,
                http_status=http_status,
            )
        if reason == errors.REASON_BAD_RESPONSE and error.cause == errors.CAUSE_REDIRECT:
            return _(
                "The server at %(url)s answered with a redirect (HTTP status "
                "%(http_status)s) to %(location)s. aiflow does not redirect its "
                "calls: check the base URL (http:// or https://, the host).",
                url=url,
                http_status=http_status,
                location=error.cause_detail or "-",
            )
        if error.status is not None and error.said:
            if reason == errors.REASON_REJECTED:
                return _(
                    'aiflow refused the request (status %(status)s): "%(said)s"',
                    status=error.status,
                    said=error.said,
                )
            return _(
                'aiflow could not handle the request (status %(status)s): "%(said)s". '
                "It may work later.",
                status=error.status,
                said=error.said,
            )
        if error.status is not None:
            return _(
                "aiflow answered with status %(status)s (HTTP status %(http_status)s) "
                "without saying why.",
                status=error.status,
                http_status=http_status,
            )
        if reason == errors.REASON_SERVER:
            return _(
                "aiflow at %(url)s is unavailable (HTTP status %(http_status)s). It "
                "may work later.",
                url=url,
                http_status=http_status,
            )
        return _(
            "The exchange with aiflow at %(url)s failed: %(details)s",
            url=url,
            details=error.message,
        )

    @api.model
    def _aiflow_test_connection(self):
        """Ping aiflow with the saved settings: ``(ok, message)``.

        The ping is a signed empty department sync, which changes nothing in
        aiflow. It waits less than the sync does (see
        :meth:`AiflowClient.connection_test`): an administrator waits for it.
        """
        settings = self._aiflow_settings()
        try:
            with self._aiflow_client(settings) as client:
                client.connection_test()
        except UserError as exc:
            return False, exc.args[0]
        except errors.AiflowError as exc:
            return False, self._aiflow_error_message(exc, settings)
        return True, self.env._(
            "OK: aiflow at %(url)s accepted the signed request.",
            url=settings["base_url"],
        )
