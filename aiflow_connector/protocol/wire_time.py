"""Times on the aiflow wire: ``yyyy-MM-dd HH:mm:ss`` in the configured zone.

Odoo stores naive datetimes that mean UTC; aiflow reads and writes wall-clock
times of one configured timezone (default ``Asia/Shanghai``) with no offset
on the wire.  These two functions are the only place that conversion happens.
"""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"
WIRE_PATTERN = "yyyy-MM-dd HH:mm:ss"
# strptime alone accepts "2025-1-2 3:4:5"; the wire format has fixed widths.
# ASCII digits only: Python's \d (and strptime) also take "２０２５", which
# aiflow never writes.
_WIRE_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\Z")


def zone(tz_name=None):
    """The ZoneInfo for ``tz_name`` (empty means the default); ValueError if unknown."""
    name = tz_name or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def has_wire_layout(text):
    """True when ``text`` is laid out as yyyy-MM-dd HH:mm:ss (real date or not)."""
    return isinstance(text, str) and bool(_WIRE_RE.match(text))


def parse_wire_naive(text):
    """The naive wall-clock datetime written in ``text``; ValueError if not the wire format.

    Rejects impossible dates (``2025-02-30 10:00:00``) as well as other layouts.
    """
    if not has_wire_layout(text):
        raise ValueError(f"not {WIRE_PATTERN}: {text!r}")
    try:
        return datetime.strptime(text, WIRE_FORMAT)
    except ValueError:
        raise ValueError(f"not {WIRE_PATTERN} (no such date or time): {text!r}") from None


def to_wire(value, tz_name=None):
    """``value`` (naive = UTC, as Odoo stores it, or timezone-aware) as wire text.

    Sub-second precision is dropped: the wire has none.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone(tz_name)).strftime(WIRE_FORMAT)


def from_wire(text, tz_name=None):
    """Wire text read in zone ``tz_name`` as a naive UTC datetime (Odoo's convention).

    A wall-clock time that a DST change makes ambiguous or skipped is read with
    ``fold=0`` (the offset in force before the change); the default zone has no DST.
    """
    local = parse_wire_naive(text).replace(tzinfo=zone(tz_name))
    try:
        return local.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        # e.g. 0001-01-01 00:00:00 east of UTC is a time before year 1
        raise ValueError(f"{text!r} is out of the range of datetimes once in UTC") from None
