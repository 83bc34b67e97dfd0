# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models
from odoo.exceptions import UserError

from .. import settings as aiflow_settings
from ..protocol import errors
from ..protocol.client import AiflowClient
from ..protocol.signing import (
    METHOD_BUILTIN,
    METHOD_SDK,
    Credential,
    Signer,
    VendorSdkUnavailable,
    vendor_sdk_error,
)
from .res_config_settings import is_http_url


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
        configured.
        """
        settings = settings or self._aiflow_settings()
        self._aiflow_require(settings, aiflow_settings.CREDENTIALS)
        if not is_http_url(settings.base_url):
            raise UserError(
                self.env._(
                    "The aiflow base URL must start with http:// or https:// and "
                    "name a host, e.g. https://aiflow.example.com (got %(url)s).",
                    url=settings["base_url"],
                )
            )
        return AiflowClient(
            settings.base_url,
            self._aiflow_signer(settings),
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    @api.model
    def _aiflow_error_message(self, error, settings=None):
        """What an :class:`AiflowError` means, in the user's language.

        Never contains a secret: only the base URL, timeouts, statuses and
        aiflow's own ``msg``.
        """
        settings = settings or self._aiflow_settings()
        url = settings["base_url"]
        reason = error.reason
        if reason == errors.REASON_UNREACHABLE:
            return self.env._(
                "Unreachable: aiflow could not be reached at %(url)s. Check the "
                "base URL and that the Odoo server can connect to it.",
                url=url,
            )
        if reason == errors.REASON_TLS:
            return self.env._(
                "TLS error: no secure connection could be made to %(url)s "
                "(check http:// versus https:// and the server certificate). "
                "Details: %(details)s",
                url=url,
                details=error.message,
            )
        if reason == errors.REASON_TIMEOUT:
            return self.env._(
                "Timeout: aiflow at %(url)s did not answer in time (connect "
                "timeout %(connect)s s, read timeout %(read)s s).",
                url=url,
                connect=_format_seconds(settings["connect_timeout"]),
                read=_format_seconds(settings["read_timeout"]),
            )
        if reason == errors.REASON_SIGNATURE:
            return self.env._(
                "Signature rejected: aiflow refused the request signature. Check "
                "the enterprise code, app ID and app secret (and the signing "
                "method)."
            )
        http_status = error.http_status if error.http_status is not None else "-"
        if error.msg:
            return self.env._(
                "Error from aiflow: %(msg)s (HTTP status %(http_status)s, aiflow "
                "status %(status)s).",
                msg=error.msg,
                http_status=http_status,
                status=error.status if error.status is not None else "-",
            )
        return self.env._(
            "Error from aiflow: HTTP status %(http_status)s without an aiflow "
            "message. Details: %(details)s",
            http_status=http_status,
            details=error.message,
        )

    @api.model
    def _aiflow_test_connection(self):
        """Ping aiflow with the saved settings: ``(ok, message)``.

        The ping is a signed empty department sync, which changes nothing in
        aiflow.
        """
        settings = self._aiflow_settings()
        try:
            with self._aiflow_client(settings) as client:
                client.ping()
        except UserError as exc:
            return False, exc.args[0]
        except VendorSdkUnavailable as exc:
            return False, self._aiflow_sdk_unavailable_message(str(exc))
        except errors.AiflowError as exc:
            return False, self._aiflow_error_message(exc, settings)
        return True, self.env._(
            "OK: aiflow at %(url)s accepted the signed request.",
            url=settings["base_url"],
        )
