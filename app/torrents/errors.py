"""Errors of the torrent engine; every message is written for the user who will read it."""

from __future__ import annotations

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


class TorrentNotFound(TorrentError, KeyError):
    """The torrent is not known to the engine."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "torrent not found"
