# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every ``aiflow_connector.*`` setting, declared once, and the one way to read them.

Plain Python: :func:`read` takes a function that returns the stored text of
a key (Odoo's ``ir.config_parameter``, or a dict in a script), :func:`of_env`
is that function for an Odoo environment. The settings screen only shows and
validates these keys; business code reads :class:`Settings`, never the screen.
"""

import logging
from dataclasses import dataclass

from .protocol import wire_time
from .protocol.signing import METHOD_BUILTIN

_logger = logging.getLogger(__name__)

PREFIX = "aiflow_connector."
TRUE_WORDS = ("1", "true", "yes", "on")

TEXT = "text"
LINES = "lines"
BOOL = "bool"
INT = "int"
SECONDS = "seconds"
TIMEZONE = "timezone"
IDS = "ids"
# Kinds whose default is written as a parameter at install, for the admin to see.
SHOWN_AT_INSTALL = (TEXT, SECONDS, TIMEZONE)


@dataclass(frozen=True)
class Setting:
    """One key: how its stored text is read, its default and its bounds."""

    name: str
    kind: str = TEXT
    default: object = None
    low: int = None
    high: int = None

    @property
    def key(self):
        return PREFIX + self.name


# A batch is one HTTP request: a bound keeps its body and its time within
# what a server accepts.
MAX_BATCH_SIZE = 1000

DECLARATIONS = (
    Setting("base_url"),
    Setting("enterprise_code"),
    Setting("app_id"),
    Setting("app_secret"),
    Setting("signing_method", default=METHOD_BUILTIN),
    Setting("connect_timeout", SECONDS, 5.0),
    Setting("read_timeout", SECONDS, 30.0),
    Setting("timezone", TIMEZONE, wire_time.DEFAULT_TIMEZONE),
    Setting("sync_enabled", BOOL, False),
    Setting("sync_batch_size", INT, 100, low=1, high=MAX_BATCH_SIZE),
    Setting("sync_max_attempts", INT, 8, low=1),
    Setting("outbox_vacuum_days", INT, 30, low=1),
    Setting("sync_company_ids", IDS, None),
    Setting("oauth_client_id"),
    Setting("oauth_client_secret"),
    Setting("oauth_redirect_uris", LINES, ()),
    Setting("oauth_code_ttl", INT, 300, low=1),
    Setting("oauth_access_token_ttl", INT, 3600, low=1),
    Setting("oauth_refresh_token_ttl", INT, 30 * 24 * 3600, low=1),
)
BY_NAME = {setting.name: setting for setting in DECLARATIONS}

# What a signed call to aiflow needs.
CREDENTIALS = ("base_url", "enterprise_code", "app_id", "app_secret")

# Problems already logged by this process (a cron runs every few minutes).
_reported = set()


def warn_once(message, *args):
    """Log ``message`` once per process and distinct arguments."""
    key = (message, *args)
    if key not in _reported:
        _reported.add(key)
        _logger.warning(message, *args)


@dataclass(frozen=True)
class Settings:
    """The settings as the code uses them (secrets included: never log it)."""

    base_url: str
    enterprise_code: str
    app_id: str
    app_secret: str
    signing_method: str
    connect_timeout: float
    read_timeout: float
    timezone: str
    sync_enabled: bool
    sync_batch_size: int
    sync_max_attempts: int
    outbox_vacuum_days: int
    sync_company_ids: frozenset  # None: every company
    oauth_client_id: str  # the app id when not set
    oauth_client_secret: str  # a passlib hash
    oauth_redirect_uris: tuple
    oauth_code_ttl: int
    oauth_access_token_ttl: int
    oauth_refresh_token_ttl: int

    def __getitem__(self, name):
        # settings["base_url"] reads as settings.base_url: messages built
        # from the settings take either.
        return getattr(self, name)

    def missing_credentials(self):
        """Names of the credential keys that are empty, in declaration order."""
        return [name for name in CREDENTIALS if not getattr(self, name)]

    def to_wire(self, value):
        """A datetime (naive = UTC) as aiflow's wire text in the configured zone."""
        return wire_time.to_wire(value, self.timezone)

    def from_wire(self, text):
        """aiflow's wire text as a naive UTC datetime."""
        return wire_time.from_wire(text, self.timezone)


def _number(setting, text, convert):
    # The screen refuses bad values; a parameter edited by hand falls back
    # to the default, or to the highest value allowed.
    try:
        value = convert(text)
    except (TypeError, ValueError):
        return setting.default
    if value != value or value <= 0 or (setting.low is not None and value < setting.low):
        return setting.default
    if setting.high is not None:
        value = min(value, setting.high)
    return value


def _timezone(setting, text):
    name = text or setting.default
    try:
        wire_time.zone(name)
    except ValueError:
        warn_once("%s %r is not a known timezone; using %s", setting.key, name, setting.default)
        return setting.default
    return name


def parse(setting, raw):
    """The value of ``setting`` from its stored text ``raw`` (None if unset)."""
    # get_param answers False for a key that is not set.
    text = raw.strip() if isinstance(raw, str) else ""
    kind = setting.kind
    if kind == TEXT:
        return text or (setting.default or "")
    if kind == BOOL:
        return text.lower() in TRUE_WORDS
    if kind == INT:
        return _number(setting, text, int)
    if kind == SECONDS:
        return _number(setting, text, float)
    if kind == TIMEZONE:
        return _timezone(setting, text)
    if kind == LINES:
        return tuple(line.strip() for line in text.splitlines() if line.strip())
    if kind == IDS:
        ids = frozenset(int(part) for part in text.split(",") if part.strip().isdigit())
        return ids or None
    raise ValueError(f"unknown setting kind {kind!r}")


def text(value):
    """A value as stored text (5.0 as "5")."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def read(get_text):
    """:class:`Settings` from ``get_text(key)`` (the stored text, or None)."""
    values = {s.name: parse(s, get_text(s.key)) for s in DECLARATIONS}
    values["base_url"] = values["base_url"].rstrip("/")
    values["oauth_client_id"] = values["oauth_client_id"] or values["app_id"]
    return Settings(**values)


def of_env(env):
    """The saved settings of an Odoo environment's database (cached by the
    ``ir.config_parameter`` model until a parameter changes)."""
    return env["ir.config_parameter"]._aiflow_settings()
