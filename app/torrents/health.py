"""Stall detection for one torrent and its history of errors and recoveries.

A torrent that wants pieces (a reader waits, or a full copy is incomplete) but made no progress
for stall_timeout seconds is stalled; the service then recovers it (reannounce, DHT announce,
reconnect known peers) and repeats that every stall_timeout until data flows again.

`latest` picks the event worth a headline: a torrent's problems now are its status (stalled,
error, a waiting player), so a past event ("recovered", "evicted") is news only for a while.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Hashable

from app.torrents.status import HealthEvent

logger = logging.getLogger(__name__)

HISTORY = 50
NEWS_SECONDS = 60.0  # how long the last event is news (the history keeps it)


class HealthMonitor:
    def __init__(self) -> None:
        self._events: deque[HealthEvent] = deque(maxlen=HISTORY)
        self._lock = threading.Lock()
        self.stalled = False
        self._progress: Hashable = None
        self._since = time.monotonic()
        self._last_recovery = 0.0

    def record(self, kind: str, message: str) -> HealthEvent:
        event = HealthEvent(time=time.time(), kind=kind, message=message)
        with self._lock:
            self._events.append(event)
        return event

    def history(self) -> tuple[HealthEvent, ...]:
        with self._lock:
            return tuple(self._events)

    def check(
        self, wants: bool, progress: Hashable, now: float, stall_timeout: float
    ) -> str | None:
        """Feed one observation; returns "stalled", "retry" (recover again) or "recovered"."""
        if progress != self._progress or not wants:
            moved = progress != self._progress
            self._progress = progress
            self._since = now
            if self.stalled and (moved or not wants):
                self.stalled = False
                if moved:
                    self.record("recovered", "data is arriving again")
                    return "recovered"
            return None
        if now - self._since < stall_timeout:
            return None
        if not self.stalled:
            self.stalled = True
            self._last_recovery = now
            self.record("stalled", f"no data for {now - self._since:.0f} s while pieces are wanted")
            return "stalled"
        if now - self._last_recovery >= stall_timeout:
            self._last_recovery = now
            return "retry"
        return None


def latest(
    events: tuple[HealthEvent, ...], now: float, news: float = NEWS_SECONDS
) -> HealthEvent | None:
    """The last event if it happened less than `news` seconds before `now` (time.time())."""
    if not events or now - events[-1].time >= news:
        return None
    return events[-1]
