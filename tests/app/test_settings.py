"""Settings: validation messages, overrides, atomic save, and never losing a bad file."""

from __future__ import annotations

import json
import logging
import os

import pytest

from app import settings as settings_file
from app.settings import Settings, SettingsError, all_keys, parse_override, with_overrides


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("share.port", "70000", "share.port: must be between 1 and 65535 (got 70000)"),
        ("share.port", "0", "share.port: must be between 1 and 65535 (got 0)"),
        ("torrents.upload_rate_limit_kib", "-1", "cannot be negative"),
        ("torrents.download_rate_limit_kib", "fast", "expected a number"),
        ("torrents.dht", "perhaps", "expected yes or no"),
        ("share.bind_address", "my-tv", "is not an IP address"),
        ("share.username", "a:b", "must not be empty or contain ':'"),
        ("ui.last_view", "kitchen", "must be one of"),
        ("share.nothing", "1", "unknown setting 'share.nothing'"),
        ("sharing.port", "1", "unknown settings section 'sharing'"),
    ],
)
def test_invalid_values_are_refused_with_a_readable_message(name, value, message):
    settings = Settings()
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings.set(name, value)
    assert settings == Settings(), "a refused value must change nothing"


def test_strings_from_the_command_line_become_typed_values():
    settings = with_overrides(
        Settings(),
        {
            "share.port": "9000",
            "torrents.dht": "off",
            "torrents.add_timeout": "2.5",
            "share.bind_address": "127.0.0.1",
        },
    )
    assert settings.share.port == 9000
    assert settings.torrents.dht is False
    assert settings.torrents.add_timeout == 2.5
    assert settings.share.bind_address == "127.0.0.1"


def test_parse_override_needs_a_known_key_and_an_equals_sign():
    assert parse_override("share.port=9000") == ("share.port", "9000")
    with pytest.raises(SettingsError, match="expected section.key=value"):
        parse_override("share.port")
    with pytest.raises(SettingsError, match="unknown setting"):
        parse_override("share.prot=1")


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.set("share.port", 9123)
    settings.set("tmdb.language", "de-DE")
    settings_file.save(settings, path)
    assert settings_file.load(path) == settings
    assert json.loads(path.read_text())["version"] == settings_file.SETTINGS_VERSION
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"], "no temp file left behind"


