"""SyncScheduler on a real asyncio loop with intervals of a fraction of a second.

The exact timing rules are checked on a fake clock in test_scheduler_timing.py. Here real
timers fire, so a test waits for what it needs to have happened (until(), a source held at
its gate, the states listeners heard) and asserts on order, counts and lower bounds (a timer
never fires early), never on how much happened within a wall-clock window: the tests must
pass with every core busy."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.settings import SyncSettings
from app.sync.clock import EARLY_TOLERANCE
from app.sync.scheduler import SourceState, SyncError, SyncScheduler


class Source:
    """Records when each run started and ended; fails the runs listed in `fail`; a run
    waits for `gate` when one is set."""

    def __init__(self, name: str = "demo", delay: float = 0.0, fail: tuple[int, ...] = ()):
        self.name = name
        self.delay = delay
        self.fail = fail
        self.gate: asyncio.Event | None = None
        self.starts: list[float] = []
        self.ends: list[float] = []

    async def sync(self) -> str:
        self.starts.append(time.monotonic())
        number = len(self.starts)
        try:
            await asyncio.sleep(self.delay)
            if self.gate is not None:
                await self.gate.wait()
            if number in self.fail:
                raise RuntimeError(f"boom {number}")
            return f"run {number}"
        finally:
            self.ends.append(time.monotonic())


def run(coro):
    return asyncio.run(coro)


async def until(predicate, timeout: float = 30.0) -> None:
    """Wait on the loop until predicate() holds; the timeout only stops a hung test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.002)


def launched(scheduler: SyncScheduler, name: str = "demo") -> int:
    """Runs the scheduler has started so far: a task it launched may not have reached the
    source's sync() yet, so count them rather than the source's starts."""
    state = scheduler.state(name)
    return len(state.history) + state.running


def test_timer_re_arms_after_each_run_ends():
    source = Source(delay=0.1)

    async def main():
        scheduler = SyncScheduler(interval=0.1)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: len(source.ends) >= 3)
        await scheduler.aclose()

    run(main())
    # A ticker would start every 0.1 s, while a run still goes; re-arming after the work
    # spaces each start a whole interval after the previous run ended.
    assert len(source.starts) >= 3
    for end, next_start in zip(source.ends, source.starts[1:], strict=False):
        assert next_start - end >= 0.09


def test_manual_sync_resets_the_countdown():
    source = Source()

    async def main():
        # The first countdown ends 0.1 s after start; the refresh comes before it: sync_now
        # launches its run before this coroutine yields, so no timer can fire first.
        scheduler = SyncScheduler(interval=0.4, first_delay=0.1)
        scheduler.add_source(source)
        scheduler.start()
        assert await scheduler.sync_now("demo") == "run 1"
        due = scheduler.state("demo").next_due
        await until(lambda: len(source.ends) == 2)
        state = scheduler.state("demo")
        await scheduler.aclose()
        return due, state

    due, state = run(main())
    assert due is not None
    assert [r.reason for r in reversed(state.history)] == ["manual", "timer"]
    # The countdown restarted when the refresh ended: no timed run at 0.1 s, and the next
    # one a whole interval after the refresh.
    assert len(source.starts) == 2
    assert source.starts[1] - source.ends[0] >= 0.38


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
    source = Source()
    source.gate = asyncio.Event()

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: source.starts)  # the timer's run, held at the gate
        assert scheduler.state("demo").running
        # Open the gate only once sync_now has joined (it does so before it yields).
        asyncio.get_running_loop().call_soon(source.gate.set)
        result = await scheduler.sync_now("demo")
        history = scheduler.state("demo").history
        scheduler.stop()
        return result, history

    result, history = run(main())
    assert result == "run 1"
    assert len(source.starts) == 1
    assert [r.reason for r in history] == ["timer"]


def test_error_is_recorded_and_the_timer_keeps_going():
    source = Source(fail=(1,))
    seen: list[SourceState] = []

    async def main():
        scheduler = SyncScheduler(interval=0.1)
        scheduler.add_listener(seen.append)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: len(source.ends) >= 2)
        await scheduler.aclose()

    run(main())
    # The state as it was when each run ended, whenever this test got to look.
    ended = [state for state in seen if state.history and not state.running]
    failed = ended[0]
    recovered = next(state for state in ended if len(state.history) == 2)
    assert failed.history[0].outcome == "error" and len(failed.history) == 1
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
        await until(lambda: len(source.ends) >= 2)
        history = scheduler.state("demo").history
        await scheduler.aclose()
        return history

    history = run(main())
    assert [r.reason for r in reversed(history)][:2] == ["manual", "timer"]


