"""Watched folders: a folder of .torrent and video files kept in step with the library.

FolderSource is one sync source per watched folder (a library SyncSourceRecord). Each sync
scans the folder (folder_scan.py), compares the scan with the previous one, and applies only
the difference:
- a new .torrent file is added to the torrent engine and assigned when its release name
  matches exactly one library item without a source, then moved to `processed/`, or to
  `failed/` with the reason beside it (folder_torrents.py); an unassigned one waits in the
  Torrents view and is listed as unmatched.
- a new video file matched the same way becomes the item's local source (served from disk);
  samples and extras are listed as unmatched with the reason, never assigned by themselves
  (folder_samples.py says which videos are, and why); a changed one refreshes its size; a removed one has its assignment
  deactivated. Unmatched videos are tried again on every sync (the movie may have been added
  to the library since) and listed in detail() until they match or go.
Each scan's result is saved in the library (folder_state.py) and read back at the source's
first scan, so the first run after a restart reports only what changed while the app was
off. That first run still looks at every video once: the unmatched list lives in memory and
is rebuilt, and files already assigned stay as they are (nothing is assigned twice).
A folder that is missing or unreadable fails the sync (FolderUnavailable) before anything
changes. Nested watched folders: a file belongs to the most specific one only.

Threads: sync() runs the blocking scan, file moves, torrent adds and library writes on a
worker thread (asyncio.to_thread). In watch mode the watcher calls on_change on its own
thread, once per burst of changes (300 ms after the last event): the callback must hop to
the loop itself (SyncManager.changed does, with call_soon_threadsafe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.library import matching
from app.library.errors import LibraryError
from app.sync import folder_parse, folder_scan, folder_state
from app.sync.folder_match import (
    Release,
    TitleIndex,
    Unmatched,
    guess_release,
    video_targets,
)
from app.sync.folder_samples import SampleCheck
from app.sync.folder_scan import FileState, FolderUnavailable
from app.sync.folder_torrents import TorrentDrops
from app.sync.folder_watch import DEBOUNCE_SECONDS, FolderWatcher
from app.torrents.errors import TorrentError

__all__ = ["FolderSource", "FolderUnavailable", "Unmatched"]

logger = logging.getLogger(__name__)

RETIRED_REASON = (
    "it was taken off the share before (unassigned, or the file was gone); "
    "assign it to bring it back"
)


@dataclass
class _Report:
    added: int = 0
    changed: int = 0
    removed: int = 0
    assigned: int = 0
    deactivated: int = 0
    failed: int = 0
    unmatched: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        files = [
            f"{count} {word}"
            for count, word in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.removed, "removed"),
            )
            if count
        ]
        results = [
            f"{count} {word}"
            for count, word in (
                (self.assigned, "assigned"),
                (self.deactivated, "deactivated"),
                (self.failed, "failed"),
                (self.unmatched, "unmatched"),
            )
            if count
        ]
        text = ", ".join(files) or "no changes"
        if results:
            text += "; " + ", ".join(results)
        if self.problems:
            text += "; " + "; ".join(self.problems)
        return text


class FolderSource:
    """The sync source of one watched folder; see the module docstring.

    `other_folders()` returns the paths of the other watched folders (default: the library's
    folder sources); folders nested inside this one are left to their own source. `debounce`
    is the quiet time that ends a burst of file-system events.
    """

    def __init__(
        self,
        library,
        torrents,
        assigner,
        record,
        *,
        on_change: Callable[[], None] | None = None,
        other_folders: Callable[[], Iterable[str]] | None = None,
        debounce: float = DEBOUNCE_SECONDS,
    ) -> None:
        if not record.path:
            raise ValueError(f"sync source {record.name} has no folder path")
        self.library = library
        self.torrents = torrents
        self.assigner = assigner
        self.name: str = record.name
        self.path = os.path.normpath(os.path.abspath(record.path))
        self._mode = record.mode
        self._on_change = on_change
        self._other_folders = other_folders or self._library_folders
        self._debounce = debounce
        # the last scan's files; None until the first scan reads the saved ones
        self._snapshot: dict[str, FileState] | None = None
        self._stored: dict[str, FileState] = {}  # what the folder_file table holds
        self._unmatched: dict[str, Unmatched] = {}
        # what the names of the folder's videos say: unmatched ones are tried again every
        # sync, small ones are compared with larger ones, and guessit takes ~10 ms a name
        self._releases: dict[str, Release | None] = {}
        self._error: str | None = None
        self._lock = threading.Lock()  # guards what detail() reads
        self._running = threading.Lock()  # one scan at a time, whoever asks
        self._watcher: FolderWatcher | None = None
        self._drops = TorrentDrops(library, torrents, assigner, self.path)

    # ---- the scheduler's interface ------------------------------------------------------------

    async def sync(self) -> str:
        """Scan and apply the changes; raises FolderUnavailable when the folder is gone."""
        return await asyncio.to_thread(self.sync_blocking)

    def sync_blocking(self) -> str:
        """sync() on the calling thread (never the event loop's: it reads and writes files)."""
        with self._running:
            try:
                summary = self._sync()
            except FolderUnavailable as exc:
                with self._lock:
                    self._error = str(exc)
                raise
            with self._lock:
                self._error = None
        watcher = self._watcher
        if watcher is not None:
            watcher.rearm()
        return summary

    def detail(self) -> dict[str, Any]:
        with self._lock:
            unmatched = sorted(self._unmatched.values(), key=lambda u: u.path)
            error = self._error
        watcher = self._watcher
        if error is None and watcher is not None:
            error = watcher.error
        return {
            "path": self.path,
            "mode": self._current_mode(),
            "unmatched": [u.as_dict() for u in unmatched],
            "error": error,
        }

    def start_watching(self) -> None:
        """Watch the folder for changes; on_change() is called on the watcher's thread once
        per burst. A folder that does not exist yet is watched for from its parent."""
        self._mode = "watch"
        if self._watcher is None:
            self._watcher = FolderWatcher(self.path, self._changed, delay=self._debounce)
        self._watcher.start()

    def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.running

    # ---- one sync -------------------------------------------------------------------------

    def _sync(self) -> str:
        nested = self._nested_folders()
        current = folder_scan.scan(self.path, exclude=nested)
        first = self._snapshot is None
        if self._snapshot is None:
            self._snapshot = folder_state.load(self.library, self.name, self.path)
            self._stored = dict(self._snapshot)
        changes = folder_scan.diff(self._snapshot, current)
        report = _Report(len(changes.added), len(changes.changed), len(changes.removed))
        titles = TitleIndex(self.library)
        kept = dict(current)
        for path in (*changes.added, *changes.changed):
            if folder_scan.kind_of(path) == "torrent":
                settled = self._torrent(path, titles, report)
                if not settled or not os.path.exists(path):
                    kept.pop(path)  # moved away, or to be tried again next scan

        local, retired = self._local_assignments(nested)
        report.deactivated = self._deactivate_missing(local, current)
        videos = {p: s for p, s in current.items() if folder_scan.kind_of(p) == "video"}
        self._read_names(videos)
        samples = SampleCheck(self.path, videos, self._release_of)
        # the first scan rebuilds the unmatched list (memory only) from every video
        touched = set(videos) if first else set(changes.added) | set(changes.changed)
        with self._lock:
            retry = [p for p, u in self._unmatched.items() if u.kind == "video" and p in videos]
        for path in sorted(touched.union(retry)):
            if path in videos:
                self._video(path, videos[path], local, retired, samples, titles, report)
        self._prune_unmatched(videos)
        self._releases = {p: r for p, r in self._releases.items() if p in videos}
        self._snapshot = kept
        self._store(kept)
        with self._lock:
            report.unmatched = len(self._unmatched)
        summary = report.summary()
        logger.info("Folder %s (%s): %s", self.name, self.path, summary)
        return summary

    # ---- .torrent files -------------------------------------------------------------------

    def _torrent(self, path: str, titles: TitleIndex, report: _Report) -> bool:
        """Handle one .torrent; False when it is to be tried again next scan."""
        outcome = self._drops.handle(path, titles)
        report.assigned += outcome.assigned
        report.failed += outcome.failed
        if outcome.problem:
            report.problems.append(outcome.problem)
        entry = outcome.unmatched
        if entry is not None:
            with self._lock:
                # the same torrent dropped again is listed once, where it is now
                for old in [
                    p for p, u in self._unmatched.items() if u.info_hash == entry.info_hash
                ]:
                    del self._unmatched[old]
                self._unmatched[entry.path] = entry
        return outcome.settled

    # ---- video files ----------------------------------------------------------------------

    def _video(
        self,
        path: str,
        state: FileState,
        local: dict[str, list],
        retired: set[str],
        samples: SampleCheck,
        titles: TitleIndex,
        report: _Report,
    ) -> None:
        assigned = local.get(path)
        if assigned:
            for row in assigned:
                if row.file_size != state.size:
                    self.library.assign_local(row.item_type, row.item_id, path, size=state.size)
            self._forget(path)
            return
        if path in retired:
            # Unassigned by the user (or gone and back): assigning it again on its own would
            # undo the user's choice at every restart, so it waits for a hand.
            with self._lock:
                self._unmatched[path] = Unmatched(path, "video", RETIRED_REASON)
            return
        relative = os.path.relpath(path, self.path)
        sample = samples.reason(path, state.size)
        if sample is not None:
            # listed, not dropped: the user may know better and assign it anyway
            with self._lock:
                known = self._unmatched.get(path)
                self._unmatched[path] = Unmatched(path, "video", sample)
            if known is None or known.reason != sample:
                logger.info("Folder %s: %s is not assigned: it %s", self.name, relative, sample)
            return
        targets, reason = video_targets(self.library, self._release_of(path), titles, relative)
        if reason is not None:
            with self._lock:
                self._unmatched[path] = Unmatched(path, "video", reason)
            return
        name = os.path.basename(path)
        try:
            for item_type, item_id in targets:
                self.library.assign_local(
                    item_type,
                    item_id,
                    path,
                    size=state.size,
                    resolution=matching.guess_resolution(relative),
                    source=matching.guess_source(relative),
                )
        except LibraryError as exc:
            with self._lock:
                self._unmatched[path] = Unmatched(path, "video", str(exc))
            return
        logger.info("Folder %s: %s is now the source of %d item(s)", self.name, name, len(targets))
        report.assigned += len(targets)
        self._forget(path)

    def _local_assignments(self, nested: list[str]) -> tuple[dict[str, list], set[str]]:
        """This folder's active local assignments by file path (not the nested folders'),
        and the paths that have only inactive ones."""
        active: dict[str, list] = {}
        inactive: set[str] = set()
        for row in self.library.local_assignments(self.path):
            if folder_scan.owner_of(row.local_path, nested) is not None:
                continue
            if row.active:
                active.setdefault(row.local_path, []).append(row)
            else:
                inactive.add(row.local_path)
        return active, inactive - active.keys()

    def _deactivate_missing(self, local: dict[str, list], current: dict) -> int:
        """Take files that are gone off the share; returns how many assignments went."""
        done = 0
        for path, rows in list(local.items()):
            # a file the scan skips (hidden, in processed/) still counts while it exists
            if path in current or os.path.isfile(path):
                continue
            for row in rows:
                self.library.deactivate(row.id)
                done += 1
            del local[path]
            logger.info("Folder %s: %s is gone; its assignment is deactivated", self.name, path)
        return done

    # ---- unmatched and helpers --------------------------------------------------------------

    def _read_names(self, videos: dict[str, FileState]) -> None:
        """Parse the names not read yet in one batch (a helper process for many)."""
        new = sorted(p for p in videos if p not in self._releases)
        relative = [os.path.relpath(p, self.path) for p in new]
        self._releases.update(zip(new, folder_parse.releases(relative), strict=True))

    def _release_of(self, path: str) -> Release | None:
        """What a video's name (below the folder) says; the scan's thread only."""
        if path not in self._releases:
            self._releases[path] = guess_release(os.path.relpath(path, self.path))
        return self._releases[path]

    def _store(self, snapshot: dict[str, FileState]) -> None:
        """Save the scan for the next start; a failure costs only that start's report."""
        try:
            folder_state.save(self.library, self.name, self.path, self._stored, snapshot)
        except Exception as exc:  # removed meanwhile, a full disk: the next scan tries again
            logger.warning("Folder %s: its scan could not be saved: %s", self.name, exc)
            return
        self._stored = dict(snapshot)

    def _forget(self, path: str) -> None:
        with self._lock:
            self._unmatched.pop(path, None)

    def _prune_unmatched(self, videos: dict[str, FileState]) -> None:
        """Drop videos that went and torrents assigned or removed since (Torrents view)."""
        with self._lock:
            entries = list(self._unmatched.values())
        for entry in entries:
            if entry.kind == "video":
                gone = entry.path not in videos
            else:
                gone = self._torrent_settled(entry.info_hash)
            if gone:
                self._forget(entry.path)

    def _torrent_settled(self, info_hash: str | None) -> bool:
        if not info_hash:
            return True
        try:
            if self.library.assignments_for_hash(info_hash, active_only=True):
                return True
            return self.torrents.get(info_hash) is None
        except (LibraryError, TorrentError):
            return True

    def _nested_folders(self) -> list[str]:
        """Other watched folders inside this one: their files are theirs."""
        nested = []
        for other in self._other_folders():
            other = os.path.normpath(os.path.abspath(other))
            if other != self.path and folder_scan.is_inside(other, self.path):
                nested.append(other)
        return nested

    def _library_folders(self) -> list[str]:
        return [
            record.path
            for record in self.library.sync_sources()
            if record.kind == "folder" and record.path and record.name != self.name
        ]

    def _current_mode(self) -> str:
        with contextlib.suppress(LookupError):  # removed meanwhile: the last known mode
            self._mode = self.library.get_sync_source(self.name).mode
        return self._mode

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
