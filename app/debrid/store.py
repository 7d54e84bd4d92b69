"""The account's torrents as last fetched, kept in the library (table debrid_torrent).

The list (newest first) is saved whole after each sync that changed it, with each
downloaded torrent's files and links and the fingerprint they were fetched for: a restart
splices onto it and fetches /torrents/info again only for torrents that changed. Writes
happen inside the caller's library.writing() transaction, with the library changes they
go with, so a failed sync leaves both as they were.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from app.debrid.base import DebridError, RemoteFile, RemoteTorrent
from app.library.models import DebridTorrent, SyncSourceRecord, utc_now

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cached:
    """A torrent of the list with its files, when fetched, and what they were fetched for."""

    torrent: RemoteTorrent
    files: tuple[RemoteFile, ...] | None = None
    files_for: str | None = None

    @property
    def files_current(self) -> bool:
        return self.files is not None and self.files_for == self.torrent.fingerprint()


def load() -> list[Cached]:
    """The saved list, newest first (any thread)."""
    return [_cached(row) for row in DebridTorrent.select().order_by(DebridTorrent.position)]


def replace(entries: list[Cached]) -> None:
    """Save `entries` as the whole list; call inside library.writing()."""
    DebridTorrent.delete().execute()
    rows = [
        {
            "id": c.torrent.id,
            "position": position,
            "hash": c.torrent.hash,
            "filename": c.torrent.filename,
            "bytes": c.torrent.bytes,
            "status": c.torrent.status,
            "progress": c.torrent.progress,
            "added": c.torrent.added,
            "files": _dump(c.files),
            "files_for": c.files_for,
        }
        for position, c in enumerate(entries)
    ]
    for start in range(0, len(rows), 500):  # SQLite's limit on bound variables
        DebridTorrent.insert_many(rows[start : start + 500]).execute()


# Logouts in this process (forget_account counts them inside its transaction): a sync or an
# assignment started before one writes nothing, since its account is gone.
_logouts = 0


def logouts() -> int:
    return _logouts


def count_logout() -> None:
    """Inside the logout's write transaction."""
    global _logouts
    _logouts += 1


def check_same_account(started: int) -> None:
    """Inside a write transaction: raise when a logout came since `started` (logouts())."""
    if _logouts != started:
        raise DebridError("the debrid account was logged out meanwhile: nothing was saved")


def ensure_source(library, name: str = "debrid") -> SyncSourceRecord:
    """The account's sync source row, made when first needed: its change checks on (watch
    mode); the hourly interval applies if the user switches to poll."""
    with library.writing():
        row = SyncSourceRecord.get_or_none(SyncSourceRecord.name == name)
        if row is None:
            row = SyncSourceRecord.create(
                name=name,
                kind="debrid",
                path=None,
                mode="watch",
                interval_minutes=60,
                created_at=utc_now(),
            )
    return row


def link_of(info_hash: str, file_id: int) -> str | None:
    """The service's link of a file, from the saved list (the share's workers)."""
    found = file_of(info_hash, file_id)
    return found[1].link if found is not None else None


def file_of(info_hash: str, file_id: int) -> tuple[RemoteTorrent, RemoteFile] | None:
    """A downloaded torrent's file, from the saved list."""
    for cached in _with_hash(info_hash):
        for file in cached.files or ():
            if file.id == file_id and file.link:
                return cached.torrent, file
    return None


def _with_hash(info_hash: str) -> list[Cached]:
    rows = DebridTorrent.select().where(DebridTorrent.hash == info_hash)
    return [_cached(row) for row in rows]


def _cached(row: DebridTorrent) -> Cached:
    torrent = RemoteTorrent(
        row.id, row.filename, row.hash, row.bytes, row.status, row.progress, row.added
    )
    return Cached(torrent, _files(row.files), row.files_for)


def _dump(files: tuple[RemoteFile, ...] | None) -> str | None:
    if files is None:
        return None
    return json.dumps([[f.id, f.path, f.bytes, f.link] for f in files])


def _files(text: str | None) -> tuple[RemoteFile, ...] | None:
    if text is None:
        return None
    return tuple(RemoteFile(int(i), str(p), int(b), link) for i, p, b, link in json.loads(text))
