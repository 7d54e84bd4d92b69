"""Keeping a client under a service's request limit, and how long to back off.

Real-Debrid allows 250 requests a minute and counts refused ones too, so requests are paced
before they are sent, not retried after a refusal: Pacer lets at most `per_minute` requests
start in any 60 s window, and a refusal's Retry-After holds every request (not just the
refused one) until it has passed. `sleep` and `clock` are injectable so tests check the
waits without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
WINDOW = 60.0


class Pacer:
    """At most `per_minute` request starts per sliding minute; hold_until() pauses all."""

    def __init__(
        self,
        per_minute: int,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._sleep = sleep
        self._clock = clock
        self._starts: deque[float] = deque()
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when one more request may start (and count it)."""
        async with self._lock:  # one waiter at a time keeps the order of requests
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - WINDOW:
                    self._starts.popleft()
                delay = self._held_until - now
                if len(self._starts) >= self.per_minute:
                    delay = max(delay, self._starts[0] + WINDOW - now)
                if delay <= 0:
                    self._starts.append(now)
                    return
                await self._sleep(delay)

    def hold_until(self, seconds: float) -> None:
        """No request starts for `seconds` from now (a Retry-After)."""
        self._held_until = max(self._held_until, self._clock() + seconds)


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds before retry number `attempt` (1, 2, ...): doubling from `base`, at most `cap`."""
    return min(cap, base * 2 ** (attempt - 1))
