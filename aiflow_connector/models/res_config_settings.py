# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from ..protocol import base_url as base_url_rules
from ..protocol import webhook
from ..protocol.signing import METHOD_BUILTIN, METHOD_SDK, vendor_sdk_error
from ..settings import BY_NAME


def _key(name):
    return BY_NAME[name].key


def _default(name):
    return BY_NAME[name].default


# Paths Odoo serves for aiflow; the integrator enters them in aiflow.
ODOO_ENDPOINT_PATHS = {
    "aiflow_url_oauth_authorize": "/odoo/api/oauth2/authorize",
    "aiflow_url_oauth_token": "/odoo/api/oauth2/token",
    "aiflow_url_oauth_userinfo": "/odoo/api/oauth2/userinfo",
    "aiflow_url_workflow_receive": webhook.PATHS[webhook.WORKFLOW],
    "aiflow_url_approval_log": webhook.PATHS[webhook.APPROVAL_LOG],
}

# field, parameter, lowest, highest (None: no limit), as declared.
SYNC_NUMBER_RANGES = tuple(
    (f"aiflow_{name}", name, BY_NAME[name].low, BY_NAME[name].high)
    for name in ("sync_batch_size", "sync_max_attempts", "outbox_vacuum_days")
)
SECRET_FIELDS = ("aiflow_app_secret", "aiflow_oauth_client_secret")
# What sync needs before it may be turned on (parameter names).
SYNC_CREDENTIALS = ("base_url", "enterprise_code", "app_id", "app_secret")


