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
# qasync rounds a delay down to whole milliseconds: this much early counts as on time.
EARLY_TOLERANCE = 0.001


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic seconds, aware UTC wall time, and a cancellable one-shot timer."""

    def time(self) -> float: ...

    def now(self) -> datetime: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle: ...


class LoopClock:
    """The asyncio loop's clock and timers: the real time the app runs on.

    Its timers never fire early. On the app's qasync loop each loop timer is a QTimer, which
    may fire up to 5 % early (Qt's coarse timers: a daily sync an hour early) and holds at
    most 2**31 ms (24.8 days; longer raises OverflowError), while an interval may be a year.
    So a timer is a chain of loop timers of at most `max_delay`, re-armed until its time.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, max_delay: float = MAX_DELAY) -> None:
        self.loop = loop
        self.max_delay = max_delay

    def time(self) -> float:
        return self.loop.time()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return _LoopTimer(self, self.time() + max(0.0, delay), callback, args)


class _LoopTimer:
    """Calls back once the loop's time reaches `when`, through as many loop timers as it takes."""

    def __init__(
        self, clock: LoopClock, when: float, callback: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        self._clock = clock
        self._when = when
        self._callback = callback
        self._args = args
        self._handle = self._arm(when - clock.time())

    def _arm(self, left: float) -> asyncio.TimerHandle:
        return self._clock.loop.call_later(min(max(0.0, left), self._clock.max_delay), self._step)

    def _step(self) -> None:
        left = self._when - self._clock.time()
        if left > EARLY_TOLERANCE:
            self._handle = self._arm(left)
        else:
            self._callback(*self._args)

    def cancel(self) -> None:
        self._handle.cancel()
