"""What opens an item in a player: its share URL, the same URL with the login a player
needs in it, the playlist file a player is handed, and the command line of a player the user
chose in Settings (ui.player).

Players (VLC, mpv, IINA, Infuse) take HTTP Basic credentials from the URL's user-info part,
so the URL the window copies is `http://user:password@host:port/path`, every part
percent-encoded. Play does not put that URL on a command line (any local user reads command
lines) or hand it to the desktop (an http link opens the web browser, which downloads the
whole file): it writes a one-entry .m3u readable only by the user and opens that, which every
player takes and desktops open with the media player. No Qt here: the tests need none.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PLAYLIST = "play.m3u"


class PlayerError(ValueError):
    """The chosen player's command cannot be run; the message says why."""


def share_url(base: str, share_path: str) -> str:
    """The URL of a share path ("Movies/Heat (1995)/Heat (1995).mkv") under `base`."""
    return base.rstrip("/") + "/" + quote(share_path.lstrip("/"), safe="/")


def with_login(url: str, username: str, password: str | None) -> str:
    """`url` with `username:password@` before the host; unchanged without a password
    (an anonymous share). ':', '@', '/' and the like in either part are percent-encoded."""
    if not password:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = f"{quote(username, safe='')}:{quote(password, safe='')}@"
    return urlunsplit(parts._replace(netloc=login + host))


def webdav_login_url(base: str, username: str) -> str:
    """The share's address with the user name only (a QR code or a note: never the
    password)."""
    parts = urlsplit(base)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(username, safe='')}@{host}"))


def write_playlist(folder: Path, title: str, url: str) -> Path:
    """A one-entry .m3u for `url` in `folder` (made private), readable by the user only;
    replaced at each Play, so no old login lingers."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = folder / PLAYLIST
    path.unlink(missing_ok=True)  # a new file gets the mode below, an old one would keep its own
    title = " ".join(title.split())  # one line: a newline would end the entry
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"#EXTM3U\n#EXTINF:-1,{title}\n{url}\n")
    return path


def player_command(player: str, target: str) -> tuple[str, list[str]]:
    """The program and arguments that open `target` in `player`: a program's path (spaces
    and all), or a command line like "vlc", "mpv --fs" or "open -a IINA" (quoted as in a
    shell), `target` appended."""
    whole = player.strip().strip('"')
    if whole and Path(whole).is_file():  # "C:\\Program Files\\VLC\\vlc.exe", "/opt/My Player/mpv"
        return whole, [target]
    try:
        # Windows paths keep their backslashes; quotes are taken off each word below
        words = shlex.split(player, posix=os.name != "nt")
    except ValueError as exc:
        raise PlayerError(f"the player command {player!r} cannot be read: {exc}") from None
    words = [word.strip('"') for word in words]
    if not words:
        raise PlayerError("no player command is set")
    return words[0], [*words[1:], target]
