"""SyncManager on a real library file and the real scheduler: library rows and scheduler
sources stay in step, bad values change nothing, and calls from other threads hop onto the
loop. Sources are stand-ins (tests/support/sync_sources.py)."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from app.library.errors import DuplicateItem, InvalidValue, NotFound
from app.sync.manager import SyncManager, SyncUnavailable
from app.sync.scheduler import SyncError, SyncScheduler, UnknownSource
from tests.support.sync_sources import SourceFactory


def play(library, scenario, factory=None):
    factory = factory or SourceFactory()

    async def main():
        scheduler = SyncScheduler()
        manager = SyncManager(library, scheduler, factory)
        manager.start()
        try:
            return await scenario(manager, factory)
        finally:
            await scheduler.aclose()

    return asyncio.run(main())


def made(folder):
    folder.mkdir(exist_ok=True)
    return folder


async def until(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_sources_come_from_the_library_and_watched_folders_catch_up_at_start(library, tmp_path):
    library.add_folder_source(tmp_path / "watched", "watch", 10)
    library.add_folder_source(tmp_path / "polled", "poll", 5)
    library.add_folder_source(tmp_path / "by-hand", "manual", 0)
    library.update_sync_source("tmdb", interval_minutes=60)

    async def scenario(manager, factory):
        states = {state.name: state for state in manager.states()}
        assert list(states) == ["tmdb", "folder-1", "folder-2", "folder-3"]
        assert [(s.mode, s.interval_minutes) for s in states.values()] == [
            ("poll", 60),
            ("watch", 10),
            ("poll", 5),
            ("manual", 0),
        ]
        assert factory.made["folder-1"].watching and not factory.made["folder-2"].watching
        # only the watched folder runs at once: its watcher missed what changed meanwhile
        await until(lambda: manager.state("folder-1").history)
        assert manager.state("folder-1").history[0].reason == "app"
        assert [factory.made[n].runs for n in ("tmdb", "folder-2", "folder-3")] == [0, 0, 0]

    play(library, scenario)


def test_a_source_that_cannot_be_built_is_skipped_and_the_rest_run(library, tmp_path, caplog):
    library.add_folder_source(tmp_path / "a", "manual", 0)
    factory = SourceFactory()
    factory.refuse = {"folder"}

    async def scenario(manager, factory):
        assert [s.name for s in manager.states()] == ["tmdb"]
        # adding one more while folders cannot be set up leaves no row behind
        with pytest.raises(OSError, match="cannot set up folder"):
            await asyncio.to_thread(manager.add_folder, made(tmp_path / "b"))
        assert [r.name for r in library.sync_sources()] == ["tmdb", "folder-1"]

    with caplog.at_level(logging.ERROR):
        play(library, scenario, factory)
    assert "folder-1 could not be set up" in caplog.text


def test_changes_from_a_worker_thread_are_saved_then_applied_on_the_loop(library, tmp_path):
    async def scenario(manager, factory):
        loop_thread = threading.get_ident()
        seen_on: list[int] = []
        manager.scheduler.add_listener(lambda state: seen_on.append(threading.get_ident()))
        state = await asyncio.to_thread(manager.add_folder, made(tmp_path / "in"), "poll", 15)
        assert (state.name, state.mode, state.interval_minutes) == ("folder-1", "poll", 15)
        state = await asyncio.to_thread(
            lambda: manager.update_source("folder-1", interval_minutes="30", mode="manual")
        )
        assert (state.mode, state.interval_minutes, state.next_due) == ("manual", 30, None)
        record = library.get_sync_source("folder-1")
        assert (record.mode, record.interval_minutes) == ("manual", 30)
        assert seen_on and set(seen_on) == {loop_thread}  # the scheduler only ran on the loop
        await asyncio.to_thread(manager.remove_folder, "folder-1")
        assert manager.scheduler.names() == ["tmdb"]
        with pytest.raises(NotFound):
            library.get_sync_source("folder-1")

    play(library, scenario)


def test_bad_values_change_nothing(library, tmp_path):
    async def scenario(manager, factory):
        await asyncio.to_thread(manager.add_folder, made(tmp_path / "in"), "poll", 15)
        for bad in (-1, 2.5, "soon"):
            with pytest.raises(InvalidValue, match="must be 0 or at least 1 minute"):
                await asyncio.to_thread(
                    lambda bad=bad: manager.update_source("folder-1", interval_minutes=bad)
                )
        with pytest.raises(InvalidValue, match="mode"):
            manager.update_source("tmdb", mode="watch")
        with pytest.raises(DuplicateItem):
            await asyncio.to_thread(manager.add_folder, made(tmp_path / "in"))
        with pytest.raises(InvalidValue, match="cannot be removed"):
            manager.remove_folder("tmdb")
        with pytest.raises(UnknownSource):
            await asyncio.to_thread(manager.state, "folder-9")
        assert manager.state("folder-1").interval_minutes == 15
        assert manager.state("tmdb").mode == "poll"
        assert [s.name for s in manager.states()] == ["tmdb", "folder-1"]

    play(library, scenario)


def test_run_from_a_worker_waits_for_the_run_and_is_refused_on_the_loop(library):
    async def scenario(manager, factory):
        run, state = await asyncio.to_thread(manager.run, "tmdb")
        assert (run.outcome, run.summary, run.reason) == ("ok", "run 1", "api")
        assert state.last_summary == "run 1" and state.next_due is not None
        with pytest.raises(RuntimeError, match="on the loop"):
            manager.run("tmdb")
        factory.made["tmdb"].hold = 1.0
        run, state = await asyncio.to_thread(manager.run, "tmdb", "api", 0.1)
        assert run is None and state.running
        results = await asyncio.to_thread(manager.rescan_all)
        assert results == {"tmdb": "run 2"}  # joined the run still going

    play(library, scenario)


def test_a_watched_change_from_any_thread_triggers_one_run(library, tmp_path):
    library.add_folder_source(tmp_path / "w", "watch", 10)

    async def scenario(manager, factory):
        source = factory.made["folder-1"]
        await until(lambda: source.runs == 1)  # the catch-up at start
        thread = threading.Thread(target=source.on_change)
        thread.start()
        thread.join()
        await until(lambda: source.runs == 2)
        assert manager.state("folder-1").history[0].reason == "watch"
        manager.remove_folder("folder-1")
        source.on_change()  # a late event for a removed folder is ignored
        await asyncio.sleep(0.05)
        assert source.runs == 2

    play(library, scenario)


def test_assign_a_folders_video_file_and_rescan_that_folder(library, tmp_path):
    outer = tmp_path / "media"
    inner = outer / "films"
    inner.mkdir(parents=True)
    video = inner / "Heat.1995.1080p.BluRay.x264.mkv"
    video.write_bytes(b"x" * 4096)
    (inner / "notes.txt").write_text("hi")
    library.add_folder_source(outer, "manual", 0)
    library.add_folder_source(inner, "manual", 0)
    movie = library.add_movie("Heat", 1995)

    async def scenario(manager, factory):
        assignment = await asyncio.to_thread(
            manager.assign_local_file, str(video), "movie", movie.id
        )
        assert assignment.local_path == str(video) and assignment.file_size == 4096
        assert (assignment.resolution, assignment.source) == ("1080p", "BluRay")
        assert library.active_assignment("movie", movie.id).id == assignment.id
        # the most specific folder holding the file rescans; the outer one does not
        await until(lambda: factory.made["folder-2"].runs == 1)
        assert factory.made["folder-1"].runs == 0
        with pytest.raises(InvalidValue, match="not a video"):
            manager.assign_local_file(inner / "notes.txt", "movie", movie.id)
        with pytest.raises(InvalidValue, match="cannot read"):
            manager.assign_local_file(inner / "Gone.2001.mkv", "movie", movie.id)
        with pytest.raises(NotFound):
            manager.assign_local_file(video, "movie", 9999)

    play(library, scenario)


def test_calls_after_the_loop_stopped_say_sync_is_not_running(library):
    factory = SourceFactory()

    async def build():
        scheduler = SyncScheduler()
        manager = SyncManager(library, scheduler, factory)
        manager.start()
        await scheduler.aclose()
        return manager

    manager = asyncio.run(build())
    with pytest.raises(SyncUnavailable, match="not running"):
        manager.run("tmdb")


def test_a_run_cancelled_under_a_waiting_caller_is_a_clear_error(library, tmp_path):
    library.add_folder_source(tmp_path / "slow", "manual", 0)
    factory = SourceFactory(hold=5.0)

    async def scenario(manager, factory):
        waiting = asyncio.ensure_future(asyncio.to_thread(manager.run, "folder-1"))
        await until(lambda: manager.scheduler.state("folder-1").running)
        manager.remove_folder("folder-1")  # on the loop, while a worker waits for the run
        with pytest.raises(SyncError, match="cancelled"):
            await waiting

    play(library, scenario, factory)


def test_the_last_run_is_saved_and_its_countdown_survives_a_restart(library):
    library.update_sync_source("tmdb", interval_minutes=60)

    async def first(manager, factory):
        await manager.scheduler.sync_now("tmdb")
        return manager.state("tmdb")

    before = play(library, first)
    saved = library.get_sync_source("tmdb")
    assert (saved.last_success, saved.last_summary) == (before.last_success, "run 1")

    async def second(manager, factory):
        return manager.state("tmdb"), factory.made["tmdb"].runs

    after, runs = play(library, second)
    assert runs == 0  # it ran minutes ago: not again at start
    assert (after.last_attempt, after.last_success) == (before.last_attempt, before.last_success)
    assert after.last_summary == "run 1"
    # the next run is an interval after the saved one ended, not after this start
    assert abs((after.next_due - before.next_due).total_seconds()) < 1


def test_the_history_survives_a_restart_on_the_same_file_and_is_capped(library):
    from app.library.db import close_database, open_database
    from app.library.repository import Library
    from app.sync import run_log

    async def first(manager, factory):
        await manager.scheduler.sync_now("tmdb", "manual")
        factory.made["tmdb"].fail = "TMDB is down"
        await manager.scheduler.run("tmdb", "api")
        return manager.state("tmdb")

    before = play(library, first)
    assert [run.outcome for run in before.history] == ["error", "ok"]

    # A restart: a new Library, scheduler and manager on the same SQLite file.
    db = open_database(library.db.database)
    try:
        restarted = Library(db)

        async def second(manager, factory):
            return manager.state("tmdb")

        after = play(restarted, second)
        assert after.history == before.history  # started, took, why, outcome, summary, error
        assert after.last_success is not None and after.history[1].summary == "run 1"

        for _ in range(run_log.KEEP + 3):
            run_log.save(restarted, "tmdb", before.history[0])
        assert len(run_log.load(restarted, "tmdb")) == run_log.KEEP
    finally:
        close_database(db)
