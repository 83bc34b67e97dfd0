"""The settings declaration read from stored texts, without Odoo."""

from datetime import datetime

import pytest

from aiflow_connector import settings as aiflow_settings
from aiflow_connector.settings import BY_NAME, DECLARATIONS, PREFIX, read


def stored(**values):
    texts = {PREFIX + name: value for name, value in values.items()}
    return texts.get


def test_every_key_declared_once_with_the_prefix():
    names = [setting.name for setting in DECLARATIONS]
    assert len(names) == len(set(names))
    assert all(setting.key == PREFIX + setting.name for setting in DECLARATIONS)


def test_nothing_stored_reads_as_the_declared_defaults():
    settings = read(stored())
    assert settings.sync_enabled is False
    assert settings.sync_batch_size == BY_NAME["sync_batch_size"].default == 100
    assert (settings.connect_timeout, settings.read_timeout) == (5.0, 30.0)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.sync_company_ids is None
    assert settings.oauth_redirect_uris == ()
    assert settings.missing_credentials() == ["base_url", "enterprise_code", "app_id", "app_secret"]


def test_odoo_false_for_an_unset_key_is_empty_not_the_word_false():
    settings = read(lambda key: False)
    assert settings.base_url == "" and settings.enterprise_code == ""


@pytest.mark.parametrize(
    ("raw", "expected"), [("5000", 1000), ("abc", 100), ("-4", 100), ("0", 100), ("250", 250)]
)
def test_numbers_edited_by_hand_are_bounded(raw, expected):
    assert read(stored(sync_batch_size=raw)).sync_batch_size == expected


def test_values_are_cleaned_and_immutable():
    settings = read(
        stored(
            base_url=" https://aiflow.example.com/ ",
            app_id="APP001",
            sync_enabled="True",
            read_timeout="nan",
            sync_company_ids="3, 1,x",
            oauth_redirect_uris="https://a/cb\n\n https://b/cb ",
        )
    )
    assert settings.base_url == "https://aiflow.example.com"
    assert settings.oauth_client_id == "APP001"  # falls back to the app id
    assert settings.sync_enabled is True
    assert settings.read_timeout == 30.0
    assert settings.sync_company_ids == frozenset({1, 3})
    assert settings.oauth_redirect_uris == ("https://a/cb", "https://b/cb")
    assert settings["base_url"] == settings.base_url
    with pytest.raises(AttributeError):
        settings.base_url = "https://elsewhere"


def test_unknown_timezone_falls_back_with_one_warning(caplog):
    aiflow_settings._reported.clear()
    for _n in range(3):
        assert read(stored(timezone="Mars/Olympus_Mons")).timezone == "Asia/Shanghai"
    warnings = [r for r in caplog.records if "Mars/Olympus_Mons" in r.getMessage()]
    assert len(warnings) == 1


def test_times_go_on_the_wire_in_the_configured_zone():
    moment = datetime(2025, 1, 24, 2, 0, 0)  # naive UTC, as Odoo stores it
    assert read(stored()).to_wire(moment) == "2025-01-24 10:00:00"
    berlin = read(stored(timezone="Europe/Berlin"))
    assert berlin.to_wire(moment) == "2025-01-24 03:00:00"
    assert berlin.from_wire("2025-01-24 03:00:00") == moment
