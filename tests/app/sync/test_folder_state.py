"""A watched folder's scan survives a restart: each session is a new Library, scheduler and
SyncManager on the same SQLite file, with real FolderSources over real files in tmp_path,
so the first run after a restart reports only what changed while the app was off."""

from __future__ import annotations

import asyncio

from app.assign import Assigner
from app.library.db import close_database, open_database
from app.library.models import FolderFileRecord
from app.library.repository import Library
from app.sync.folders import FolderSource
from app.sync.manager import SyncManager
from app.sync.scheduler import SyncScheduler
from tests.support.swarm import KiB


def video(path, size: int = 64 * KiB):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: only the size matters
    return path


def session(database, torrents, name: str):
    """Start the app's sync part on `database`, run the folder once, stop; returns the run,
    the folder's unmatched files and the library (closed) rows the caller asks for."""
    db = open_database(database)
    try:
        library = Library(db)

        def make(record, on_change):
            if record.kind != "folder":
                return None  # the TMDB refresh: not part of this test
            return FolderSource(
                library, torrents, Assigner(library, torrents), record, on_change=on_change
            )

        async def main():
            scheduler = SyncScheduler()
            manager = SyncManager(library, scheduler, make)
            manager.start()
            try:
                run = await scheduler.run(name, "manual")
                return run, manager.source(name).detail()["unmatched"]
            finally:
                await scheduler.aclose()

        run, unmatched = asyncio.run(main())
        assert run.outcome == "ok", run.error
        rows = sorted((r.path, r.size) for r in FolderFileRecord.select())
        return run.summary, sorted(u["path"] for u in unmatched), rows
    finally:
        close_database(db)


def test_the_first_run_after_a_restart_reports_only_what_changed_meanwhile(
    library, torrents, tmp_path
):
    folder = tmp_path / "watched"
    heat_file = video(folder / "Movies" / "Heat.1995.1080p.BluRay.mkv", 300 * KiB)
    unknown = video(folder / "Unknown.Film.2020.mkv")
    gone = video(folder / "Gone.Film.2001.mkv")
    heat = library.add_movie("Heat", 1995)
    name = library.add_folder_source(folder, "manual", 0).name
    database = library.db.database

    summary, waiting, rows = session(database, torrents, name)
    assert summary == "3 added; 1 assigned, 2 unmatched"
    assert waiting == [str(gone), str(unknown)]
    assert rows == [
        ("Gone.Film.2001.mkv", 64 * KiB),
        ("Movies/Heat.1995.1080p.BluRay.mkv", 300 * KiB),
        ("Unknown.Film.2020.mkv", 64 * KiB),
    ]

    # Restart, nothing changed: nothing added, the unmatched files are listed again.
    summary, waiting, _rows = session(database, torrents, name)
    assert summary == "no changes; 2 unmatched"
    assert waiting == [str(gone), str(unknown)]

    # While the app is off, one file is added and one removed.
    gone.unlink()
    fresh = video(folder / "Fresh.Film.2010.mkv", 80 * KiB)
    summary, waiting, rows = session(database, torrents, name)
    assert summary == "1 added, 1 removed; 2 unmatched"
    assert waiting == [str(fresh), str(unknown)]
    assert [path for path, _size in rows] == [
        "Fresh.Film.2010.mkv",
        "Movies/Heat.1995.1080p.BluRay.mkv",
        "Unknown.Film.2020.mkv",
    ]

    # A file grown meanwhile is changed, and its item's source says the new size.
    with open(heat_file, "r+b") as handle:
        handle.truncate(400 * KiB)
    summary, _waiting, _rows = session(database, torrents, name)
    assert summary == "1 changed; 2 unmatched"

    db = open_database(database)  # models bind to the last database opened
    try:
        library = Library(db)
        assert library.active_assignment("movie", heat.id).file_size == 400 * KiB
        # The saved scan goes with its folder.
        library.remove_sync_source(name)
        assert FolderFileRecord.select().count() == 0
    finally:
        close_database(db)
