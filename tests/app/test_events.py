"""CoreEvents: listener callbacks from worker threads arrive as signals on the Qt thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from app.events import CoreEvents
from app.library.db import close_database, open_database
from app.library.repository import Library


def test_library_writes_on_a_worker_thread_arrive_on_the_qt_thread(qtbot, paths):
    library = Library(open_database(paths.database_file))
    events = CoreEvents()
    seen: list[bool] = []
    events.library_changed.connect(lambda: seen.append(QThread.currentThread().isMainThread()))

    class Parts:
        torrents = None
        sync = None

    parts = Parts()
    parts.library = library
    events.attach(parts)
    try:
        writer = threading.Thread(target=library.add_movie, args=("Heat", 1995))
        with qtbot.waitSignal(events.library_changed, timeout=5000):
            writer.start()
        writer.join()
        assert seen and all(seen)
    finally:
        close_database(library.db)


def test_torrent_and_sync_callbacks_from_any_thread(qtbot):
    events = CoreEvents()
    received: list[tuple[str, str, bool]] = []
    events.torrent_event.connect(
        lambda event, info_hash: received.append(
            (event, info_hash, QThread.currentThread().isMainThread())
        )
    )
    names: list[str] = []
    events.sync_changed.connect(names.append)

    class State:
        name = "TMDB library"

    with qtbot.waitSignal(events.torrent_event, timeout=5000):
        threading.Thread(target=events._on_torrent, args=("finished", "ab" * 20)).start()
    with qtbot.waitSignal(events.sync_changed, timeout=5000):
        threading.Thread(target=events._on_sync, args=(State(),)).start()
    assert received == [("finished", "ab" * 20, True)]
    assert names == ["TMDB library"]
