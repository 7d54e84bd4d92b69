"""The sync scheduler: named sources refreshed on one-shot timers that re-arm after each run.

Owns when sources sync, never what they do. Each source's countdown starts when its last run
finished, manual or automatic, so "Sync now" pushes the next automatic run a full interval
away (qui's re-armed one-shot timer, not a ticker). Asking for a sync while one runs joins
that run instead of starting a second (go-qbittorrent's shared refresh). Every source keeps
its last attempt, last success, last error and summary apart, and listeners hear of every
change. Everything runs on the app's asyncio loop (qasync's in the GUI); no Qt import.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.settings import SyncSettings

logger = logging.getLogger(__name__)


class SyncSource(Protocol):
    """Anything with a unique `name` and `async def sync() -> str` (a one-line summary)."""

    name: str

    async def sync(self) -> str: ...


class SyncError(Exception):
    """A sync could not run or failed. Sources raise it for failures whose message says it
    all (no traceback is logged); sync_now() raises it naming the source."""


@dataclass(frozen=True)
class SourceState:
    """A snapshot of one source, for the Sync view; times are aware UTC datetimes."""

    name: str
    enabled: bool
    interval: float
    running: bool
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_summary: str | None
    next_due: datetime | None


Listener = Callable[[SourceState], None]


class _Entry:
    """The scheduler's mutable record of one source."""

    def __init__(self, source: SyncSource, interval: float | None) -> None:
        self.source = source
        self.interval = interval
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[tuple[str | None, BaseException | None]] | None = None
        # Loop time the countdown runs from: the end of the last run, or when timing began.
        self.countdown_from: float | None = None
        self.last_attempt: datetime | None = None
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.last_summary: str | None = None
        self.next_due: datetime | None = None


