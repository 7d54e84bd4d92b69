"""What the rest of the app needs from a debrid service, whichever it is.

DebridAccount is the interface a service's client implements (Real-Debrid's in
realdebrid.py); listing, library sync and streaming use only this, so another service
(TorBox, AllDebrid) joins by writing a client. The records are plain frozen data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

# Statuses of a torrent that will not become downloaded by waiting: shown as failing.
FAILING = {
    "magnet_error": "the magnet could not be converted",
    "error": "the service reported an error",
    "virus": "the service found a virus in it",
    "dead": "it has no seeds left",
}
# Statuses that still change by themselves (the cached list cannot be trusted for them).
TRANSITIONAL = frozenset(
    {
        "magnet_conversion",
        "waiting_files_selection",
        "queued",
        "downloading",
        "compressing",
        "uploading",
    }
)
# The ones /torrents/activeCount counts: a torrent waiting for its files to be chosen waits
# for the user, not the service.
ACTIVE = TRANSITIONAL - {"waiting_files_selection"}


class DebridError(Exception):
    """A request to the service failed; the message says what to do."""


class TokenInvalid(DebridError):
    """The service refused the token (HTTP 401/403, error codes 8/9)."""


class Refused(DebridError):
    """The service answered with an error that retrying does not cure."""


class NotLoggedIn(DebridError):
    """No token is set for the service."""


@dataclass(frozen=True)
class Account:
    username: str
    email: str
    premium_seconds: int
    expiration: str  # ISO date
    type: str


@dataclass(frozen=True)
class RemoteTorrent:
    """One entry of the account's torrent list."""

    id: str
    filename: str
    hash: str
    bytes: int
    status: str
    progress: float
    added: str

    def fingerprint(self) -> str:
        """What says the torrent's files may have changed since its info was fetched."""
        return f"{self.hash}:{self.bytes}:{self.status}"


@dataclass(frozen=True)
class RemoteFile:
    """A file of a torrent; `link` is the service's (restricted) link of a selected file."""

    id: int
    path: str
    bytes: int
    link: str | None


@dataclass(frozen=True)
class TorrentInfo:
    """A torrent with its files (GET /torrents/info)."""

    torrent: RemoteTorrent
    files: tuple[RemoteFile, ...]


@dataclass(frozen=True)
class Probe:
    """The cheap state a check compares: total count, active count, newest torrent."""

    total: int
    active: int
    first_id: str | None


@dataclass(frozen=True)
class Unrestricted:
    """A direct download URL for a link."""

    url: str
    size: int
    filename: str


@dataclass(frozen=True)
class DeviceCode:
    """The first step of a device login: show user_code and verification_url."""

    device_code: str
    user_code: str
    verification_url: str
    interval: int
    expires_in: int


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    client_id: str
    client_secret: str


class DebridAccount(Protocol):
    """A debrid service's account, as the listing, the sync and the share use it."""

    async def user(self) -> Account: ...

    async def probe(self) -> Probe: ...

    async def torrents_page(self, page: int, limit: int) -> tuple[list[RemoteTorrent], int]: ...

    async def info(self, torrent_id: str) -> TorrentInfo: ...

    async def unrestrict(self, link: str) -> Unrestricted: ...
