"""What opens an item in a player: its share URL, the same URL with the login a player
needs in it, and the command line of a player the user chose in Settings (ui.player).

Players (VLC, mpv, IINA, Infuse) take HTTP Basic credentials from the URL's user-info part,
so the URL the window hands to a player or copies is `http://user:password@host:port/path`,
every part percent-encoded. Pure functions: the window calls them, the tests need no Qt.
"""

from __future__ import annotations

import shlex
from urllib.parse import quote, urlsplit, urlunsplit


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


def player_command(player: str, url: str) -> tuple[str, list[str]]:
    """The program and arguments that open `url` in `player`, a command line like "vlc",
    "mpv --fs" or "open -a IINA" (quoted as in a shell), the URL appended."""
    try:
        words = shlex.split(player)
    except ValueError as exc:
        raise PlayerError(f"the player command {player!r} cannot be read: {exc}") from None
    if not words:
        raise PlayerError("no player command is set")
    return words[0], [*words[1:], url]
