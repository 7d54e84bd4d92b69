"""The scheduler's sense of time: a monotonic clock, the wall clock and one-shot timers.

The scheduler asks a Clock for all three, so tests can hand it a fake one and check the
timing rules to the second without waiting. LoopClock is the real one: the asyncio loop's
time and call_later (on the app's qasync loop those are QTimers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# The longest single loop timer: a day, well under a QTimer's 24.8-day limit.
MAX_DELAY = 24 * 3600.0


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic seconds, aware UTC wall time, and a cancellable one-shot timer."""

    def time(self) -> float: ...

    def now(self) -> datetime: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle: ...


class LoopClock:
    """The asyncio loop's clock and timers: the real time the app runs on.

    A timer longer than `max_delay` is a chain of shorter ones: qasync makes each a QTimer,
    which holds at most 2**31 ms (24.8 days) and raises OverflowError beyond, while a sync
    interval may be a year.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, max_delay: float = MAX_DELAY) -> None:
        self.loop = loop
        self.max_delay = max_delay

    def time(self) -> float:
        return self.loop.time()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        if delay <= self.max_delay:
            return self.loop.call_later(delay, callback, *args)
        return _ChainedTimer(self, self.loop.time() + delay, callback, args)


class _ChainedTimer:
    """Waits until `when` (loop time) in steps of at most clock.max_delay, then calls back."""

    def __init__(
        self, clock: LoopClock, when: float, callback: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        self._clock = clock
        self._when = when
        self._callback = callback
        self._args = args
        self._handle: asyncio.TimerHandle
        self._step()

    def _step(self) -> None:
        loop, left = self._clock.loop, self._when - self._clock.time()
        if left > self._clock.max_delay:
            self._handle = loop.call_later(self._clock.max_delay, self._step)
        else:
            self._handle = loop.call_later(max(0.0, left), self._callback, *self._args)

    def cancel(self) -> None:
        self._handle.cancel()