def is_http_url(value):
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    aiflow_base_url = fields.Char(
        string="aiflow Base URL",
        config_parameter=_key("base_url"),
        help="Address of the aiflow process center, e.g. https://aiflow.example.com",
    )
    aiflow_enterprise_code = fields.Char(
        string="Enterprise Code",
        config_parameter=_key("enterprise_code"),
        help="Enterprise code aiflow assigned to this company.",
    )
    aiflow_app_id = fields.Char(
        string="App ID",
        config_parameter=_key("app_id"),
        help="Application ID aiflow assigned to this Odoo.",
    )
    aiflow_app_secret = fields.Char(
        string="App Secret",
        config_parameter=_key("app_secret"),
        groups="base.group_system",
        help="Shared secret that signs every request between Odoo and aiflow.",
    )
    aiflow_oauth_client_id = fields.Char(
        string="OAuth Client ID",
        config_parameter=_key("oauth_client_id"),
        help="Client ID aiflow sends when users log in with their Odoo account. "
        "Defaults to the App ID when empty.",
    )
    # Not a config_parameter field: the parameter holds a passlib hash (see
    # aiflow.oauth.client), so the form starts empty and set_values hashes
    # what the administrator types; left empty, the current secret is kept.
    aiflow_oauth_client_secret = fields.Char(
        string="OAuth Client Secret",
        groups="base.group_system",
        help="Client secret aiflow uses at the Odoo token endpoint. Odoo keeps "
        "only a hash of it: type a new one to replace it, leave the field "
        "empty to keep the current one.",
    )
    aiflow_oauth_client_secret_set = fields.Boolean(
        string="OAuth Client Secret Set",
        compute="_compute_aiflow_oauth_client_secret_set",
    )
    aiflow_oauth_code_ttl = fields.Integer(
        string="Authorization Code Lifetime (s)",
        config_parameter=_key("oauth_code_ttl"),
        default=_default("oauth_code_ttl"),
        help="Seconds an authorization code stays valid before aiflow must exchange it.",
    )
    aiflow_oauth_access_token_ttl = fields.Integer(
        string="Access Token Lifetime (s)",
        config_parameter=_key("oauth_access_token_ttl"),
        default=_default("oauth_access_token_ttl"),
        help="Seconds an access token is accepted by the user info endpoint.",
    )
    aiflow_oauth_refresh_token_ttl = fields.Integer(
        string="Refresh Token Lifetime (s)",
        config_parameter=_key("oauth_refresh_token_ttl"),
        default=_default("oauth_refresh_token_ttl"),
        help="Seconds a refresh token can be used to get new tokens "
        "(2592000 = 30 days). Each refresh replaces it.",
    )
    # Odoo refuses config_parameter on Text fields; get_values/set_values store
    # it in the same way under aiflow_connector.oauth_redirect_uris.
    aiflow_oauth_redirect_uris = fields.Text(
        string="OAuth Redirect URIs",
        help="aiflow callback addresses allowed after login, one per line. "
        "A redirect URI must match one of them exactly.",
    )
    aiflow_timezone = fields.Selection(
        _tz_get,
        string="aiflow Timezone",
        config_parameter=_key("timezone"),
        default=_default("timezone"),
        help="Timezone of the times exchanged with aiflow (yyyy-MM-dd HH:mm:ss).",
    )
    aiflow_sync_enabled = fields.Boolean(
        string="Synchronise with aiflow",
        config_parameter=_key("sync_enabled"),
        help="Send departments, employees, flows (task center and process engine), "
        "their forms, orders and approval logs to aiflow. Turn on once the connection "
        "test succeeds; while it is off, changes wait in the sync queue.",
    )
    aiflow_sync_batch_size = fields.Integer(
        string="Sync Batch Size",
        config_parameter=_key("sync_batch_size"),
        default=_default("sync_batch_size"),
        help="Departments or users sent to aiflow in one request (1 to 1,000).",
    )
    aiflow_sync_max_attempts = fields.Integer(
        string="Maximum Attempts",
        config_parameter=_key("sync_max_attempts"),
        default=_default("sync_max_attempts"),
        help="Tries of a call that fails for a passing reason (aiflow "
        "unreachable, busy, timing out) before it is marked dead. Waits grow "
        "from 30 seconds to one hour between tries.",
    )
    aiflow_outbox_vacuum_days = fields.Integer(
        string="Keep Delivered Rows (days)",
        config_parameter=_key("outbox_vacuum_days"),
        default=_default("outbox_vacuum_days"),
        help="Delivered and cancelled rows of the sync queue older than this "
        "are removed every day.",
    )
    aiflow_sync_company_ids = fields.Many2many(
        "res.company",
        string="Companies to Sync",
        compute="_compute_aiflow_sync_company_ids",
        inverse="_inverse_aiflow_sync_company_ids",
        help="Only departments and employees of these companies are sent to "
        "aiflow. Leave empty to send those of every company.",
    )

    # The settings form computes its unsaved record's fields only through
    # their dependencies (company_id has a default, as in base_setup):
    # without one this field would show empty, and the record's creation
    # (any button in Settings saves first) would reset the scope to every
    # company through the inverse.
    @api.depends("company_id")
    def _compute_aiflow_sync_company_ids(self):
        company_ids = self.env["hr.department"]._aiflow_sync_company_ids() or set()
        companies = self.env["res.company"].sudo().browse(sorted(company_ids)).exists()
        for settings in self:
            settings.aiflow_sync_company_ids = companies

    def _inverse_aiflow_sync_company_ids(self):
        for settings in self:
            self.env["hr.department"]._aiflow_set_sync_companies(
                settings.aiflow_sync_company_ids.ids
            )

    aiflow_signing_method = fields.Selection(
        [
            (METHOD_BUILTIN, "Built-in (HMAC-SHA256)"),
            (METHOD_SDK, "Vendor SDK (aflow-client-python)"),
        ],
        string="Signing Method",
        config_parameter=_key("signing_method"),
        default=_default("signing_method"),
        help="How the A-Signature header is computed. The vendor SDK must be "
        "installed in Odoo's Python environment to be chosen.",
    )
    aiflow_signing_warning = fields.Char(
        string="Signing Warning",
        compute="_compute_aiflow_signing_warning",
    )
    aiflow_connect_timeout = fields.Integer(
        string="Connect Timeout (s)",
        config_parameter=_key("connect_timeout"),
        default=int(_default("connect_timeout")),
        help="Seconds to wait for a connection to aiflow.",
    )
    aiflow_read_timeout = fields.Integer(
        string="Read Timeout (s)",
        config_parameter=_key("read_timeout"),
        default=int(_default("read_timeout")),
        help="Seconds to wait for aiflow's answer once connected.",
    )
    aiflow_url_oauth_authorize = fields.Char(
        string="Authorization Endpoint",
        compute="_compute_aiflow_odoo_urls",
    )
    aiflow_url_oauth_token = fields.Char(
        string="Token Endpoint",
        compute="_compute_aiflow_odoo_urls",
    )
    aiflow_url_oauth_userinfo = fields.Char(
        string="User Info Endpoint",
        compute="_compute_aiflow_odoo_urls",
    )
    aiflow_url_workflow_receive = fields.Char(
        string="Workflow Events Webhook",
        compute="_compute_aiflow_odoo_urls",
    )
    aiflow_url_approval_log = fields.Char(
        string="Approval Logs Webhook",
        compute="_compute_aiflow_odoo_urls",
    )

    @api.depends("aiflow_signing_method")
    def _compute_aiflow_signing_warning(self):
        for settings in self:
            reason = vendor_sdk_error() if settings.aiflow_signing_method == METHOD_SDK else None
            settings.aiflow_signing_warning = (
                self._aiflow_sdk_unavailable_message(reason) if reason else False
            )

    @api.depends("company_id")
    def _compute_aiflow_odoo_urls(self):
        base = (self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "").rstrip("/")
        for settings in self:
            for field_name, path in ODOO_ENDPOINT_PATHS.items():
                settings[field_name] = base + path

    def _aiflow_sdk_unavailable_message(self, reason):
        return self.env["aiflow.connection"]._aiflow_sdk_unavailable_message(reason)

    def _aiflow_timeout_message(self, key, value):
        if key == "connect_timeout":
            return self.env._(
                "The aiflow connect timeout must be a positive number of seconds (got %(value)s).",
                value=value,
            )
        return self.env._(
            "The aiflow read timeout must be a positive number of seconds (got %(value)s).",
            value=value,
        )

    def _aiflow_number_message(self, field_name, low, high):
        label = self._fields[field_name].get_description(self.env)["string"]
        if high:
            return self.env._(
                "%(field)s must be a whole number from %(low)s to %(high)s.",
                field=label,
                low=low,
                high=high,
            )
        return self.env._(
            "%(field)s must be a whole number of at least %(low)s.", field=label, low=low
        )

    def _aiflow_current(self, name):
        return self.env["ir.config_parameter"].sudo().get_param(_key(name))

    def _aiflow_check_and_normalize(self):
        """Refuse invalid aiflow values before anything is stored.

        Only values that differ from the stored ones are checked, so an
        unrelated General Settings save is never blocked by the state of the
        Odoo server (e.g. the vendor SDK removed after it was chosen).
        """
        for settings in self:
            typed = (settings.aiflow_base_url or "").strip()
            if typed.rstrip("/") != (settings._aiflow_current("base_url") or ""):
                base_url = ""
                if typed:
                    check = base_url_rules.check_base_url(typed)
                    if not check.ok:
                        raise ValidationError(
                            self.env["aiflow.connection"]._aiflow_base_url_message(check, typed)
                        )
                    base_url = check.url
                settings.aiflow_base_url = base_url or False

            uris = [
                line.strip()
                for line in (settings.aiflow_oauth_redirect_uris or "").splitlines()
                if line.strip()
            ]
            redirect_uris = "\n".join(uris)
            if redirect_uris != (settings._aiflow_current("oauth_redirect_uris") or ""):
                for uri in uris:
                    if not is_http_url(uri):
                        raise ValidationError(
                            self.env._(
                                "Each OAuth redirect URI must be an absolute "
                                "http:// or https:// address (got %(uri)s).",
                                uri=uri,
                            )
                        )
                settings.aiflow_oauth_redirect_uris = redirect_uris or False

            timeouts = (
                ("aiflow_connect_timeout", "connect_timeout"),
                ("aiflow_read_timeout", "read_timeout"),
            )
            for field_name, key in timeouts:
                value = settings[field_name]
                if str(value) != (settings._aiflow_current(key) or "") and value <= 0:
                    raise ValidationError(settings._aiflow_timeout_message(key, value))

            for field_name, key, low, high in SYNC_NUMBER_RANGES:
                value = settings[field_name]
                out_of_range = value < low or (high is not None and value > high)
                if out_of_range and str(value) != (settings._aiflow_current(key) or ""):
                    raise ValidationError(settings._aiflow_number_message(field_name, low, high))

            if (
                settings.aiflow_signing_method == METHOD_SDK
                and settings._aiflow_current("signing_method") != METHOD_SDK
            ):
                reason = vendor_sdk_error()
                if reason:
                    raise UserError(self._aiflow_sdk_unavailable_message(reason))

    @api.onchange("aiflow_base_url")
    def _onchange_aiflow_base_url(self):
        """Say at once what is wrong with a typed base URL, and cut a pasted
        aiflow endpoint path off it (saving checks the same again)."""
        typed = (self.aiflow_base_url or "").strip()
        if not typed:
            return None
        check = base_url_rules.check_base_url(typed)
        connection = self.env["aiflow.connection"]
        if not check.ok:
            message = connection._aiflow_base_url_message(check, typed)
        else:
            if check.url != typed:
                self.aiflow_base_url = check.url
            if not check.removed_path:
                return None
            message = connection._aiflow_base_url_removed_message(check)
        return {"warning": {"title": self.env._("aiflow Base URL"), "message": message}}

    def _aiflow_missing_credentials(self):
        """Labels of what sync needs and this form lacks. A value the form
        does not carry (a write-only secret left empty keeps the saved one)
        counts as the saved value."""
        labels = self.env["aiflow.connection"]._aiflow_setting_labels()
        missing = []
        for key in SYNC_CREDENTIALS:
            field_name = "aiflow_" + key
            value = (self[field_name] or "").strip()
            if not value and not self._fields[field_name].config_parameter:
                value = (self._aiflow_current(key) or "").strip()
            if not value:
                missing.append(labels[key])
        return missing

    def _aiflow_sync_credentials_message(self, missing):
        return self.env._(
            "Synchronising with aiflow needs the base URL, enterprise code, app ID "
            "and app secret; missing: %(missing)s. Fill them in, or leave "
            "synchronisation off.",
            missing=", ".join(missing),
        )

    @api.onchange("aiflow_sync_enabled")
    def _onchange_aiflow_sync_enabled(self):
        if not self.aiflow_sync_enabled:
            return None
        missing = self._aiflow_missing_credentials()
        if not missing:
            return None
        self.aiflow_sync_enabled = False
        return {
            "warning": {
                "title": self.env._("Synchronise with aiflow"),
                "message": self._aiflow_sync_credentials_message(missing),
            }
        }

    def _aiflow_check_sync_credentials(self):
        """Refuse a save that turns sync on, or changes a credential while it
        is on, with a credential missing: the worker could only fail. A save
        that touches neither is not blocked by an older state."""
        for settings in self:
            if not settings.aiflow_sync_enabled:
                continue
            missing = settings._aiflow_missing_credentials()
            if not missing:
                continue
            was_on = self.env["aiflow.connection"]._aiflow_settings()["sync_enabled"]
            changed = any(
                settings._fields["aiflow_" + key].config_parameter
                and (settings["aiflow_" + key] or "").strip()
                != (settings._aiflow_current(key) or "").strip()
                for key in SYNC_CREDENTIALS
            )
            if changed or not was_on:
                raise ValidationError(settings._aiflow_sync_credentials_message(missing))

    @api.model
    def default_get(self, fields_list):
        # Config parameters are read with sudo here: without this check any
        # user could read the secrets through an RPC call to default_get.
        self.check_field_access_rights(
            "read", [name for name in fields_list if name in SECRET_FIELDS]
        )
        return super().default_get(fields_list)

    @api.model
    def get_values(self):
        res = super().get_values()
        res["aiflow_oauth_redirect_uris"] = self._aiflow_current("oauth_redirect_uris") or False
        return res

    def set_values(self):
        self._aiflow_check_and_normalize()
        self._aiflow_check_sync_credentials()
        self._aiflow_oauth_set_values()
        res = super().set_values()
        # Rows queued while sync was off go out now that it may be on.
        self.env["aiflow.outbox"]._aiflow_trigger_worker()
        params = self.env["ir.config_parameter"].sudo()
        for settings in self:
            if (settings.aiflow_oauth_redirect_uris or False) != (
                settings._aiflow_current("oauth_redirect_uris") or False
            ):
                params.set_param(
                    _key("oauth_redirect_uris"),
                    settings.aiflow_oauth_redirect_uris or False,
                )
        return res

    @api.depends("company_id")
    def _compute_aiflow_oauth_client_secret_set(self):
        is_set = self.env["aiflow.oauth.client"].sudo()._oauth_has_client_secret()
        for settings in self:
            settings.aiflow_oauth_client_secret_set = is_set

    def _aiflow_oauth_set_values(self):
        """Check the OAuth lifetimes and store a newly typed client secret hashed."""
        lifetimes = (
            "aiflow_oauth_code_ttl",
            "aiflow_oauth_access_token_ttl",
            "aiflow_oauth_refresh_token_ttl",
        )
        for settings in self:
            for field_name in lifetimes:
                if settings[field_name] <= 0:
                    raise ValidationError(
                        self.env._(
                            "%(field)s must be a positive number of seconds.",
                            field=settings._fields[field_name].get_description(self.env)["string"],
                        )
                    )
            # the field's groups already restrict who can type a secret
            if settings.aiflow_oauth_client_secret:
                self.env["aiflow.oauth.client"].sudo()._oauth_set_client_secret(
                    settings.aiflow_oauth_client_secret
                )
                # the transient record must not keep the clear secret either
                settings.aiflow_oauth_client_secret = False

    def action_aiflow_test_connection(self):
        """Ping aiflow with the saved settings and tell the admin what happened."""
        if not self.env.user._is_system():
            raise AccessError(
                self.env._("Only Settings administrators can test the aiflow connection.")
            )
        ok, message = self.env["aiflow.connection"]._aiflow_test_connection()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("aiflow connection test"),
                "message": message,
                "type": "success" if ok else "danger",
                "sticky": not ok,
            },
        }