def test_save_refuses_invalid_settings_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "settings.json"
    settings_file.save(Settings(), path)
    before = path.read_bytes()
    bad = Settings()
    bad.share.port = 0  # bypassing set(), as a buggy caller might
    with pytest.raises(SettingsError, match="share.port"):
        settings_file.save(bad, path)
    assert path.read_bytes() == before


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    settings_file.save(Settings(), path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = Settings()
    changed.set("share.port", 9999)
    with pytest.raises(OSError, match="disk full"):
        settings_file.save(changed, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"just text"',
        b"[" * 100_000,
        b'{"version": 99, "share": {"port": 9000}}',
        b'{"version": "two"}',
    ],
)
def test_a_bad_file_is_kept_aside_and_defaults_are_used(tmp_path, caplog, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        settings = settings_file.load(path)
    assert settings == Settings()
    assert path.read_bytes() == content, "the user's file is never lost"
    backups = list(tmp_path.glob("settings.json.broken-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert "unusable" in caplog.text and str(backups[0]) in caplog.text


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_bad_values_fall_back_alone_and_one_warning_lists_them_all(tmp_path, caplog):
    path = tmp_path / "settings.json"
    content = json.dumps(
        {
            "version": 2,
            "share": {"port": 99999, "username": "bob", "colour": "red"},
            "torrents": {"download_rate_limit_kib": -5, "dht": "perhaps", "lsd": False},
            "tmdb": {"language": "de-DE", "include_adult": "often"},
            "ui": "grid",
            "sharing": {"port": 9000},
        }
    ).encode()
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        settings = settings_file.load(path)

    expected = Settings()
    expected.set("share.username", "bob")
    expected.set("torrents.lsd", False)
    expected.set("tmdb.language", "de-DE")
    assert settings == expected, "good values are kept, every bad one is back at its default"

    [warning] = _warnings(caplog)
    for problem in (
        "share.port: must be between 1 and 65535 (got 99999)",
        "share.colour: unknown setting",
        "torrents.download_rate_limit_kib: cannot be negative (got -5)",
        "torrents.dht: expected yes or no (got 'perhaps')",
        "tmdb.include_adult: expected yes or no (got 'often')",
        "ui: expected a group of settings (got 'grid')",
        "sharing: unknown settings section",
    ):
        assert problem in warning
    assert "unusable" not in warning

    assert path.read_bytes() == content, "loading never rewrites the user's file"
    [backup] = tmp_path.glob("settings.json.broken-*")
    assert backup.read_bytes() == content and str(backup) in warning


def test_a_local_only_share_stays_local_when_another_value_is_bad(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"share": {"bind_address": "127.0.0.1", "threads": 1, "anonymous": True}})
    )
    with caplog.at_level(logging.WARNING):
        settings = settings_file.load(path)
    assert settings.share.bind_address == "127.0.0.1"
    assert settings.share.anonymous is True
    assert settings.share.threads == Settings().share.threads
    assert "share.threads: must be between 4 and 512 (got 1)" in caplog.text


def test_the_same_bad_file_is_copied_aside_once_a_changed_one_again(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"share": {"port": 0}}))
    with caplog.at_level(logging.WARNING):
        settings_file.load(path)
        settings_file.load(path)
    [first] = tmp_path.glob("settings.json.broken-*")
    assert caplog.text.count(f"kept as {first}") == 2

    path.write_text(json.dumps({"share": {"port": -1}}))  # within the same second, likely
    settings_file.load(path)
    backups = sorted(tmp_path.glob("settings.json.broken-*"))
    assert len(backups) == 2
    assert {json.loads(b.read_text())["share"]["port"] for b in backups} == {0, -1}


def test_saving_after_a_repaired_load_writes_the_repair_and_keeps_the_backup(tmp_path):
    path = tmp_path / "settings.json"
    original = json.dumps({"share": {"port": 99999, "username": "bob"}})
    path.write_text(original)
    settings = settings_file.load(path)
    settings.set("tmdb.language", "fr-FR")
    settings_file.save(settings, path)
    saved = json.loads(path.read_text())
    assert saved["share"]["port"] == 8484 and saved["share"]["username"] == "bob"
    [backup] = tmp_path.glob("settings.json.broken-*")
    assert backup.read_text() == original


def test_unknown_keys_are_dropped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "share": {"port": 9001, "colour": "red"}}))
    with caplog.at_level(logging.WARNING):
        settings = settings_file.load(path)
    assert settings.share.port == 9001
    assert "share.colour" in caplog.text


def test_diff_names_changed_keys():
    a, b = Settings(), Settings()
    b.set("share.port", 9001)
    b.set("torrents.dht", False)
    assert a.diff(b) == {"share.port", "torrents.dht"}


def test_every_setting_has_help_text_and_a_valid_default():
    from app.settings import describe

    Settings().validate()
    assert all(describe(key) for key in all_keys())


def test_a_version_1_file_with_the_old_sync_interval_loads_quietly(tmp_path, caplog):
    path = tmp_path / "settings.json"
    old = {"version": 1, "sync": {"enabled": False, "interval_minutes": 30}, "share": {"port": 9}}
    path.write_text(json.dumps(old))
    with caplog.at_level(logging.WARNING):
        settings = settings_file.load(path)
    assert settings.sync.enabled is False and settings.share.port == 9
    assert caplog.text == ""  # intervals live in the library now: nothing to warn about
    settings_file.save(settings, path)
    saved = json.loads(path.read_text())
    assert saved["version"] == 2 and saved["sync"] == {"enabled": False}


def test_an_unreadable_bind_address_keeps_the_share_on_this_computer(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text('{"version": 2, "share": {"bind_address": "localhost"}}', encoding="utf-8")
    loaded = settings_file.load(path)
    assert loaded.share.bind_address == "127.0.0.1"  # not the default 0.0.0.0
    assert "using 127.0.0.1 until it is fixed" in caplog.text
