"""Player URLs and commands: the share URL with the login a player needs, percent-encoded."""

from __future__ import annotations

import stat
from urllib.parse import unquote, urlsplit

import pytest

from app.player import (
    PlayerError,
    player_command,
    share_url,
    webdav_login_url,
    with_login,
    write_playlist,
)


def test_a_share_path_becomes_an_encoded_url_under_the_base():
    path = "Movies/Amélie (2001)/Amélie (2001) #1?.mkv"
    url = share_url("http://192.168.1.5:8484/", path)
    assert url == "http://192.168.1.5:8484/Movies/Am%C3%A9lie%20%282001%29/" + (
        "Am%C3%A9lie%20%282001%29%20%231%3F.mkv"
    )
    assert unquote(urlsplit(url).path) == "/" + path
    assert share_url("http://h:1", "/TV Shows/x.mkv") == "http://h:1/TV%20Shows/x.mkv"


def test_the_login_goes_before_the_host_with_every_special_character_encoded():
    url = with_login("http://[fe80::1]:8484/Movies/a.mkv", "me@home", "p:a/s@s w%rd")
    parts = urlsplit(url)
    assert (unquote(parts.username), unquote(parts.password)) == ("me@home", "p:a/s@s w%rd")
    assert (parts.hostname, parts.port, parts.path) == ("fe80::1", 8484, "/Movies/a.mkv")
    # a second login replaces the first; an anonymous share needs none
    assert with_login(url, "u", "p") == "http://u:p@[fe80::1]:8484/Movies/a.mkv"
    assert with_login("http://h:1/a", "u", None) == "http://h:1/a"


def test_the_webdav_address_carries_the_user_name_only():
    assert webdav_login_url("http://192.168.1.5:8484/", "reel box") == (
        "http://reel%20box@192.168.1.5:8484/"
    )


def test_a_player_command_gets_the_url_as_its_last_argument():
    url = "http://u:p@h:1/a.mkv"
    assert player_command("vlc", url) == ("vlc", [url])
    assert player_command("open -a IINA", url) == ("open", ["-a", "IINA", url])
    assert player_command("'/Applications/My Player/mpv' --fs", url) == (
        "/Applications/My Player/mpv",
        ["--fs", url],
    )
    with pytest.raises(PlayerError, match="no player"):
        player_command("  ", url)
    with pytest.raises(PlayerError, match="cannot be read"):
        player_command("'vlc", url)


def test_a_players_path_with_spaces_is_the_program_as_it_is(tmp_path):
    program = tmp_path / "My Player" / "mpv"
    program.parent.mkdir()
    program.write_text("")
    assert player_command(str(program), "/tmp/p.m3u") == (str(program), ["/tmp/p.m3u"])
    assert player_command(f'"{program}"', "/tmp/p.m3u") == (str(program), ["/tmp/p.m3u"])


def test_the_playlist_is_private_one_entry_and_replaced(tmp_path):
    folder = tmp_path / "player"
    first = write_playlist(folder, "Heat (1995)", "http://u:p@h:1/Heat.mkv")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    again = write_playlist(folder, "Line\nbreak", "http://u:p@h:1/Other.mkv")
    assert again == first
    assert again.read_text().splitlines() == [
        "#EXTM3U",
        "#EXTINF:-1,Line break",
        "http://u:p@h:1/Other.mkv",
    ]
