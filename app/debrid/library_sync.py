"""The account's downloaded torrents into the library, in one transaction.

Each selected video file of a downloaded torrent is matched to a movie or episode with the
watched folders' matching (folder_match: guessit, folded titles, season packs by their
episode numbers) and becomes that item's "debrid" source when exactly one item without a
source matches. The rest are listed as unmatched with the reason (for Assign…). A file the
user took off the share (an inactive assignment only) waits for a hand, as in folders. A
file gone from the account, or whose torrent is no longer downloaded, has its assignments
deleted: it leaves the share, and is matched again when the torrent comes back (re-added or
repaired in the account). Failing torrents (magnet_error, error, virus, dead, or files packed
into one archive, which cannot be streamed) are reported with their reason. assign_file() is
Assign… for an unmatched file. The saved torrent list (store.py) is replaced in the same
transaction: a sync that fails half way leaves the library and the list as they were.

Runs on a worker thread. Release names are read before the library's write lock is taken
(in the watched folders' helper process for many: folder_parse), so a large account does not
hold other writers up while guessit runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app.debrid import store
from app.debrid.base import FAILING, RemoteFile, RemoteTorrent
from app.debrid.store import Cached
from app.library import matching
from app.library.errors import NotFound
from app.library.models import Assignment
from app.sync import folder_parse
from app.sync.folder_match import Release, TitleIndex, video_targets

logger = logging.getLogger(__name__)

RETIRED = "it was taken off the share before; assign it to bring it back"
# A downloaded torrent whose files have no links: the service packed them into one archive.
PACKED = "packed"
REASONS = {**FAILING, PACKED: "the service packed its files into an archive: not streamable"}


@dataclass(frozen=True)
class UnmatchedFile:
    info_hash: str
    file_id: int
    path: str  # "<torrent name>/<file path>"
    size: int
    reason: str
    # no library item has the title its name gives: debrid.add_unmatched may add one
    missing: Release | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "debrid",
            "path": self.path,
            "reason": self.reason,
            "info_hash": self.info_hash,
            "file_id": self.file_id,
            "size": self.size,
        }


@dataclass(frozen=True)
class FailingTorrent:
    id: str
    filename: str
    status: str

    def as_dict(self) -> dict[str, str]:
        reason = REASONS[self.status]
        return {"id": self.id, "filename": self.filename, "status": self.status, "reason": reason}


@dataclass
class Report:
    torrents: int = 0
    new: int = 0
    gone: int = 0
    assigned: int = 0
    removed: int = 0
    unmatched: list[UnmatchedFile] = field(default_factory=list)
    failing: list[FailingTorrent] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.torrents} torrents"
        changes = [f"{n} {w}" for n, w in ((self.new, "new"), (self.gone, "gone")) if n]
        if changes:
            text += f" ({', '.join(changes)})"
        results = [
            f"{n} {w}"
            for n, w in (
                (self.assigned, "assigned"),
                (self.removed, "off the share"),
                (len(self.unmatched), "unmatched"),
            )
            if n
        ]
        if results:
            text += "; " + ", ".join(results)
        if self.failing:
            text += f"; {len(self.failing)} failing: " + ", ".join(
                f"{f.filename} ({f.status}: {REASONS[f.status]})" for f in self.failing
            )
        return text


class LibrarySync:
    """Applies fetched lists to one library; keeps guessit's readings between syncs."""

    def __init__(self, library) -> None:
        self.library = library
        self._releases: dict[str, Release | None] = {}

    def apply(self, old: list[Cached], new: list[Cached]) -> Report:
        before = {c.torrent.id for c in old}
        now = {c.torrent.id for c in new}
        report = Report(len(new), len(now - before), len(before - now))
        report.failing = [
            FailingTorrent(c.torrent.id, c.torrent.filename, _failing_status(c))
            for c in new
            if _failing_status(c) is not None
        ]
        account = store.logouts()
        served = self._served(new)
        self._read_names(self._paths(served))
        with self.library.writing():
            store.check_same_account(account)
            if new is not old:  # the same list again: only the unmatched are tried again
                store.replace(new)
            rows = _debrid_rows()
            report.removed = _remove_gone(rows, served)
            titles = TitleIndex(self.library)
            for (info_hash, file_id), (torrent, file) in served.items():
                self._file(torrent, file, rows.get((info_hash, file_id), []), titles, report)
        self._releases = {p: r for p, r in self._releases.items() if p in self._paths(served)}
        logger.info("Debrid sync: %s", report.summary())
        return report

    # ---- one file ---------------------------------------------------------------------------

    def _file(
        self,
        torrent: RemoteTorrent,
        file: RemoteFile,
        rows: list[Assignment],
        titles: TitleIndex,
        report: Report,
    ) -> None:
        path = _display_path(torrent, file)
        active = [row for row in rows if row.active]
        if active:
            for row in active:
                if row.file_size != file.bytes:
                    Assignment.update(file_size=file.bytes).where(Assignment.id == row.id).execute()
            return
        unmatched = UnmatchedFile(torrent.hash, file.id, path, file.bytes, RETIRED)
        if rows:
            report.unmatched.append(unmatched)
            return
        release = self._release_of(path)
        if release is not None and release.tag is not None:
            reason = f"its name says it is {release.tag.lower()} material, not the video"
            report.unmatched.append(UnmatchedFile(torrent.hash, file.id, path, file.bytes, reason))
            return
        targets, reason = video_targets(self.library, release, titles, path)
        if reason is not None:
            missing = release if release is not None and not titles.candidates(release) else None
            report.unmatched.append(
                UnmatchedFile(torrent.hash, file.id, path, file.bytes, reason, missing)
            )
            return
        for item_type, item_id in targets:
            _assign(self.library, torrent.hash, file, path, item_type, item_id)
        report.assigned += len(targets)

    def _read_names(self, paths: set[str]) -> None:
        """guessit's reading of every path not read before (outside the write lock)."""
        new = sorted(paths - self._releases.keys())
        self._releases.update(zip(new, folder_parse.releases(new), strict=True))

    def _release_of(self, path: str) -> Release | None:
        return self._releases[path]

    @staticmethod
    def _served(new: list[Cached]) -> dict[tuple[str, int], tuple[RemoteTorrent, RemoteFile]]:
        """Every selected video file of every downloaded torrent, by (hash, file id)."""
        served: dict[tuple[str, int], tuple[RemoteTorrent, RemoteFile]] = {}
        for cached in new:
            if cached.torrent.status != "downloaded" or not cached.files:
                continue
            for file in cached.files:
                if file.link and matching.is_video(file.path):
                    served.setdefault((cached.torrent.hash, file.id), (cached.torrent, file))
        return served

    @staticmethod
    def _paths(served: dict) -> set[str]:
        return {_display_path(torrent, file) for torrent, file in served.values()}


