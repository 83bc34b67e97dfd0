"""yyyy-MM-dd HH:mm:ss in the configured zone <-> Odoo's naive UTC."""

from datetime import datetime, timedelta, timezone

import pytest

from aiflow_connector.protocol.wire_time import (
    DEFAULT_TIMEZONE,
    from_wire,
    has_wire_layout,
    to_wire,
)


def test_default_zone_is_shanghai():
    assert DEFAULT_TIMEZONE == "Asia/Shanghai"
    naive_utc = datetime(2025, 1, 24, 2, 0, 0)
    assert to_wire(naive_utc) == "2025-01-24 10:00:00"
    assert to_wire(naive_utc, "") == "2025-01-24 10:00:00"
    assert from_wire("2025-01-24 10:00:00") == naive_utc
    assert from_wire("2025-01-24 10:00:00", None) == naive_utc


def test_shift_crosses_the_date_line():
    assert to_wire(datetime(2025, 12, 31, 20, 30, 5), "Asia/Shanghai") == "2026-01-01 04:30:05"
    assert from_wire("2026-01-01 04:30:05", "Asia/Shanghai") == datetime(2025, 12, 31, 20, 30, 5)


def test_aware_datetimes_are_converted_not_reinterpreted():
    aware = datetime(2025, 1, 24, 10, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert to_wire(aware, "UTC") == "2025-01-24 02:00:00"
    assert to_wire(aware, "Asia/Shanghai") == "2025-01-24 10:00:00"


def test_from_wire_returns_naive_utc():
    value = from_wire("2025-07-01 12:00:00", "Europe/Paris")
    assert value.tzinfo is None
    assert value == datetime(2025, 7, 1, 10, 0, 0)  # CEST is UTC+2
    assert from_wire("2025-01-01 12:00:00", "Europe/Paris") == datetime(2025, 1, 1, 11, 0, 0)


@pytest.mark.parametrize(
    "tz_name", ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata"]
)
@pytest.mark.parametrize(
    "naive_utc",
    [
        datetime(2025, 1, 24, 2, 0, 0),
        datetime(2025, 3, 30, 1, 30, 0),  # around a European DST change
        datetime(2024, 2, 29, 23, 59, 59),
        datetime(2025, 11, 2, 7, 15, 0),  # just after a US DST change
    ],
)
def test_round_trip(tz_name, naive_utc):
    assert from_wire(to_wire(naive_utc, tz_name), tz_name) == naive_utc


def test_repeated_hour_reads_as_its_first_occurrence():
    # 01:15 happens twice in New York on 2025-11-02; the wire carries no offset,
    # so the earlier instant (EDT, UTC-4) is the documented reading.
    assert from_wire("2025-11-02 01:15:00", "America/New_York") == datetime(2025, 11, 2, 5, 15)


def test_microseconds_are_dropped():
    assert to_wire(datetime(2025, 1, 24, 2, 0, 0, 999999), "UTC") == "2025-01-24 02:00:00"


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-24T10:00:00",
        "2025-1-24 10:00:00",
        "2025-01-24 10:00",
        "2025-02-30 10:00:00",
        "",
        None,
        20250124,
    ],
)
def test_from_wire_refuses_anything_else(text):
    with pytest.raises(ValueError):
        from_wire(text, "Asia/Shanghai")


def test_unknown_timezone_is_a_value_error():
    with pytest.raises(ValueError):
        to_wire(datetime(2025, 1, 1), "Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        from_wire("2025-01-01 00:00:00", "Mars/Olympus_Mons")


def test_to_wire_needs_a_datetime():
    with pytest.raises(TypeError):
        to_wire("2025-01-01 00:00:00", "UTC")


@pytest.mark.parametrize(
    "text",
    [
        "２０２５-01-24 15:30:00",  # full-width digits
        "2025-01-24 1٥:30:00",  # an Arabic-Indic five
        "2025-01-24 15:30:00\n",
    ],
)
def test_only_ascii_digits_have_the_wire_layout(text):
    assert not has_wire_layout(text)
    with pytest.raises(ValueError):
        from_wire(text)


def test_time_out_of_range_once_in_utc_is_a_value_error():
    # year 1 east of UTC falls before the first datetime once in UTC
    with pytest.raises(ValueError, match="out of the range"):
        from_wire("0001-01-01 00:00:00", "Asia/Shanghai")
    assert from_wire("9999-12-31 23:59:59", "Asia/Shanghai") == datetime(9999, 12, 31, 15, 59, 59)
