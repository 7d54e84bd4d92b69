"""Errors of the torrent engine; every message is written for the user who will read it."""

from __future__ import annotations

import errno
import logging

logger = logging.getLogger(__name__)


class TorrentError(Exception):
    """Base of every torrent error; str() is a sentence a user can act on."""


class InvalidTorrent(TorrentError, ValueError):
    """A magnet link or .torrent file that cannot be used."""


class MetadataTimeout(TorrentError, TimeoutError):
    """No peer sent the torrent's metadata in time."""


class ReadTimeout(TorrentError, OSError):
    """The data a reader waits for did not arrive in time (an IOError, so wsgidav ends the
    response cleanly instead of hanging a worker)."""


class ReadAbandoned(TorrentError):
    """Whoever a read waited for has gone (a player dropped its connection at a seek): the read
    stops waiting, so its demand does not compete with the next seek's."""


class TorrentNotFound(TorrentError, KeyError):
    """The torrent is not known to the engine."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "torrent not found"


class StorageError(TorrentError, OSError):
    """The downloaded data cannot be written or read (disk full, folder not writable): reads
    fail at once with it while libtorrent is stopped by it, instead of at their read timeout."""

    def __init__(self, message: str, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full

    def __str__(self) -> str:
        return str(self.args[0])


def storage_error(errno_value: int, message: str, path: str) -> StorageError:
    """A StorageError in words for the user, from a libtorrent file error."""
    if errno_value == errno.ENOSPC:
        return StorageError(f"the disk is full: cannot write {path}", disk_full=True)
    if errno_value in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(f"cannot write the download folder: {path}: {message}")
    return StorageError(f"cannot use the downloaded data at {path}: {message}")
