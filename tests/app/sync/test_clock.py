"""LoopClock on a real asyncio loop: a timer longer than one loop timer may last is a chain."""

from __future__ import annotations

import asyncio

from app.sync.clock import LoopClock


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
    # never early (the loop may run a timer up to its clock resolution ahead)
    assert dict(fired)["long"] >= 0.1 - 1e-6 and dict(fired)["last"] >= 0.15 - 1e-6
