"""LoopClock on a real asyncio loop: a timer longer than one loop timer may last is a chain."""

from __future__ import annotations

import asyncio

from app.sync.clock import EARLY_TOLERANCE, LoopClock


def test_a_long_timer_fires_once_at_its_time_and_cancels_mid_chain():
    async def main():
        loop = asyncio.get_running_loop()
        clock = LoopClock(loop, max_delay=0.02)  # 0.1 s takes five steps
        fired: list[tuple[str, float]] = []
        done = asyncio.Event()
        start = clock.time()

        def note(name: str) -> None:
            fired.append((name, clock.time() - start))
            if name == "last":
                done.set()

        clock.call_later(0.1, note, "long")
        cancelled = clock.call_later(0.08, note, "cancelled")
        # the loop runs due timers in order: this comes after the chain's first step
        loop.call_later(0.03, cancelled.cancel)
        clock.call_later(0.01, note, "short")
        clock.call_later(0.15, note, "last")
        await asyncio.wait_for(done.wait(), 30)
        return fired

    fired = asyncio.run(main())
    assert [name for name, _ in fired] == ["short", "long", "last"]
    # never early, but for the millisecond qasync's rounding may cost
    assert dict(fired)["long"] >= 0.1 - EARLY_TOLERANCE
    assert dict(fired)["last"] >= 0.15 - EARLY_TOLERANCE


def test_timers_on_the_qasync_loop_never_fire_early(qapp):
    """QTimers (coarse by default) fire up to 5 % early: a daily sync would come an hour early."""
    import qasync

    delays = [0.05, 0.1, 0.2, 0.3] * 3

    async def main():
        clock = LoopClock(asyncio.get_running_loop())
        waited: list[float] = []

        def fire(start: float, fired: asyncio.Event) -> None:
            waited.append(clock.time() - start)
            fired.set()

        for delay in delays:
            fired = asyncio.Event()
            clock.call_later(delay, fire, clock.time(), fired)
            # No wait_for: qasync leaves a cancelled QTimer armed until its time, and one
            # firing after its loop closed crashed a later test (pytest-timeout stops a hang).
            await fired.wait()
        return waited

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        waited = runner.run(main())
    assert all(w >= d - EARLY_TOLERANCE for w, d in zip(waited, delays, strict=True)), waited
