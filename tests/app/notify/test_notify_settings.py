"""The notify settings section: targets checked with readable messages, saved as JSON,
set from the command line; tokens never in the file."""

from __future__ import annotations

import json

import pytest

from app import settings as settings_file
from app.settings import NotifyTarget, Settings, SettingsError

JELLYFIN = {"name": "living-room", "kind": "jellyfin", "url": "http://192.168.1.5:8096"}


def test_targets_round_trip_through_the_file_and_the_command_line(tmp_path):
    settings = Settings()
    settings.set(
        "notify.targets",
        json.dumps(
            [
                {**JELLYFIN, "path_to": "/mnt/reelbox"},
                {"name": "hook", "kind": "command", "command": "touch x"},
            ]
        ),
    )
    assert settings.notify.targets == (
        NotifyTarget(
            "living-room", "jellyfin", url="http://192.168.1.5:8096", path_to="/mnt/reelbox"
        ),
        NotifyTarget("hook", "command", command="touch x"),
    )
    path = tmp_path / "settings.json"
    settings_file.save(settings, path)
    assert json.loads(path.read_text())["notify"]["targets"][0]["path_to"] == "/mnt/reelbox"
    assert settings_file.load(path) == settings
    assert Settings().diff(settings) == {"notify.targets"}


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ("not json", "expected a JSON list of targets"),
        (
            [{"name": "x", "kind": "kodi", "url": "http://a"}],
            "kind: must be one of jellyfin, emby, plex, command",
        ),
        ([{**JELLYFIN, "url": "192.168.1.5:8096"}], "url: expected the server's address"),
        ([{"name": "hook", "kind": "command"}], "a command target needs a command"),
        ([{**JELLYFIN, "name": "two words"}], "name: 1 to 40 letters"),
        ([JELLYFIN, JELLYFIN], "two targets are named 'living-room'"),
        ([{**JELLYFIN, "timeout": 0}], "timeout: must be between 1 and 300 seconds"),
        ([{**JELLYFIN, "path_from": "Movies"}], "a share path starts with '/'"),
        ([{**JELLYFIN, "token": "secret"}], "unknown field 'token'"),  # tokens go to the keyring
    ],
)
def test_bad_targets_are_refused_with_a_readable_message(targets, message):
    settings = Settings()
    value = targets if isinstance(targets, str) else json.dumps(targets)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        settings.set("notify.targets", value)
    assert settings == Settings()


def test_a_bad_target_in_the_file_falls_back_alone(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"notify": {"targets": [{"name": "x", "kind": "kodi"}]}, "share": {"port": 9000}}
        )
    )
    loaded = settings_file.load(path)
    assert loaded.notify.targets == () and loaded.share.port == 9000
    assert "notify.targets[1].kind" in caplog.text
