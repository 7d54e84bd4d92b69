"""The scheduler's timing rules to the second, on a fake clock (tests/support/clock.py).

Times are written as in the issue: T+5 means five minutes after the scheduler started.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.sync.scheduler import SyncError, SyncRun, SyncScheduler, UnknownSource
from tests.support.clock import FakeClock, settle


class Source:
    """Records the clock minute of each run; fails the runs listed in `fail`; a run waits
    for `gate` when one is set."""

    def __init__(self, clock: FakeClock, name: str = "demo", fail=()) -> None:
        self.clock = clock
        self.name = name
        self.fail = set(fail)
        self.runs: list[float] = []
        self.gate: asyncio.Event | None = None
        self.watching: list[str] = []

    async def sync(self) -> str:
        self.runs.append(self.clock.minutes)
        number = len(self.runs)
        if self.gate is not None:
            await self.gate.wait()
        if number in self.fail or "all" in self.fail:
            raise SyncError(f"boom {number}")
        return f"run {number}"


class Watched(Source):
    def start_watching(self) -> None:
        self.watching.append("start")

    def stop_watching(self) -> None:
        self.watching.append("stop")


def play(scenario):
    """Run scenario(clock, make) on a fresh loop; make(...) builds a started scheduler."""

    async def main():
        clock = FakeClock()
        made = []

        def make(*sources, enabled=True, **options):
            scheduler = SyncScheduler(enabled=enabled, clock=clock)
            for source, kwargs in sources:
                scheduler.add_source(source, **kwargs)
            scheduler.start()
            made.append(scheduler)
            return scheduler

        try:
            return await scenario(clock, make)
        finally:
            for scheduler in made:
                await scheduler.aclose()

    return asyncio.run(main())


def test_a_manual_refresh_at_t5_moves_the_next_timed_sync_to_t15():
    async def scenario(clock, make):
        source = Source(clock)
        scheduler = make((source, {"interval_minutes": 10}))
        assert scheduler.state("demo").next_due == clock.at(10)
        await clock.advance_to(5)
        assert await scheduler.sync_now("demo") == "run 1"
        assert scheduler.state("demo").next_due == clock.at(15)
        await clock.advance_to(14.99)
        assert source.runs == [5]  # no timed run at T+10
        await clock.advance_to(30)
        assert source.runs == [5, 15, 25]
        assert [run.reason for run in scheduler.state("demo").history] == [
            "timer",
            "timer",
            "manual",
        ]
        assert scheduler.state("demo").next_due == clock.at(35)

    play(scenario)


def test_every_kind_of_trigger_restarts_the_countdown():
    async def scenario(clock, make):
        source = Source(clock)
        scheduler = make((source, {"interval_minutes": 10}))
        for minute, reason in ((3, "api"), (9, "watch"), (16, "app")):
            await clock.advance_to(minute)
            scheduler.trigger("demo", reason)
            await settle()
            assert scheduler.state("demo").next_due == clock.at(minute + 10)
        await clock.advance_to(40)
        assert source.runs == [3, 9, 16, 26, 36]
        history = scheduler.state("demo").history
        assert [run.reason for run in reversed(history)] == [
            "api",
            "watch",
            "app",
            "timer",
            "timer",
        ]
        with pytest.raises(ValueError, match="reason must be one of"):
            scheduler.trigger("demo", "cron")

    play(scenario)


def test_the_countdown_starts_when_the_run_ends_not_when_it_starts():
    async def scenario(clock, make):
        source = Source(clock)
        source.gate = asyncio.Event()
        scheduler = make((source, {"interval_minutes": 10}))
        await clock.advance_to(10)  # the timed run starts and takes 4 minutes
        assert scheduler.state("demo").running
        assert scheduler.state("demo").next_due is None
        await clock.advance_to(14)
        source.gate.set()
        await settle()
        run = scheduler.state("demo").history[0]
        assert run.duration == pytest.approx(240) and run.started == clock.at(10)
        assert scheduler.state("demo").next_due == clock.at(24)

    play(scenario)


def test_interval_changes_apply_at_once_counted_from_the_last_sync():
    async def scenario(clock, make):
        source = Source(clock)
        scheduler = make((source, {"interval_minutes": 10}))
        await clock.advance_to(5)
        await scheduler.sync_now("demo")  # last sync T+5
        await clock.advance_to(7)
        scheduler.set_source_interval("demo", 30)
        assert scheduler.state("demo").next_due == clock.at(35)
        assert scheduler.state("demo").interval_minutes == 30
        await clock.advance_to(20)
        assert source.runs == [5]  # the old T+15 timer is gone
        # A shorter interval that has already elapsed since the last sync runs at once.
        scheduler.set_source_interval("demo", 12)
        await clock.advance(0)
        assert source.runs == [5, 20]
        assert scheduler.state("demo").next_due == clock.at(32)
        # 0 turns the timer off; Refresh still works and still counts as the last sync.
        scheduler.set_source_interval("demo", "0")
        assert scheduler.state("demo").next_due is None
        await clock.advance_to(100)
        assert source.runs == [5, 20]
        await scheduler.sync_now("demo")
        await clock.advance_to(105)
        scheduler.set_source_interval("demo", 10)
        assert scheduler.state("demo").next_due == clock.at(110)

    play(scenario)


@pytest.mark.parametrize("bad", [-1, 1.5, "often", "", None, True, "2.5"])
def test_bad_intervals_are_refused_with_the_rule(bad):
    async def scenario(clock, make):
        scheduler = make((Source(clock), {"interval_minutes": 10}))
        with pytest.raises(ValueError, match="must be 0 or at least 1 minute"):
            scheduler.set_source_interval("demo", bad)
        assert scheduler.state("demo").interval_minutes == 10
        if bad is not None:  # None asks add_source for the default interval
            with pytest.raises(ValueError, match="must be 0 or at least 1 minute"):
                scheduler.add_source(Source(clock, "other"), interval_minutes=bad)
        assert scheduler.names() == ["demo"]

    play(scenario)


def test_modes_watch_and_manual_have_no_timer_and_poll_counts_from_the_last_sync():
    async def scenario(clock, make):
        folder = Watched(clock, "folder-1")
        scheduler = make((folder, {"interval_minutes": 10, "mode": "watch"}))
        assert folder.watching == ["start"]
        assert scheduler.state("folder-1").next_due is None
        await clock.advance_to(3)
        scheduler.trigger("folder-1", "watch")  # what the watcher does on a change
        await clock.advance_to(30)
        assert folder.runs == [3]
        scheduler.set_mode("folder-1", "manual")
        assert folder.watching == ["start", "stop"]
        await clock.advance_to(31)
        scheduler.set_mode("folder-1", "poll")  # last sync T+3: due at T+13, so at once
        await clock.advance(0)
        assert folder.runs == [3, 31]
        assert scheduler.state("folder-1").next_due == clock.at(41)
        assert scheduler.state("folder-1").mode == "poll"
        scheduler.set_mode("folder-1", "watch")
        assert folder.watching == ["start", "stop", "start"]
        with pytest.raises(ValueError, match="mode must be one of watch, poll, manual"):
            scheduler.set_mode("folder-1", "hourly")
        scheduler.remove_source("folder-1")
        assert folder.watching == ["start", "stop", "start", "stop"]

    play(scenario)


def test_a_refresh_joins_the_run_in_flight():
    async def scenario(clock, make):
        source = Source(clock)
        source.gate = asyncio.Event()
        scheduler = make((source, {"interval_minutes": 10}))
        scheduler.trigger("demo", "api")
        scheduler.trigger("demo", "manual")
        waiting = [asyncio.ensure_future(scheduler.sync_now("demo", "app")) for _ in range(3)]
        await settle()
        source.gate.set()
        assert await asyncio.gather(*waiting) == ["run 1"] * 3
        state = scheduler.state("demo")
        assert source.runs == [0]
        assert [(run.reason, run.outcome) for run in state.history] == [("api", "ok")]

    play(scenario)


def test_a_failing_source_backs_off_and_never_stops_the_others():
    async def scenario(clock, make):
        broken = Source(clock, "broken", fail=("all",))
        steady = Source(clock, "steady")
        scheduler = make(
            (broken, {"interval_minutes": 10}),
            (steady, {"interval_minutes": 10}),
        )
        await clock.advance_to(24 * 60)
        # 10, 20, 40, 80, 160, 320 minutes, then the 6 hour cap
        gaps = [b - a for a, b in zip([0, *broken.runs], broken.runs, strict=False)]
        assert gaps[:8] == [10, 10, 20, 40, 80, 160, 320, 360]
        assert set(gaps[8:]) == {360}
        assert len(steady.runs) == 24 * 6  # every 10 minutes, whatever the other does
        state = scheduler.state("broken")
        assert state.failures == len(broken.runs)
        assert state.last_success is None and state.last_error.startswith("boom")
        assert state.backoff_until == state.next_due == clock.at(broken.runs[-1] + 360)
        assert scheduler.state("steady").failures == 0
        assert scheduler.state("steady").backoff_until is None
        # A success resets the backoff: the next timed run is one interval away again.
        broken.fail = set()
        await scheduler.sync_now("broken")
        state = scheduler.state("broken")
        assert state.failures == 0 and state.backoff_until is None
        assert state.next_due == clock.at(clock.minutes + 10)

    play(scenario)


def test_backoff_never_shortens_a_long_interval():
    async def scenario(clock, make):
        tmdb = Source(clock, "tmdb", fail=("all",))
        scheduler = make((tmdb, {"interval_minutes": 1440}))
        await clock.advance_to(4 * 1440)
        assert tmdb.runs == [1440, 2880, 4320, 5760]
        assert scheduler.state("tmdb").failures == 4

    play(scenario)


def test_pause_holds_new_runs_until_resume_and_running_ones_finish():
    async def scenario(clock, make):
        timed, asked, busy = Source(clock, "timed"), Source(clock, "asked"), Source(clock, "busy")
        busy.gate = asyncio.Event()
        scheduler = make(
            (timed, {"interval_minutes": 10}),
            (asked, {"interval_minutes": 0}),
            (busy, {"interval_minutes": 0}),
        )
        scheduler.trigger("busy")
        await settle()
        scheduler.pause()
        assert scheduler.paused and scheduler.state("timed").paused
        await clock.advance_to(12)  # the timer fires while paused: the run waits
        scheduler.trigger("asked", "api")
        waiter = asyncio.ensure_future(scheduler.sync_now("asked", "manual"))
        busy.gate.set()  # the run that was going when we paused finishes
        await settle()
        assert busy.runs == [0] and scheduler.state("busy").history[0].outcome == "ok"
        assert timed.runs == [] and asked.runs == [] and not waiter.done()
        assert scheduler.state("timed").pending == "timer"
        assert scheduler.state("asked").pending == "api"
        scheduler.resume()
        assert await waiter == "run 1"  # joined the run resume() started
        assert timed.runs == [12] and asked.runs == [12]
        assert scheduler.state("asked").history[0].reason == "api"
        assert scheduler.state("timed").history[0].reason == "timer"
        assert scheduler.state("timed").next_due == clock.at(22)
        assert not scheduler.state("timed").paused

    play(scenario)


def test_paused_while_waits_for_running_syncs_and_pauses_nest():
    async def scenario(clock, make):
        source = Source(clock)
        source.gate = asyncio.Event()
        scheduler = make((source, {"interval_minutes": 10}))
        scheduler.trigger("demo")
        await settle()
        entered = asyncio.Event()

        async def apply_settings():
            async with scheduler.paused_while("settings"):
                assert not scheduler.state("demo").running  # the run ended first
                entered.set()
                scheduler.pause("user")
            assert scheduler.paused and scheduler.pause_reasons == ["user"]

        applying = asyncio.ensure_future(apply_settings())
        await settle()
        assert scheduler.paused and not entered.is_set()
        source.gate.set()
        await applying
        await clock.advance_to(20)
        assert source.runs == [0]  # still paused by "user"
        scheduler.resume("user")
        await settle()
        assert source.runs == [0, 20]

    play(scenario)


def test_history_keeps_the_newest_50_runs_with_their_outcomes():
    async def scenario(clock, make):
        source = Source(clock, fail=(2,))
        scheduler = make((source, {"interval_minutes": 1}))
        await clock.advance_to(55)
        history = scheduler.state("demo").history
        assert len(history) == 50
        assert history[0].started == clock.at(55) and history[0].summary == "run 55"
        assert [run.started for run in history] == [clock.at(m) for m in range(55, 5, -1)]
        assert all(run.outcome == "ok" and run.error is None for run in history)
        # the failure (run 2) has scrolled out; in a short history it shows:
        other = Source(clock, "other", fail=(1,))
        scheduler.add_source(other, interval_minutes=0)
        with pytest.raises(SyncError, match="other: boom 1"):
            await scheduler.sync_now("other")
        failed = scheduler.state("other").history[0]
        assert (failed.outcome, failed.error, failed.summary) == ("error", "boom 1", "")

    play(scenario)


def test_rescan_all_runs_every_source_in_parallel_each_isolated():
    async def scenario(clock, make):
        sources = [Source(clock, f"s{n}") for n in range(3)]
        sources[1].fail = {1}
        gate = asyncio.Event()
        for source in sources:
            source.gate = gate
        scheduler = make(*((s, {"interval_minutes": 10}) for s in sources))
        rescan = asyncio.ensure_future(scheduler.rescan_all())
        await settle()
        # all three are running at once before any of them ends
        assert all(scheduler.state(s.name).running for s in sources)
        gate.set()
        assert await rescan == {"s0": "run 1", "s1": "error: boom 1", "s2": "run 1"}
        assert [scheduler.state(s.name).next_due for s in sources] == [clock.at(10)] * 3

    play(scenario)


def test_timers_off_means_no_timed_runs_but_requests_work():
    async def scenario(clock, make):
        source = Source(clock)
        scheduler = make((source, {"interval_minutes": 10}), enabled=False)
        await clock.advance_to(60)
        assert source.runs == [] and scheduler.state("demo").next_due is None
        await scheduler.sync_now("demo")
        scheduler.set_enabled(True)
        assert scheduler.state("demo").next_due == clock.at(70)

    play(scenario)


def test_detail_comes_from_the_source_and_a_broken_one_is_reported():
    class Folder(Source):
        def __init__(self, clock, broken=False):
            super().__init__(clock, "folder-1")
            self.broken = broken

        def detail(self):
            if self.broken:
                raise OSError("folder is gone")
            return {"path": "/media/in", "unmatched": [{"path": "x.mkv", "kind": "video"}]}

    async def scenario(clock, make):
        folder = Folder(clock)
        scheduler = make((folder, {"mode": "manual"}))
        assert scheduler.state("folder-1").detail["unmatched"][0]["path"] == "x.mkv"
        folder.broken = True
        assert scheduler.state("folder-1").detail == {"error": "folder is gone"}

    play(scenario)


def test_stop_records_the_running_sync_as_cancelled():
    async def scenario(clock, make):
        source = Source(clock)
        source.gate = asyncio.Event()
        scheduler = make((source, {"interval_minutes": 10}))
        scheduler.trigger("demo")
        await settle()
        await scheduler.aclose()
        state = scheduler.state("demo")
        assert state.history[0].outcome == "cancelled" and not state.running
        assert clock.pending() == []  # no timer left armed

    play(scenario)


def test_a_run_from_before_a_restart_keeps_its_countdown():
    async def main():
        clock = FakeClock()
        daily, overdue, fresh = (
            Source(clock, "daily"),
            Source(clock, "overdue"),
            Source(clock, "new"),
        )
        scheduler = SyncScheduler(clock=clock, first_delay=60)
        for source in (daily, overdue, fresh):
            scheduler.add_source(source, interval_minutes=24 * 60)
        scheduler.restore(
            "daily",
            last_attempt=clock.at(-23 * 60 - 1),
            last_success=clock.at(-23 * 60),
            last_error=None,
            last_summary="3 shows checked",
            finished_at=clock.at(-23 * 60),
        )
        two_days = clock.at(-48 * 60)
        scheduler.restore(
            "overdue",
            last_attempt=two_days,
            last_success=None,
            last_error="TMDB said no",
            last_summary=None,
            finished_at=two_days,
        )
        scheduler.start()
        try:
            state = scheduler.state("daily")
            assert state.next_due == clock.at(60)  # a day after it last ran, not after start
            assert (state.last_success, state.last_summary) == (
                clock.at(-23 * 60),
                "3 shows checked",
            )
            assert scheduler.state("new").next_due == clock.at(1)  # never ran: first_delay
            await clock.advance(0)
            assert overdue.runs == [0]  # more than a day ago: due at once
            assert scheduler.state("overdue").last_error is None
            await clock.advance_to(60)
            assert daily.runs == [60] and fresh.runs == [1]
        finally:
            await scheduler.aclose()

    asyncio.run(main())


def test_a_run_recorded_from_elsewhere_joins_the_history_and_state_without_a_run():
    """record_run(): a media-server notification sent outside the scheduler is a run in its
    source's history; no run of the source starts, a run under way goes on, and the
    listeners hear of it."""

    async def scenario(clock, make):
        source = Source(clock)
        scheduler = make((source, {"interval_minutes": 0, "mode": "manual"}))
        heard = []
        scheduler.add_listener(lambda state: heard.append(state.history[:1]))
        failed = SyncRun(clock.at(0), 0.5, "app", "error", "", "HTTP 500 from the server")
        scheduler.record_run("demo", failed)
        state = scheduler.state("demo")
        assert (state.last_attempt, state.last_error, state.failures) == (
            clock.at(0),
            "HTTP 500 from the server",
            1,
        )
        assert state.last_success is None and heard[-1] == (failed,)
        source.gate = asyncio.Event()
        await clock.advance_to(1)
        scheduler.trigger("demo")  # a test under way while a change is recorded
        await clock.advance_to(2)
        sent = SyncRun(clock.at(0.5), 2.0, "app", "ok", "1 folder sent", None)
        scheduler.record_run("demo", sent)
        state = scheduler.state("demo")
        assert state.running and source.runs == [1]  # the run under way is neither joined
        assert state.history == (sent, failed)  # ...nor ended by it
        assert state.last_attempt == clock.at(1)  # the run under way started later
        assert (state.last_summary, state.last_error, state.failures) == ("1 folder sent", None, 0)
        assert state.last_success == clock.at(0.5) + timedelta(seconds=2)
        source.gate.set()
        await settle()
        assert [run.reason for run in scheduler.state("demo").history] == ["manual", "app", "app"]
        assert scheduler.state("demo").next_due is None  # still no timer
        with pytest.raises(ValueError, match="reason"):
            scheduler.record_run("demo", SyncRun(clock.at(1), 0, "share", "ok", "", None))
        with pytest.raises(UnknownSource):
            scheduler.record_run("gone", sent)

    play(scenario)
