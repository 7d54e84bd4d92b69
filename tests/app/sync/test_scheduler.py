"""SyncScheduler on a real asyncio loop with intervals of a fraction of a second."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.settings import SyncSettings
from app.sync.scheduler import SourceState, SyncError, SyncScheduler


class Source:
    """Records when each run started and ended; fails the runs listed in `fail`."""

    def __init__(self, name: str = "demo", delay: float = 0.0, fail: tuple[int, ...] = ()):
        self.name = name
        self.delay = delay
        self.fail = fail
        self.starts: list[float] = []
        self.ends: list[float] = []

    async def sync(self) -> str:
        self.starts.append(time.monotonic())
        number = len(self.starts)
        try:
            await asyncio.sleep(self.delay)
            if number in self.fail:
                raise RuntimeError(f"boom {number}")
            return f"run {number}"
        finally:
            self.ends.append(time.monotonic())


def run(coro):
    return asyncio.run(coro)


def test_timer_re_arms_after_each_run_ends():
    source = Source(delay=0.1)

    async def main():
        scheduler = SyncScheduler(interval=0.1)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.75)
        await scheduler.aclose()

    run(main())
    assert len(source.starts) >= 2
    # A ticker would start every 0.1 s; re-arming after the work spaces starts by work + wait.
    for end, next_start in zip(source.ends, source.starts[1:], strict=False):
        assert next_start - end >= 0.09
    assert len(source.starts) <= 4


def test_manual_sync_resets_the_countdown():
    source = Source()

    async def main():
        scheduler = SyncScheduler(interval=0.4)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.25)
        assert await scheduler.sync_now("demo") == "run 1"
        manual_end = time.monotonic()
        due = scheduler.state("demo").next_due
        # The original countdown would have fired 0.15 s from here; it must not.
        await asyncio.sleep(0.3)
        assert len(source.starts) == 1
        await asyncio.sleep(0.3)
        await scheduler.aclose()
        return manual_end, due

    manual_end, due = run(main())
    assert due is not None
    assert len(source.starts) == 2
    assert source.starts[1] - manual_end >= 0.38


def test_concurrent_requests_share_one_run():
    source = Source(delay=0.15)

    async def main():
        scheduler = SyncScheduler(interval=60)
        scheduler.add_source(source)
        scheduler.start()
        scheduler.trigger("demo")
        results = await asyncio.gather(*(scheduler.sync_now("demo") for _ in range(5)))
        # Once the shared run is over, a new request starts a new run.
        results.append(await scheduler.sync_now("demo"))
        await scheduler.aclose()
        return results

    results = run(main())
    assert results == ["run 1"] * 5 + ["run 2"]
    assert len(source.starts) == 2


def test_sync_now_joins_a_timer_run_in_progress():
    source = Source(delay=0.2)

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.1)
        assert scheduler.state("demo").running
        result = await scheduler.sync_now("demo")
        scheduler.stop()
        return result

    assert run(main()) == "run 1"
    assert len(source.starts) == 1


def test_error_is_recorded_and_the_timer_keeps_going():
    source = Source(fail=(1,))

    async def main():
        scheduler = SyncScheduler(interval=0.1)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.15)
        failed = scheduler.state("demo")
        await asyncio.sleep(0.15)
        recovered = scheduler.state("demo")
        await scheduler.aclose()
        return failed, recovered

    failed, recovered = run(main())
    assert failed.last_error == "boom 1"
    assert failed.last_attempt is not None
    assert failed.last_success is None
    assert failed.next_due is not None
    assert recovered.last_error is None
    assert recovered.last_summary == "run 2"
    assert recovered.last_success >= failed.last_attempt
    assert recovered.last_attempt > failed.last_attempt


def test_sync_now_raises_a_clear_error_when_the_sync_fails():
    source = Source(fail=(1,))

    async def main():
        scheduler = SyncScheduler(interval=60)
        scheduler.add_source(source)
        scheduler.start()
        with pytest.raises(SyncError, match="demo: boom 1"):
            await scheduler.sync_now("demo")
        state = scheduler.state("demo")
        assert await scheduler.sync_now("demo") == "run 2"
        await scheduler.aclose()
        return state

    assert run(main()).last_error == "boom 1"


def test_disabled_means_no_automatic_runs_but_sync_now_works():
    source = Source()

    async def main():
        scheduler = SyncScheduler(SyncSettings(enabled=False), interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.3)
        assert source.starts == []
        assert scheduler.state("demo").next_due is None
        assert await scheduler.sync_now("demo") == "run 1"
        await asyncio.sleep(0.2)
        assert len(source.starts) == 1
        scheduler.set_enabled(True)
        await asyncio.sleep(0.2)
        await scheduler.aclose()

    run(main())
    assert len(source.starts) >= 2


def test_disabling_live_stops_the_timers():
    source = Source()

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.2)
        scheduler.set_enabled(False)
        seen = len(source.starts)
        await asyncio.sleep(0.25)
        await scheduler.aclose()
        return seen

    seen = run(main())
    assert seen >= 1
    assert len(source.starts) == seen


def test_default_interval_changes_live_and_settings_turn_timers_off():
    source = Source()

    async def main():
        scheduler = SyncScheduler()
        assert scheduler.interval == 3600  # sources without their own: 60 minutes
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.1)
        assert source.starts == []
        # The countdown began 0.1 s ago: a 0.05 s interval is already over, so it syncs now.
        scheduler.set_interval(0.05)
        await asyncio.sleep(0.02)
        assert len(source.starts) == 1
        scheduler.apply_settings(SyncSettings(enabled=False))
        assert not scheduler.enabled and scheduler.state("demo").next_due is None
        seen = len(source.starts)
        await asyncio.sleep(0.2)
        assert len(source.starts) == seen
        await scheduler.aclose()

    run(main())


def test_per_source_interval_and_first_delay():
    fast, slow = Source("fast"), Source("slow")

    async def main():
        scheduler = SyncScheduler(interval=60, first_delay=0.05)
        scheduler.add_source(fast, interval=0.1)
        scheduler.add_source(slow)
        scheduler.start()
        await asyncio.sleep(0.4)
        states = {state.name: state for state in scheduler.states()}
        await scheduler.aclose()
        return states

    states = run(main())
    assert len(slow.starts) == 1  # first run after first_delay, then 60 s away
    assert len(fast.starts) >= 3
    assert states["fast"].interval == 0.1 and states["slow"].interval == 60


def test_listeners_see_each_change():
    source = Source(delay=0.05)
    seen: list[SourceState] = []

    async def main():
        scheduler = SyncScheduler(interval=60)
        scheduler.add_listener(seen.append)
        scheduler.add_listener(lambda state: 1 / 0)  # a broken listener harms no one
        scheduler.add_source(source)
        scheduler.start()
        await scheduler.sync_now("demo")
        await scheduler.aclose()

    run(main())
    assert {state.name for state in seen} == {"demo"}
    running = [state.running for state in seen]
    assert True in running
    assert running.index(True) < len(running) - 1
    finished = next(s for s in seen if s.last_summary == "run 1")
    assert not finished.running and finished.next_due is not None


def test_stop_cancels_a_running_sync_and_no_timer_fires():
    source = Source(delay=5)

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.1)
        assert scheduler.state("demo").running
        started = time.monotonic()
        await scheduler.aclose()
        assert time.monotonic() - started < 1
        state = scheduler.state("demo")
        await asyncio.sleep(0.2)
        return state

    state = run(main())
    assert not state.running and state.next_due is None
    assert len(source.starts) == 1


def test_stop_from_another_thread():
    source = Source()

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.12)
        thread = threading.Thread(target=scheduler.stop)
        thread.start()
        await asyncio.to_thread(thread.join)
        await asyncio.sleep(0.01)
        seen = len(source.starts)
        await asyncio.sleep(0.2)
        return seen

    seen = run(main())
    assert len(source.starts) == seen


def test_bad_input_is_refused_clearly():
    scheduler = SyncScheduler(interval=1)
    scheduler.add_source(Source())
    with pytest.raises(ValueError, match="already registered"):
        scheduler.add_source(Source())
    with pytest.raises(ValueError, match="no name"):
        scheduler.add_source(object())
    with pytest.raises(ValueError, match="more than 0"):
        scheduler.set_interval(0)
    with pytest.raises(SyncError, match="no sync source named 'nope' \\(known: demo\\)"):
        scheduler.state("nope")
    with pytest.raises(SyncError, match="nope"):
        run(scheduler.sync_now("nope"))


def test_real_qtimers_on_the_qasync_loop_at_millisecond_intervals(qapp):
    """The app's loop: qasync turns call_later into QTimers. A "minute" is 50 ms here."""
    import qasync

    minute = 0.05
    ticks, steady = Source("ticks"), Source("steady")

    async def main():
        assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
        scheduler = SyncScheduler(minute=minute)
        scheduler.add_source(ticks, interval_minutes=1)
        scheduler.add_source(steady, interval_minutes=0)
        scheduler.start()
        await asyncio.sleep(0.1)
        assert len(ticks.starts) >= 1
        # A refresh restarts the countdown: no timed run for a whole interval after it.
        await scheduler.sync_now("ticks")
        refreshed = time.monotonic()
        count = len(ticks.starts)
        await asyncio.sleep(minute * 0.5)
        assert len(ticks.starts) == count
        # A longer interval applies at once, counted from the refresh.
        scheduler.set_source_interval("ticks", 4)
        await asyncio.sleep(minute * 1.5)
        assert len(ticks.starts) == count
        await asyncio.sleep(minute * 4)  # T+6: the run at T+4 happened, the next is at T+8
        assert len(ticks.starts) == count + 1
        state = scheduler.state("ticks")
        await scheduler.aclose()
        return refreshed, state

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        refreshed, state = runner.run(main())
    assert ticks.starts[-1] - refreshed >= 4 * minute * 0.95
    assert state.interval_minutes == 4 and state.history[0].reason == "timer"
    assert steady.starts == []  # interval 0: no timer at all


def test_a_year_long_interval_arms_on_the_qasync_loop(qapp):
    """A QTimer takes at most 2**31 ms (24.8 days): a longer wait must not crash start()."""
    import qasync

    async def main():
        scheduler = SyncScheduler()
        scheduler.add_source(Source("yearly"), interval_minutes=365 * 24 * 60)
        scheduler.add_source(Source("monthly"), interval_minutes=31 * 24 * 60)
        scheduler.start()
        states = {state.name: state for state in scheduler.states()}
        await scheduler.aclose()
        return states

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        before = datetime.now(UTC)
        states = runner.run(main())
    assert states["yearly"].next_due - before >= timedelta(days=365)
    assert states["monthly"].next_due - before >= timedelta(days=31)
