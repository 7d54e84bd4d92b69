"""What each watched folder saw at its last scan, kept in the library's folder_file table.

A folder source compares every scan with the previous one and reports only the difference.
Kept in memory alone, the first scan after a restart had nothing to compare with and
reported every file as added. So each scan's result is saved here (paths relative to the
folder, with size and mtime) and loaded at the source's first scan: a restart's first run
reports what changed while the app was off, and nothing else.

Why a table of its own and not the local assignment rows: those know only the files that
found an item, and no mtime; unmatched videos and .torrent files waiting in the folder must
not look new either. Rows go with their source (ON DELETE CASCADE). Writes take the
library's write lock like its own writes; no listener hears of them (the share's tree does
not change for a scan's bookkeeping). Only what changed is written: a quiet scan writes
nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from app.library.models import FolderFileRecord
from app.sync.folder_scan import FileState

logger = logging.getLogger(__name__)

Snapshot = Mapping[str, FileState]  # absolute path -> state


def load(library, name: str, root: str) -> dict[str, FileState]:
    """The files `name` (the folder `root`) saw at its last scan, by absolute path."""
    rows = FolderFileRecord.select().where(FolderFileRecord.source == name)
    return {
        os.path.join(root, *row.path.split("/")): FileState(row.size, row.mtime_ns) for row in rows
    }


def save(library, name: str, root: str, old: Snapshot, new: Snapshot) -> None:
    """Store `new` in place of `old` (what load() gave or the last save stored)."""
    gone = [_relative(path, root) for path in old.keys() - new.keys()]
    put = [
        {"source": name, "path": _relative(path, root), "size": s.size, "mtime_ns": s.mtime_ns}
        for path, s in new.items()
        if old.get(path) != s
    ]
    if not gone and not put:
        return
    db = library.db
    with db.write_lock, db.atomic("IMMEDIATE"):
        for start in range(0, len(gone), 500):  # SQLite's limit on bound variables
            FolderFileRecord.delete().where(
                (FolderFileRecord.source == name)
                & FolderFileRecord.path.in_(gone[start : start + 500])
            ).execute()
        for start in range(0, len(put), 200):
            FolderFileRecord.replace_many(put[start : start + 200]).execute()


def _relative(path: str, root: str) -> str:
    # "/" on every platform, so a library copied between systems reads the same
    return os.path.relpath(path, root).replace(os.sep, "/")
