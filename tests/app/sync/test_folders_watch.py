"""Watch mode with a real watchdog observer on tmp_path: one on_change per burst of events."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.assign import Assigner
from app.sync.folder_watch import Debouncer
from app.sync.folders import FolderSource
from tests.support.swarm import KiB, make_files, make_torrent, wait_until

DEBOUNCE = 0.3
QUIET = 0.8  # long enough that a second call, if any, would have come


class Calls:
    """on_change that records when it was called and on which thread."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.threads: list[threading.Thread] = []

    def __call__(self) -> None:
        self.times.append(time.monotonic())
        self.threads.append(threading.current_thread())

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        return wait_until(lambda: len(self.times) >= count, timeout, 0.01)


@pytest.fixture
def watched(library, torrents):
    """watched(path) -> (a watching FolderSource, its Calls); stopped at the end."""
    sources = []

    def factory(path):
        calls = Calls()
        record = library.add_folder_source(path, mode="watch")
        source = FolderSource(
            library, torrents, Assigner(library, torrents), record, on_change=calls
        )
        source.start_watching()
        sources.append(source)
        return source, calls

    yield factory
    for source in sources:
        source.stop_watching()


def test_a_burst_of_events_gives_one_call_after_it_ends(tmp_path, watched):
    folder = tmp_path / "watched"
    folder.mkdir()
    source, calls = watched(folder)
    assert source.watching

    for number in range(6):  # a copy of a season: events 50 ms apart
        (folder / f"Dark.S01E0{number + 1}.mkv").write_bytes(b"x" * 1000)
        last = time.monotonic()
        time.sleep(0.05)
    assert calls.wait_for(1)
    time.sleep(QUIET)
    assert len(calls.times) == 1
    assert calls.times[0] - last >= DEBOUNCE - 0.02  # not before the burst went quiet
    assert calls.threads[0] is not threading.main_thread()

    (folder / "Dark.S01E01.mkv").unlink()  # the next burst: one more call
    assert calls.wait_for(2)
    time.sleep(QUIET)
    assert len(calls.times) == 2


def test_reads_and_its_own_moves_do_not_wake_the_watcher(tmp_path, watched):
    folder = tmp_path / "watched"
    folder.mkdir()
    content = tmp_path / "content"
    make_files(content, {"Unknown.Film.2020.mkv": 40 * KiB})
    torrent = make_torrent(content, "Unknown.Film.2020.mkv", 16 * KiB)
    source, calls = watched(folder)

    (folder / "Unknown.Film.2020.torrent").write_bytes(torrent)
    assert calls.wait_for(1)
    # the sync this call asks for reads the .torrent and moves it to processed/
    assert asyncio.run(source.sync()) == "1 added; 1 unmatched"
    assert (folder / "processed" / "Unknown.Film.2020.torrent").exists()
    (folder / "notes.txt").write_text("not a file a folder cares about")
    (folder / "processed" / "copy.torrent").write_bytes(torrent)
    time.sleep(QUIET)
    assert len(calls.times) == 1


def test_a_folder_that_appears_later_is_noticed(tmp_path, watched):
    folder = tmp_path / "not-yet" / "watched"
    source, calls = watched(folder)
    assert source.detail()["error"] is None  # waiting for it is not an error

    folder.mkdir(parents=True)
    assert calls.wait_for(1)  # the watch moved onto the folder before this call
    (folder / "Heat.1995.mkv").write_bytes(b"x")  # now watched itself, recursively
    assert calls.wait_for(2)


def test_a_deleted_folder_asks_for_a_sync_and_is_watched_for_again(tmp_path, watched):
    folder = tmp_path / "watched"
    folder.mkdir()
    source, calls = watched(folder)

    folder.rmdir()
    assert calls.wait_for(1)  # the sync it asks for marks the source failing
    folder.mkdir()
    assert calls.wait_for(2)
    time.sleep(QUIET)
    assert len(calls.times) == 2

    # gone and back within one burst: the new folder is watched, not the dead one
    folder.rmdir()
    folder.mkdir()
    assert calls.wait_for(3)
    (folder / "Heat.1995.mkv").write_bytes(b"x")
    assert calls.wait_for(4)


def test_stop_watching_ends_the_calls(tmp_path, watched):
    folder = tmp_path / "watched"
    folder.mkdir()
    source, calls = watched(folder)
    (folder / "a.mkv").write_bytes(b"x")
    source.stop_watching()
    assert not source.watching
    (folder / "b.mkv").write_bytes(b"x")
    time.sleep(QUIET)
    assert calls.times == []


def test_debouncer_calls_once_per_burst():
    called = []
    debouncer = Debouncer(lambda: called.append(time.monotonic()), delay=0.1)
    started = time.monotonic()
    for _ in range(20):
        debouncer.poke()
        time.sleep(0.01)
    assert wait_until(lambda: called, 2, 0.01)
    time.sleep(0.3)
    assert len(called) == 1 and called[0] - started >= 0.2 + 0.1 - 0.02
    debouncer.poke()
    debouncer.close()  # a pending burst is dropped
    time.sleep(0.3)
    assert len(called) == 1


def test_watch_mode_through_the_scheduler(library, torrents, tmp_path):
    """The app's wiring: SyncManager hops each burst onto the loop as a "watch" run."""
    from app.sync.manager import SyncManager
    from app.sync.scheduler import SyncScheduler

    folder = tmp_path / "watched"
    folder.mkdir()
    heat = library.add_movie("Heat", 1995)

    def make_source(record, on_change):
        if record.kind != "folder":
            return None
        assigner = Assigner(library, torrents)
        return FolderSource(library, torrents, assigner, record, on_change=on_change)

    async def scenario():
        scheduler = SyncScheduler(enabled=True)
        manager = SyncManager(library, scheduler, make_source)
        manager.start()
        try:
            name = manager.add_folder(folder, "watch", 0).name

            async def runs(count: int) -> list:
                for _ in range(100):
                    history = scheduler.state(name).history
                    if len(history) >= count:
                        return list(history)
                    await asyncio.sleep(0.05)
                return list(scheduler.state(name).history)

            first = await runs(1)  # adding a folder scans it once
            assert [(r.reason, r.summary) for r in first] == [("app", "no changes")]
            (folder / "Heat.1995.1080p.mkv").write_bytes(b"x" * 5000)
            latest = (await runs(2))[0]
            assert (latest.reason, latest.summary) == ("watch", "1 added; 1 assigned")
            state = scheduler.state(name)
            assert state.detail["mode"] == "watch" and state.detail["error"] is None
        finally:
            await scheduler.aclose()
        assert not manager.source(name).watching  # stopped with the scheduler

    asyncio.run(scenario())
    assert library.active_assignment("movie", heat.id).local_path == str(
        folder / "Heat.1995.1080p.mkv"
    )