def assign_file(library, info_hash: str, file_id: int, item_type: str, item_id: int) -> Assignment:
    """Make a file of the account the item's source by hand (Assign… on an unmatched file);
    the item's current source is kept, inactive. Any thread."""
    found = store.file_of(info_hash, file_id)
    if found is None:
        raise NotFound(f"file {file_id} of torrent {info_hash} is not in the debrid account")
    torrent, file = found
    return _assign(library, info_hash, file, _display_path(torrent, file), item_type, item_id)


def _assign(library, info_hash: str, file: RemoteFile, path: str, item_type: str, item_id: int):
    return library.assign_debrid(
        item_type,
        item_id,
        info_hash,
        file.id,
        path,
        size=file.bytes,
        resolution=matching.guess_resolution(path),
        source=matching.guess_source(path),
    )


def _display_path(torrent: RemoteTorrent, file: RemoteFile) -> str:
    """The file below its torrent's name, as guessit reads it best ("Show.S01/S01E01.mkv")."""
    relative = file.path.strip("/")
    if "/" not in relative and relative != torrent.filename:
        return f"{torrent.filename}/{relative}"
    return relative


def _debrid_rows() -> dict[tuple[str, int], list[Assignment]]:
    rows: dict[tuple[str, int], list[Assignment]] = {}
    for row in Assignment.select().where(Assignment.source_kind == "debrid"):
        rows.setdefault((row.info_hash, row.file_index), []).append(row)
    return rows


def _remove_gone(rows: dict[tuple[str, int], list[Assignment]], served: dict) -> int:
    """Delete the assignments of files the account no longer serves; returns how many of them
    were on the share. Deleted, not deactivated: an inactive row means the user took the file
    off, and the file would never be matched again when its torrent comes back."""
    gone = [row for key, group in rows.items() if key not in served for row in group]
    if gone:
        Assignment.delete().where(Assignment.id.in_([row.id for row in gone])).execute()
        for key in {(row.info_hash, row.file_index) for row in gone}:
            rows.pop(key, None)
    return sum(1 for row in gone if row.active)


def _failing_status(cached: Cached) -> str | None:
    """The torrent's failing status, PACKED for a downloaded one whose files have no link."""
    if cached.torrent.status in FAILING:
        return cached.torrent.status
    files = cached.files
    if cached.torrent.status == "downloaded" and files and not any(f.link for f in files):
        return PACKED
    return None
