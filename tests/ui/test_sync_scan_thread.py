"""A scan of a 500-file watched folder never runs on the Qt thread: the walk and the library
writes run on a worker thread, the names are read in a helper process, and the Qt event loop
keeps serving timers while the scan is under way (proved by order: the scan waits for a Qt
timer to fire, which it could not do if it held the Qt thread)."""

from __future__ import annotations

import asyncio
import os
import threading

from PySide6.QtCore import QTimer

from app.sync import folder_parse, folder_scan
from tests.ui.conftest import run_app

FILES = 500


def sparse_videos(folder) -> None:
    folder.mkdir()
    for n in range(FILES - 1):
        with open(folder / f"Film Number {n:04d} ({1950 + n % 70}).1080p.mkv", "wb") as file:
            file.truncate(700 * 1024 * 1024)
    with open(folder / "Heat.1995.1080p.BluRay.mkv", "wb") as file:
        file.truncate(2 * 1024**3)


def test_a_500_file_scan_runs_off_the_qt_thread(qapp, make_core, tmp_path, monkeypatch):
    folder = tmp_path / "Downloads"
    sparse_videos(folder)
    threads: dict[str, int] = {}
    timer_fired = threading.Event()
    real_scan, real_releases = folder_scan.scan, folder_parse.releases

    def scan(root, exclude=()):
        threads["walk"] = threading.get_ident()
        # The scan is in flight: it goes on only once the Qt thread has run a queued timer.
        assert timer_fired.wait(30), "the Qt thread did not run its timer during the scan"
        return real_scan(root, exclude)

    pools = []

    def releases(names):
        threads["parse"] = threading.get_ident()
        found = real_releases(names)
        pools.append(folder_parse._pool)  # None after a fall back to parsing in place
        return found

    monkeypatch.setattr(folder_scan, "scan", scan)
    monkeypatch.setattr(folder_parse, "releases", releases)

    async def scenario(reelbox):
        core = reelbox.core
        qt_thread = threading.get_ident()
        movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
        real_assign = core.library.assign_local

        def assign_local(*args, **kwargs):
            threads["write"] = threading.get_ident()
            return real_assign(*args, **kwargs)

        monkeypatch.setattr(core.library, "assign_local", assign_local)
        state = await asyncio.to_thread(core.add_folder, folder, "manual", 0)
        QTimer.singleShot(0, timer_fired.set)
        summary = await core.sync.sync_now(state.name, "manual")
        assignment = await asyncio.to_thread(core.library.active_assignment, "movie", movie.id)
        pool = pools[-1]
        helper = (
            None
            if pool is None
            else await asyncio.to_thread(lambda: pool.submit(os.getpid).result())
        )
        return qt_thread, summary, assignment, helper

    code, (qt_thread, summary, assignment, helper) = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert summary == f"{FILES} added; 1 assigned, {FILES - 1} unmatched"
    assert assignment.local_path == str(folder / "Heat.1995.1080p.BluRay.mkv")
    assert set(threads) == {"walk", "parse", "write"}
    assert qt_thread not in threads.values()
    assert helper is not None and helper != os.getpid()  # read in the helper process
