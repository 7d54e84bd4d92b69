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


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic seconds, aware UTC wall time, and a cancellable one-shot timer."""

    def time(self) -> float: ...

    def now(self) -> datetime: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle: ...


class LoopClock:
    """The asyncio loop's clock and timers: the real time the app runs on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def time(self) -> float:
        return self.loop.time()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.loop.call_later(delay, callback, *args)