def test_disabling_live_stops_the_timers():
    source = Source()

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: len(source.ends) >= 2)  # the timer runs and re-arms
        scheduler.set_enabled(False)
        # A run the timer launched just before goes on; no new one may start.
        seen = launched(scheduler)
        assert scheduler.state("demo").next_due is None
        await until(lambda: not scheduler.state("demo").running)
        await asyncio.sleep(0.25)  # five intervals: an armed timer would have fired
        after = launched(scheduler)
        await scheduler.aclose()
        return seen, after

    seen, after = run(main())
    assert seen >= 2
    assert after == seen == len(source.starts)


def test_default_interval_changes_live_and_settings_turn_timers_off():
    source = Source()

    async def main():
        scheduler = SyncScheduler()
        assert scheduler.interval == 3600  # sources without their own: 60 minutes
        source.gate = asyncio.Event()
        scheduler.add_source(source)
        scheduler.start()
        await asyncio.sleep(0.1)
        assert source.starts == []
        # The countdown began 0.1 s ago: a 0.05 s interval is already over, so it syncs now.
        scheduler.set_interval(0.05)
        assert scheduler.state("demo").next_due <= datetime.now(UTC)
        await until(lambda: source.starts)
        assert len(source.starts) == 1  # held at the gate: the timer is not re-armed yet
        scheduler.apply_settings(SyncSettings(enabled=False))
        assert not scheduler.enabled and scheduler.state("demo").next_due is None
        source.gate.set()
        await until(lambda: not scheduler.state("demo").running)
        await asyncio.sleep(0.2)  # four intervals: an armed timer would have fired
        assert len(source.starts) == 1 and scheduler.state("demo").next_due is None
        await scheduler.aclose()

    run(main())


def test_per_source_interval_and_first_delay():
    fast, slow = Source("fast"), Source("slow")

    async def main():
        scheduler = SyncScheduler(interval=60, first_delay=0.05)
        scheduler.add_source(fast, interval=0.1)
        scheduler.add_source(slow)
        scheduler.start()
        await until(lambda: len(fast.ends) >= 3 and slow.ends)
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
    source = Source()
    source.gate = asyncio.Event()  # never opened: the run lasts until it is cancelled

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: source.starts)
        assert scheduler.state("demo").running
        await asyncio.wait_for(scheduler.aclose(), 30)  # returns: the run was cancelled
        state = scheduler.state("demo")
        await asyncio.sleep(0.2)  # four intervals: an armed timer would have fired
        return state

    state = run(main())
    assert not state.running and state.next_due is None
    assert [r.outcome for r in state.history] == ["cancelled"]
    assert len(source.starts) == len(source.ends) == 1


def test_stop_from_another_thread():
    source = Source()

    async def main():
        scheduler = SyncScheduler(interval=0.05)
        scheduler.add_source(source)
        scheduler.start()
        await until(lambda: source.ends)
        thread = threading.Thread(target=scheduler.stop)
        thread.start()
        await asyncio.to_thread(thread.join)
        await asyncio.sleep(0.01)  # stop() handed _stop_here to the loop before join returned
        assert scheduler.state("demo").next_due is None
        seen = len(source.starts)
        await asyncio.sleep(0.2)  # four intervals: an armed timer would have fired
        return seen

    seen = run(main())
    assert seen >= 1 and len(source.starts) == seen


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
        await until(lambda: ticks.ends)  # a QTimer ran the first timed sync
        # A longer interval applies at once, and a refresh restarts the countdown: the next
        # timed run comes 4 minutes after the refresh, none at its 1-minute mark.
        scheduler.set_source_interval("ticks", 4)
        await scheduler.sync_now("ticks")  # or joins a 1-minute run that began meanwhile
        refreshed = launched(scheduler, "ticks")
        await until(lambda: len(ticks.ends) > refreshed)
        state = scheduler.state("ticks")
        await scheduler.aclose()
        return refreshed, state

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        refreshed, state = runner.run(main())
    # Never early, though Qt's coarse timers fire up to 5 % early (LoopClock re-arms them).
    assert ticks.starts[refreshed] - ticks.ends[refreshed - 1] >= 4 * minute - EARLY_TOLERANCE
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
