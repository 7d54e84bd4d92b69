"""A fake Clock for the sync scheduler: time moves only when a test advances it.

Timers fire in due order; after each one the asyncio loop gets a few turns so the run it
started (a coroutine that does not really wait) ends at that instant, as it would in real
time. So `await clock.advance(15 * 60)` plays a quarter of an hour exactly, in microseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class FakeTimer:
    def __init__(self, clock: FakeClock, when: float) -> None:
        self.clock = clock
        self.when = when
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.t = 1000.0  # an arbitrary monotonic origin, like the loop's
        self.origin = self.t
        self._queue: list[tuple[float, int, FakeTimer, Callable[..., Any], tuple]] = []
        self._order = itertools.count()

    # ---- the Clock protocol ---------------------------------------------------------------

    def time(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t - self.origin)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> FakeTimer:
        timer = FakeTimer(self, self.t + max(0.0, delay))
        heapq.heappush(self._queue, (timer.when, next(self._order), timer, callback, args))
        return timer

    # ---- for tests ------------------------------------------------------------------------

    def at(self, minutes: float) -> datetime:
        """The wall time `minutes` after the clock's start (T+minutes)."""
        return self.start + timedelta(minutes=minutes)

    @property
    def minutes(self) -> float:
        return (self.t - self.origin) / 60

    def pending(self) -> list[float]:
        """Due times (minutes from the start) of the timers still armed."""
        return sorted((w - self.origin) / 60 for w, _, t, _, _ in self._queue if not t.cancelled)

    async def advance(self, seconds: float) -> None:
        target = self.t + seconds
        await settle()
        while self._queue and self._queue[0][0] <= target:
            when, _, timer, callback, args = heapq.heappop(self._queue)
            if timer.cancelled:
                continue
            self.t = max(self.t, when)
            callback(*args)
            await settle()
        self.t = target
        await settle()

    async def advance_to(self, minutes: float) -> None:
        await self.advance(self.origin + minutes * 60 - self.t)


async def settle(turns: int = 20) -> None:
    """Give the loop a few turns: tasks that only yield (no real waiting) run to the end."""
    for _ in range(turns):
        await asyncio.sleep(0)
