"""Which HTTP answer each error gets: the API's one table from exceptions to statuses.

Handlers let the library's, the Assigner's, the torrent service's and the sync service's
errors propagate; the router asks answer() for the status and JSON body. An ApiError is
already an answer. Anything not in the table is a bug: the router logs it and answers 500.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import Any

from app.assign import (
    AmbiguousFile,
    AssignError,
    FileNotInTorrent,
    NotAssigned,
    NoVideoFile,
    TorrentInUse,
)
from app.library.errors import DuplicateItem, InvalidValue, NotFound
from app.notify.notifier import UnknownTarget
from app.on_loop import LoopNotAnswering
from app.share import api_json as js
from app.sync.scheduler import SyncError, UnknownSource
from app.torrents.errors import InvalidTorrent, MetadataTimeout, TorrentError, TorrentNotFound

logger = logging.getLogger(__name__)

DISK_FULL = "disk full: free some space on the disk that holds Reelbox's data, then retry"


class ApiError(Exception):
    """An answer for the client: status, message and optional extra fields."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class TmdbNotConfigured(Exception):
    """Raised by a TMDB look-up callable while the app has no TMDB API key."""


class TmdbFailed(Exception):
    """A TMDB look-up failed for a reason of TMDB's or the network's (not the client's)."""


def answer(exc: Exception) -> ApiError | None:
    """The answer for `exc`, or None when it is unexpected (a bug: 500)."""
    if isinstance(exc, ApiError):
        return exc
    if disk_full(exc):
        return ApiError(507, DISK_FULL)
    if isinstance(exc, DuplicateItem):
        existing = exc.existing
        extra = {key: getattr(existing, key) for key in ("id", "name") if hasattr(existing, key)}
        return ApiError(409, str(exc), **extra)
    if isinstance(exc, AmbiguousFile):
        return ApiError(409, str(exc), video_files=[js.torrent_file(f) for f in exc.candidates])
    if isinstance(exc, TorrentInUse):
        return ApiError(409, str(exc), assignments=[js.assignment(a) for a in exc.assignments])
    if isinstance(exc, NotFound | NotAssigned | TorrentNotFound | UnknownSource | UnknownTarget):
        return ApiError(404, str(exc))
    if isinstance(
        exc,
        NoVideoFile | FileNotInTorrent | InvalidTorrent | InvalidValue | AssignError,
    ):
        return ApiError(422, str(exc))
    if isinstance(exc, TmdbNotConfigured):
        return ApiError(422, "TMDB is not configured (set an API key)")
    if isinstance(exc, TmdbFailed):
        return ApiError(502, str(exc))
    if isinstance(exc, MetadataTimeout):
        return ApiError(504, str(exc))
    if isinstance(exc, TorrentError | SyncError | LoopNotAnswering):
        return ApiError(503, str(exc))
    return None


def disk_full(exc: BaseException) -> bool:
    """True if `exc`, or an error it was raised from, says the disk (or database) is full.

    peewee re-raises sqlite3's errors as its own, so the chain is followed.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error) and current.sqlite_errorcode == sqlite3.SQLITE_FULL:
            return True
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        current = current.__cause__ or current.__context__
    return False
