"""Opening a share file's bytes: a TorrentFileReader for the node's torrent and file index,
the file itself for a local node (a watched folder's video, or cached artwork, read straight
from disk), the debrid opener's stream for a debrid node (app/debrid/stream.py), or the bytes
a node holds (an .nfo the tree made).

After a restart the torrent normally comes back from resume data; if it did not (deleted
resume file, another machine), it is added again from the assignment's magnet or .torrent.
Torrent errors become HTTP answers here (503 while unavailable, 504 when a read waits too
long), and so do disk errors (410 for a local file that is gone, 403 for one that cannot be
read), so the WebDAV layer never turns them into a 500.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from typing import Any

from wsgidav.dav_error import (
    HTTP_FORBIDDEN,
    HTTP_GATEWAY_TIMEOUT,
    HTTP_GONE,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_NOT_FOUND,
    HTTP_SERVICE_UNAVAILABLE,
)

from app.share.tree import FileNode
from app.share.webdav import ClientGone, OpenFailed
from app.torrents.errors import (
    MetadataTimeout,
    ReadAbandoned,
    ReadTimeout,
    StorageError,
    TorrentError,
)

logger = logging.getLogger(__name__)


class TorrentOpener:
    """The share's opener (see webdav.Opener) over the torrent service and the disk."""

    def __init__(self, library, torrents, debrid: Callable[[FileNode], Any] | None = None) -> None:
        self._library = library
        self._torrents = torrents
        self._debrid = debrid

    def __call__(
        self, node: FileNode, hung_up: Callable[[], bool]
    ) -> TorrentStream | LocalStream | io.BytesIO:
        if node.data is not None:
            return io.BytesIO(node.data)
        if node.local_path is not None:
            return open_local(node)
        if node.debrid:
            if self._debrid is None:
                raise OpenFailed("no debrid account is set up", HTTP_SERVICE_UNAVAILABLE)
            return self._debrid(node)
        try:
            if self._torrents.get(node.info_hash) is None:
                self._torrents.get_or_add(node.info_hash, self._source(node))
            reader = self._torrents.open_file(node.info_hash, node.file_index, hung_up)
        except MetadataTimeout as exc:
            raise OpenFailed(str(exc), HTTP_GATEWAY_TIMEOUT) from None
        except TorrentError as exc:
            raise OpenFailed(str(exc), HTTP_SERVICE_UNAVAILABLE) from None
        return TorrentStream(reader)

    def _source(self, node: FileNode) -> str | bytes:
        """The assignment's .torrent (no metadata wait) or else its magnet."""
        try:
            data = self._library.torrent_data(node.assignment_id)
            if data:
                return bytes(data)
            magnet = self._library.get_assignment(node.assignment_id).magnet_uri
        except LookupError:
            magnet = None
        if not magnet:
            raise OpenFailed("the file's torrent is unknown (it was unassigned)", HTTP_NOT_FOUND)
        logger.info("Re-adding torrent %s for %s from its magnet", node.info_hash, node.path)
        return magnet


class TorrentStream:
    """A reader as wsgidav uses it; a read timeout becomes an OpenFailed (HTTP 504), a read
    its client left a ClientGone (the connection is cut: see server.ErrorBarrier)."""

    def __init__(self, reader) -> None:
        self._reader = reader

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._reader.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        try:
            # a player's first bytes after a seek go out as soon as they are here
            return self._reader.read_some(size) if size >= 0 else self._reader.readall()
        except ReadAbandoned:
            raise ClientGone() from None
        except ReadTimeout as exc:
            raise OpenFailed(str(exc), HTTP_GATEWAY_TIMEOUT) from None
        except StorageError as exc:
            status = HTTP_INSUFFICIENT_STORAGE if exc.disk_full else HTTP_SERVICE_UNAVAILABLE
            raise OpenFailed(str(exc), status) from None
        except TorrentError as exc:
            raise OpenFailed(str(exc), HTTP_SERVICE_UNAVAILABLE) from None

    def close(self) -> None:
        self._reader.close()


def open_local(node: FileNode) -> LocalStream:
    """The node's file on disk, checked to still hold the bytes the share announces."""
    path = node.local_path
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the stream owns it; wsgidav closes it
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise OpenFailed(
            f"{path} is no longer on disk; rescan its watched folder", HTTP_GONE
        ) from None
    except PermissionError:
        raise OpenFailed(f"cannot read {path}: permission denied", HTTP_FORBIDDEN) from None
    except OSError as exc:
        raise OpenFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    size = os.fstat(handle.fileno()).st_size
    if size < node.size:
        # the announced length cannot be served; a longer file (still being copied) can
        handle.close()
        raise OpenFailed(
            f"{path} has {size} bytes, fewer than the {node.size} the share lists; "
            "rescan its watched folder"
        )
    return LocalStream(handle, path)


class LocalStream:
    """A file on disk as wsgidav uses it; a failing disk becomes an OpenFailed (HTTP 503)."""

    def __init__(self, handle, path: str) -> None:
        self._handle = handle
        self._path = path

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except OSError as exc:
            raise OpenFailed(f"cannot read {self._path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self._handle.close()
