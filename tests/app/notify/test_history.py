"""Media-server notifications in the sync history (app/notify/history.py): each target is a
manual sync source, each delivery one run of it, running it by hand sends a test.

Real parts: the Notifier and the SyncScheduler on one loop and a FakeClock (the debounce is
played, not waited for), loopback servers that record what they get (tests/support/).
"""

from __future__ import annotations

import asyncio
import threading
import time

from app.notify.history import NotifySources
from app.notify.notifier import Notifier
from app.settings import NotifySettings, NotifyTarget
from app.sync.scheduler import SyncScheduler
from tests.app.notify.test_notifier import keyring_tokens, movies
from tests.support.clock import FakeClock, settle
from tests.support.loopback import free_port
from tests.support.media_servers import serve


async def until(predicate, timeout: float = 30.0) -> None:
    """Wait on the loop for the loopback servers; the timeout only stops a hung test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def started(
    *targets: NotifyTarget,
) -> tuple[FakeClock, Notifier, SyncScheduler, NotifySources]:
    clock = FakeClock()
    notifier = Notifier(NotifySettings(2.0, targets), keyring_tokens(), clock=clock)
    scheduler = SyncScheduler(clock=clock)
    sources = NotifySources(notifier, scheduler)
    scheduler.start()
    notifier.tree_changed(movies())  # what the servers already see
    await settle()
    return clock, notifier, scheduler, sources


async def stopped(notifier: Notifier, scheduler: SyncScheduler) -> None:
    await notifier.aclose()
    await scheduler.aclose()


def runs(scheduler: SyncScheduler, name: str) -> list[tuple[str, str, str, str | None]]:
    return [
        (run.reason, run.outcome, run.summary, run.error) for run in scheduler.state(name).history
    ]


def test_a_change_is_one_run_per_target_ok_or_error_and_each_target_a_manual_source():
    async def scenario(good, broken):
        refused = f"http://127.0.0.1:{free_port()}"
        clock, notifier, scheduler, _ = await started(
            NotifyTarget("good", "jellyfin", url=good.url),
            NotifyTarget("broken", "emby", url=broken.url),
            NotifyTarget("refused", "jellyfin", url=refused),
        )
        try:
            names = scheduler.names()
            states = {name: scheduler.state(name) for name in names}
            notifier.tree_changed(movies("Heat (1995)"))
            await clock.advance(2.0)
            await notifier.settled()
            return names, states, {name: scheduler.state(name) for name in names}
        finally:
            await stopped(notifier, scheduler)

    with serve("jellyfin") as good, serve("emby") as broken:
        broken.status = 500
        names, before, after = asyncio.run(scenario(good, broken))
    assert names == ["notify-good", "notify-broken", "notify-refused"]
    for state in before.values():
        assert (state.mode, state.interval_minutes, state.next_due) == ("manual", 0, None)
        assert state.history == () and state.detail["kind"] == "notify"
    assert before["notify-good"].detail == {
        "kind": "notify",
        "target": "good",
        "server": "jellyfin",
        "address": good.url,
    }
    assert len(good.requests) == 1 and len(broken.requests) == 1
    (ok,) = after["notify-good"].history
    assert (ok.reason, ok.outcome, ok.summary, ok.error) == ("app", "ok", "1 folder sent", None)
    assert after["notify-good"].last_summary == "1 folder sent"
    (failed,) = after["notify-broken"].history
    assert (failed.reason, failed.outcome, failed.summary) == ("app", "error", "")
    assert "HTTP 500" in failed.error and after["notify-broken"].failures == 1
    assert after["notify-broken"].last_error == failed.error
    (unreachable,) = after["notify-refused"].history
    assert unreachable.outcome == "error" and "cannot reach" in unreachable.error


def test_running_a_notify_source_sends_a_test_recorded_once_with_its_reason():
    async def scenario(good, broken):
        clock, notifier, scheduler, _ = await started(
            NotifyTarget("good", "jellyfin", url=good.url),
            NotifyTarget("broken", "emby", url=broken.url),
        )
        try:
            by_hand = await scheduler.run("notify-good", "manual")
            failed = await scheduler.run("notify-broken", "api")
            await notifier.test("good")  # /api/notify/good/test: reason "api"
            await notifier.test_unsaved(NotifyTarget("good", "emby", url=broken.url), None)
            return by_hand, failed, runs(scheduler, "notify-good"), runs(scheduler, "notify-broken")
        finally:
            await stopped(notifier, scheduler)

    with serve("jellyfin") as good, serve("emby") as broken:
        broken.status = 500
        by_hand, failed, good_runs, broken_runs = asyncio.run(scenario(good, broken))
    assert [[u["Path"] for u in r.json()["Updates"]] for r in good.requests] == [
        ["/Movies", "/TV Shows"],
        ["/Movies", "/TV Shows"],
    ]
    assert (by_hand.outcome, by_hand.summary) == ("ok", "test: 2 folders sent")
    assert good_runs == [  # each test once; the unsaved one (the Settings dialog's) not at all
        ("api", "ok", "test: 2 folders sent", None),
        ("manual", "ok", "test: 2 folders sent", None),
    ]
    assert failed.outcome == "error" and "HTTP 500" in failed.error
    assert broken_runs == [("api", "error", "", failed.error)]
    assert len(broken.requests) == 2  # the scheduler's run and the unsaved test


def test_rescan_all_leaves_the_media_servers_alone():
    class Library:
        name = "folder"
        ran = 0

        async def sync(self) -> str:
            Library.ran += 1
            return "no changes"

    async def scenario(good):
        clock, notifier, scheduler, _ = await started(
            NotifyTarget("good", "jellyfin", url=good.url)
        )
        try:
            scheduler.add_source(Library(), mode="manual")
            return await scheduler.rescan_all("manual")
        finally:
            await stopped(notifier, scheduler)

    with serve("jellyfin") as good:
        results = asyncio.run(scenario(good))
        assert good.requests == []
    assert results == {"folder": "no changes"} and Library.ran == 1


def test_a_change_is_never_joined_to_a_test_under_way_nor_waits_for_a_slow_target():
    async def scenario(slow, fast):
        clock, notifier, scheduler, _ = await started(
            NotifyTarget("slow", "jellyfin", url=slow.url, timeout=60),
            NotifyTarget("fast", "jellyfin", url=fast.url),
        )
        try:
            slow.gate = threading.Event()
            scheduler.trigger("notify-slow", "manual")  # a test the server holds
            await until(lambda: len(slow.requests) == 1)
            notifier.tree_changed(movies("Heat (1995)"))
            await clock.advance(2.0)
            await until(lambda: len(slow.requests) == 2)  # the change went out too
            await until(lambda: scheduler.state("notify-fast").history)
            fast_first = runs(scheduler, "notify-fast")
            slow_meanwhile = runs(scheduler, "notify-slow")
            slow.gate.set()
            await notifier.settled()
            await until(lambda: not scheduler.state("notify-slow").running)
            return fast_first, slow_meanwhile, runs(scheduler, "notify-slow")
        finally:
            slow.gate.set()
            await stopped(notifier, scheduler)

    with serve("jellyfin") as slow, serve("jellyfin") as fast:
        fast_first, slow_meanwhile, slow_runs = asyncio.run(scenario(slow, fast))
    assert fast_first == [("app", "ok", "1 folder sent", None)]
    assert slow_meanwhile == []  # fast was told while slow still held both requests
    assert sorted(slow_runs) == [
        ("app", "ok", "1 folder sent", None),
        ("manual", "ok", "test: 2 folders sent", None),
    ]
    assert [r.json()["Updates"][0]["Path"] for r in slow.requests] == [
        "/Movies",
        "/Movies/Heat (1995)",
    ]


def test_targets_added_removed_or_renamed_in_the_settings_follow_live():
    async def scenario(server):
        clock, notifier, scheduler, sources = await started(
            NotifyTarget("one", "jellyfin", url=server.url),
            NotifyTarget("two", "jellyfin", url=server.url),
        )
        try:
            seen = [scheduler.names()]
            notifier.apply_settings(
                NotifySettings(
                    2.0,
                    (
                        NotifyTarget("two", "emby", url=server.url),
                        NotifyTarget("three", "plex", url=server.url),
                    ),
                )
            )
            sources.update()
            seen.append(scheduler.names())
            details = scheduler.state("notify-two").detail
            notifier.tree_changed(movies("Heat (1995)"))
            await clock.advance(2.0)
            await notifier.settled()
            notifier.apply_settings(NotifySettings(2.0, ()))
            sources.update()
            seen.append(scheduler.names())
            return seen, details
        finally:
            await stopped(notifier, scheduler)

    with serve("jellyfin") as server:
        seen, details = asyncio.run(scenario(server))
    assert seen == [
        ["notify-one", "notify-two"],
        ["notify-two", "notify-three"],
        [],
    ]
    assert details["server"] == "emby"  # the source reads the target as it is now
