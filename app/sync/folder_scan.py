"""One scan of a watched folder's tree and the difference between two scans.

A scan lists the .torrent and video files under the folder with their size and mtime. It
skips the folder's own `processed` and `failed` subfolders (where handled .torrent files go),
hidden entries, symlinked folders (a link back up would loop), and the folders given as
excluded (watched folders nested inside this one: their files are theirs). A folder that is
missing or any part of it that cannot be listed fails the whole scan with FolderUnavailable,
so a half-read tree never looks like deleted files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.library import matching
from app.sync.scheduler import SyncError

logger = logging.getLogger(__name__)

PROCESSED = "processed"
FAILED = "failed"
TORRENT_EXTENSION = ".torrent"


class FolderUnavailable(SyncError):
    """The watched folder is missing or cannot be read; nothing was changed."""


@dataclass(frozen=True, slots=True)
class FileState:
    """What a scan saw of one file: a change in either means the file changed."""

    size: int
    mtime_ns: int


Snapshot = Mapping[str, FileState]  # absolute path -> state


@dataclass(frozen=True)
class Diff:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def kind_of(path: str) -> str | None:
    """ "torrent", "video", or None for files a watched folder ignores."""
    if path.lower().endswith(TORRENT_EXTENSION):
        return "torrent"
    if matching.is_video(path):
        return "video"
    return None


def scan(root: str, exclude: Iterable[str] = ()) -> dict[str, FileState]:
    """The .torrent and video files under root (absolute paths); raises FolderUnavailable."""
    if not os.path.isdir(root):
        if os.path.exists(root):
            raise FolderUnavailable(f"{root} is not a folder")
        raise FolderUnavailable(f"the folder {root} does not exist (moved, deleted or unmounted?)")
    skipped = {os.path.join(root, PROCESSED), os.path.join(root, FAILED)}
    skipped.update(os.path.normpath(path) for path in exclude)
    found: dict[str, FileState] = {}
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    _visit(entry, skipped, pending, found)
        except FileNotFoundError:
            if folder == root:
                raise FolderUnavailable(f"the folder {root} disappeared during the scan") from None
            continue  # a subfolder deleted meanwhile: its files are gone
        except OSError as exc:
            raise FolderUnavailable(f"cannot read {folder}: {exc.strerror or exc}") from None
    return found


def _visit(entry: os.DirEntry, skipped: set[str], pending: list, found: dict) -> None:
    if entry.is_dir(follow_symlinks=False):
        if entry.path not in skipped:
            pending.append(entry.path)
        return
    if kind_of(entry.name) is None:
        return
    try:
        stat = entry.stat()  # follows a symlinked file: its target's size is what is served
    except FileNotFoundError:
        return  # deleted (or a dangling link) between listing and stat: not there
    found[entry.path] = FileState(stat.st_size, stat.st_mtime_ns)


def diff(old: Snapshot, new: Snapshot) -> Diff:
    return Diff(
        added=tuple(sorted(new.keys() - old.keys())),
        changed=tuple(sorted(p for p in new.keys() & old.keys() if new[p] != old[p])),
        removed=tuple(sorted(old.keys() - new.keys())),
    )


def owner_of(path: str, folders: Iterable[str]) -> str | None:
    """The most specific of `folders` that holds `path`, or None."""
    best = None
    for folder in folders:
        if is_inside(path, folder) and (best is None or len(folder) > len(best)):
            best = folder
    return best


def is_inside(path: str, folder: str) -> bool:
    return path.startswith(os.path.join(folder, ""))
