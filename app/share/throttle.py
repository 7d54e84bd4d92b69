"""Slowing down a client address that keeps sending wrong credentials.

A LAN client could try 2,000 passwords a second, each one logged. Here an address gets
FREE_FAILURES wrong tries per burst; after that its credentials are checked at most once per
cooldown (doubling with each further failure, up to MAX_COOLDOWN), and requests arriving
sooner get 429 with Retry-After without being checked, so guessing faster gains nothing. No
worker waits, other addresses are not affected, and a right password from the address passes
as soon as a check is due (within MAX_COOLDOWN), which also ends the wait for that address's
next requests. A burst ends QUIET seconds after its last failure. It is logged in at most
three lines: its first failure, the start of the slowdown, and a summary with the counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

FREE_FAILURES = 10
FIRST_COOLDOWN = 0.5
MAX_COOLDOWN = 4.0
QUIET = 60.0
MAX_ADDRESSES = 4096  # bursts tracked at once; the oldest is summarised and dropped beyond


@dataclass
class _Burst:
    started: float
    last_failure: float
    failures: int = 0  # credentials checked and wrong
    refused: int = 0  # answered 429 without a check
    check_at: float = 0.0  # no check before this time


class FailureThrottle:
    """Per-address bookkeeping of wrong credentials; thread-safe. `clock` is for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._bursts: dict[str, _Burst] = {}
        self._swept = clock()

    def wait(self, address: str) -> float:
        """0 if `address` may have its credentials checked now, else the seconds left.

        A check granted to a slowed-down address holds the next one back until it is
        reported, so parallel requests cannot share one slot.
        """
        with self._lock:
            now = self._clock()
            self._sweep(now)
            burst = self._bursts.get(address)
            if burst is None:
                return 0.0
            if now < burst.check_at:
                burst.refused += 1
                return burst.check_at - now
            if burst.failures >= FREE_FAILURES:
                burst.check_at = now + _cooldown(burst.failures)
            return 0.0

    def failed(self, address: str, request: str) -> None:
        """Count a wrong password or token from `address` (`request` names it for the log)."""
        with self._lock:
            now = self._clock()
            burst = self._bursts.get(address)
            if burst is None:
                burst = self._bursts[address] = _Burst(started=now, last_failure=now)
                logger.info("Refused credentials from %s for %s", address, request)
                if len(self._bursts) > MAX_ADDRESSES:
                    oldest = next(iter(self._bursts))
                    _summarise(oldest, self._bursts.pop(oldest))
            burst.failures += 1
            burst.last_failure = now
            if burst.failures == FREE_FAILURES:
                logger.warning(
                    "%s sent wrong credentials %d times in %.0f s; its attempts are slowed "
                    "down until it stops",
                    address,
                    burst.failures,
                    now - burst.started,
                )
            if burst.failures >= FREE_FAILURES:
                burst.check_at = now + _cooldown(burst.failures)

    def passed(self, address: str) -> None:
        """Right credentials from `address`: its next requests need not wait."""
        with self._lock:
            burst = self._bursts.get(address)
            if burst is not None:
                burst.check_at = 0.0

    def sweep(self) -> None:
        """End the bursts that went quiet (done at most once a second)."""
        with self._lock:
            self._sweep(self._clock())

    def _sweep(self, now: float) -> None:
        if now - self._swept < 1.0:
            return
        self._swept = now
        for address, burst in list(self._bursts.items()):
            if now - max(burst.last_failure, burst.check_at) >= QUIET:
                _summarise(address, self._bursts.pop(address))


def _cooldown(failures: int) -> float:
    return min(MAX_COOLDOWN, FIRST_COOLDOWN * 2 ** min(failures - FREE_FAILURES, 16))


def _summarise(address: str, burst: _Burst) -> None:
    if burst.failures > 1 or burst.refused:
        logger.info(
            "Wrong credentials from %s: %d refused and %d more answered 429 unchecked over %.0f s",
            address,
            burst.failures,
            burst.refused,
            burst.last_failure - burst.started,
        )