class SyncScheduler:
    """Runs each source every `interval` seconds after its previous run ended."""

    def __init__(
        self,
        settings: SyncSettings | None = None,
        *,
        interval: float | None = None,
        enabled: bool | None = None,
        first_delay: float | None = None,
    ) -> None:
        """`interval` (seconds) and `enabled` override `settings`; `first_delay` is the wait
        before each source's first automatic run after start() (default: one interval)."""
        settings = settings or SyncSettings()
        self._interval = _positive(
            interval if interval is not None else settings.interval_minutes * 60.0
        )
        self._enabled = settings.enabled if enabled is None else bool(enabled)
        self._first_delay = first_delay
        self._entries: dict[str, _Entry] = {}
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False

    # ---- sources ------------------------------------------------------------------------

    def add_source(self, source: SyncSource, *, interval: float | None = None) -> None:
        """Register a source; `interval` (seconds) overrides the scheduler's for it alone."""
        name = getattr(source, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"sync source {source!r} has no name")
        if not callable(getattr(source, "sync", None)):
            raise ValueError(f"sync source {name!r} has no sync() method")
        if name in self._entries:
            raise ValueError(f"a sync source named {name!r} is already registered")
        entry = _Entry(source, _positive(interval) if interval is not None else None)
        self._entries[name] = entry
        if self._started:
            self._start_countdown(entry)
        self._notify(entry)

    def remove_source(self, name: str) -> None:
        entry = self._entries.pop(name, None)
        if entry is None:
            return
        self._disarm(entry)
        if entry.task is not None:
            entry.task.cancel()

    def names(self) -> list[str]:
        return list(self._entries)

    def state(self, name: str) -> SourceState:
        entry = self._entry(name)
        return SourceState(
            name=name,
            enabled=self._enabled,
            interval=self._interval_of(entry),
            running=entry.task is not None,
            last_attempt=entry.last_attempt,
            last_success=entry.last_success,
            last_error=entry.last_error,
            last_summary=entry.last_summary,
            next_due=entry.next_due,
        )

    def states(self) -> list[SourceState]:
        return [self.state(name) for name in self._entries]

    # ---- listeners ----------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(state)` on the loop after any change to a source's state."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # ---- settings -----------------------------------------------------------------------

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def enabled(self) -> bool:
        return self._enabled

    def apply_settings(self, settings: SyncSettings) -> None:
        self.set_interval(settings.interval_minutes * 60.0)
        self.set_enabled(settings.enabled)

    def set_interval(self, seconds: float) -> None:
        """Change the interval live: pending countdowns keep their start, so a shorter
        interval that has already elapsed syncs at once."""
        seconds = _positive(seconds)
        if seconds == self._interval:
            return
        self._interval = seconds
        for entry in self._entries.values():
            if entry.interval is None:
                self._arm(entry)
                self._notify(entry)

    def set_enabled(self, enabled: bool) -> None:
        """Turn the timers on or off; "Sync now" works either way."""
        enabled = bool(enabled)
        if enabled == self._enabled:
            return
        self._enabled = enabled
        for entry in self._entries.values():
            self._arm(entry)
            self._notify(entry)

    # ---- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the countdowns; call on the loop that will run the syncs."""
        self._loop = asyncio.get_running_loop()
        self._started = True
        for entry in self._entries.values():
            self._start_countdown(entry)
            self._notify(entry)

    async def sync_now(self, name: str) -> str:
        """Sync `name` at once (or join the run in progress) and return its summary.

        The countdown to the next automatic run restarts when this run ends. Raises
        SyncError if the sync failed. Cancelling the caller does not cancel the run.
        """
        entry = self._entry(name)
        task = entry.task or self._launch(entry)
        summary, error = await asyncio.shield(task)
        if error is not None:
            raise SyncError(f"{name}: {_describe(error)}") from error
        return summary or ""

    def trigger(self, name: str) -> None:
        """Fire-and-forget "Sync now" for buttons and the API; the outcome lands in the state."""
        entry = self._entry(name)
        if entry.task is None:
            self._launch(entry)

    def stop(self) -> None:
        """Cancel the timers and running syncs; safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._stop_here()
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop or not loop.is_running():
            self._stop_here()
        else:
            loop.call_soon_threadsafe(self._stop_here)

    async def aclose(self) -> None:
        """stop() and wait until every running sync has ended."""
        tasks = [entry.task for entry in self._entries.values() if entry.task is not None]
        self._stop_here()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ---- internals ----------------------------------------------------------------------

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self._entries) or "none"
            raise SyncError(f"no sync source named {name!r} (known: {known})") from None

    def _interval_of(self, entry: _Entry) -> float:
        return entry.interval if entry.interval is not None else self._interval

    def _start_countdown(self, entry: _Entry) -> None:
        assert self._loop is not None
        entry.countdown_from = self._loop.time()
        if self._first_delay is not None:
            # Shift the start so the first countdown ends after first_delay, not an interval.
            entry.countdown_from += self._first_delay - self._interval_of(entry)
        self._arm(entry)

    def _arm(self, entry: _Entry) -> None:
        """(Re)arm the one-shot timer, or leave it off when stopped, disabled or running."""
        self._disarm(entry)
        loop = self._loop
        if (
            not self._started
            or not self._enabled
            or entry.task is not None
            or loop is None
            or entry.countdown_from is None
        ):
            return
        delay = max(0.0, entry.countdown_from + self._interval_of(entry) - loop.time())
        entry.timer = loop.call_later(delay, self._timer_fired, entry)
        entry.next_due = datetime.now(UTC) + timedelta(seconds=delay)

    def _disarm(self, entry: _Entry) -> None:
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        entry.next_due = None

    def _timer_fired(self, entry: _Entry) -> None:
        entry.timer = None
        if entry.task is None and self._entries.get(entry.source.name) is entry:
            self._launch(entry)

    def _launch(self, entry: _Entry) -> asyncio.Task[tuple[str | None, BaseException | None]]:
        self._disarm(entry)
        loop = self._loop or asyncio.get_running_loop()
        entry.task = loop.create_task(self._run(entry), name=f"sync {entry.source.name}")
        return entry.task

    async def _run(self, entry: _Entry) -> tuple[str | None, BaseException | None]:
        """One sync; never raises (but for cancellation), so a timer run needs no awaiter."""
        name = entry.source.name
        entry.last_attempt = datetime.now(UTC)
        self._notify(entry)
        summary: str | None = None
        error: BaseException | None = None
        try:
            logger.info("Sync %s started", name)
            summary = str(await entry.source.sync())
            entry.last_success = datetime.now(UTC)
            entry.last_summary = summary
            entry.last_error = None
            logger.info("Sync %s done: %s", name, summary)
        except asyncio.CancelledError:
            entry.last_error = "cancelled"
            raise
        except Exception as exc:
            error = exc
            entry.last_error = _describe(exc)
            logger.warning(
                "Sync %s failed: %s",
                name,
                entry.last_error,
                exc_info=not isinstance(exc, SyncError),
            )
        finally:
            entry.task = None
            if self._loop is not None:
                entry.countdown_from = self._loop.time()
            self._arm(entry)
            self._notify(entry)
        return summary, error

    def _stop_here(self) -> None:
        self._started = False
        for entry in self._entries.values():
            self._disarm(entry)
            if entry.task is not None:
                entry.task.cancel()

    def _notify(self, entry: _Entry) -> None:
        if self._entries.get(entry.source.name) is not entry:
            return
        state = self.state(entry.source.name)
        for callback in list(self._listeners):
            try:
                callback(state)
            except Exception:
                logger.exception("Sync listener %r failed", callback)


def _positive(seconds: float) -> float:
    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError(f"a sync interval must be more than 0 seconds (got {seconds:g})")
    return seconds


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
