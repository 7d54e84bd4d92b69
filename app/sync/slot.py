"""One source as the scheduler keeps it: its settings, its watcher, its runs and history.

SourceSlot holds what happened to one source (last attempt, success, error and summary,
failures in a row, the last runs) and performs one run of it, turning whatever the source
raises into a SyncRun; it also starts and stops the source's optional watcher. When a source
runs (timers, requests, pauses) is the scheduler's business, in scheduler.py; the slot only
carries the scheduler's per-source timer fields.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.sync.clock import Clock, TimerHandle
from app.sync.state import HISTORY_LENGTH, SourceState, SyncRun

logger = logging.getLogger(__name__)


class SyncSource(Protocol):
    """Anything with a unique `name` and `async def sync() -> str` (a one-line summary).

    Optional: `detail() -> dict` (shown in the state), `start_watching()` and
    `stop_watching()` (called as the source enters and leaves `watch` mode while the
    scheduler runs).
    """

    name: str

    async def sync(self) -> str: ...


class SyncError(Exception):
    """A sync could not run or failed. Sources raise it for failures whose message says it
    all (no traceback is logged); sync_now() raises it naming the source."""


Outcome = tuple[SyncRun, BaseException | None]


class SourceSlot:
    """The scheduler's mutable record of one source."""

    def __init__(self, source: SyncSource, interval: float | None, mode: str) -> None:
        self.source = source
        self.interval = interval  # seconds; None: the scheduler's default; 0: no timer
        self.mode = mode
        # The scheduler's timing of this source:
        self.timer: TimerHandle | None = None
        self.task: asyncio.Task[Outcome] | None = None
        self.countdown_from: float | None = None  # the end of the last run, or the start
        self.finished_at: datetime | None = None  # a run before a restart ended then
        self.due_at: float | None = None
        self.pending: str | None = None  # reason of a run waiting for resume()
        # What happened:
        self.watching = False
        self.last_attempt: datetime | None = None
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.last_summary: str | None = None
        self.failures = 0
        self.history: deque[SyncRun] = deque(maxlen=HISTORY_LENGTH)

    @property
    def name(self) -> str:
        return self.source.name

    async def execute(self, clock: Clock, reason: str, started: Callable[[], None]) -> Outcome:
        """Run the source once and record it; calls started() once the attempt is noted.
        Never raises but for cancellation (recorded as a "cancelled" run)."""
        began = clock.time()
        self.last_attempt = clock.now()
        started()
        outcome, summary, error = "error", "", None
        try:
            logger.info("Sync %s started (%s)", self.name, reason)
            summary = str(await self.source.sync())
            outcome = "ok"
            self.last_success = clock.now()
            self.last_summary = summary
            self.last_error = None
            self.failures = 0
            logger.info("Sync %s done: %s", self.name, summary)
        except asyncio.CancelledError:
            outcome = "cancelled"
            self.last_error = "cancelled"
            raise
        except Exception as exc:
            error = exc
            self.last_error = describe(exc)
            self.failures += 1
            logger.warning(
                "Sync %s failed (%d in a row): %s",
                self.name,
                self.failures,
                self.last_error,
                exc_info=not isinstance(exc, SyncError),
            )
        finally:
            run = SyncRun(
                started=self.last_attempt,
                duration=max(0.0, clock.time() - began),
                reason=reason,
                outcome=outcome,
                summary=summary,
                error=self.last_error if outcome != "ok" else None,
            )
            self.history.appendleft(run)
        return run, error

    def record(self, run: SyncRun) -> None:
        """Note a run that happened outside the scheduler (SyncScheduler.record_run), as
        execute() notes its own: last attempt (never moved back by a run that started before
        one under way), success, error and summary, failures in a row, the history."""
        if self.last_attempt is None or run.started > self.last_attempt:
            self.last_attempt = run.started
        if run.outcome == "ok":
            self.last_success = run.started + timedelta(seconds=run.duration)
            self.last_summary = run.summary
            self.last_error = None
            self.failures = 0
        else:
            self.last_error = run.error or run.outcome
            if run.outcome == "error":
                self.failures += 1
        self.history.appendleft(run)

    def set_watching(self, wanted: bool) -> None:
        """Start or stop the source's watcher; a watcher that cannot start is an error in
        the state (the folder is gone), and the source can still be run by hand."""
        if wanted == self.watching:
            return
        self.watching = wanted
        method = getattr(self.source, "start_watching" if wanted else "stop_watching", None)
        if method is None:
            return
        try:
            method()
        except Exception as exc:
            if wanted:
                self.last_error = f"cannot watch for changes: {describe(exc)}"
                logger.warning("Sync %s: %s", self.name, self.last_error)
            else:
                logger.exception("Sync %s: stopping the watcher failed", self.name)

    def snapshot(
        self,
        *,
        enabled: bool,
        interval: float,
        interval_minutes: int,
        next_due: datetime | None,
        paused: bool,
    ) -> SourceState:
        return SourceState(
            name=self.name,
            enabled=enabled,
            interval=interval,
            running=self.task is not None,
            last_attempt=self.last_attempt,
            last_success=self.last_success,
            last_error=self.last_error,
            last_summary=self.last_summary,
            next_due=next_due,
            interval_minutes=interval_minutes,
            mode=self.mode,
            failures=self.failures,
            backoff_until=next_due if self.failures else None,
            history=tuple(self.history),
            paused=paused,
            pending=self.pending,
            detail=self._detail(),
        )

    def _detail(self) -> dict[str, Any]:
        detail = getattr(self.source, "detail", None)
        if detail is None:
            return {}
        try:
            return dict(detail())
        except Exception as exc:
            logger.warning("Sync %s: detail() failed: %s", self.name, exc)
            return {"error": describe(exc)}


def describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
