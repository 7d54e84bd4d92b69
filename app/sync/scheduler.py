"""The sync scheduler: named sources refreshed on one-shot timers that re-arm after each run.

Owns when sources sync, never what they do. Each source has an interval in minutes (0: no
timer) and a mode: `poll` runs on the timer, `watch` starts the source's own watcher (the
source asks for runs when something changes), `manual` runs only when asked. A source's
countdown starts when its last run ended, whatever started it (timer, Refresh, API, a watched
change, the app), so a refresh pushes the next timed run a full interval away (qui's re-armed
one-shot timer, not a ticker); a new interval applies at once, counted from the last run.
Asking for a run while one is going joins it (go-qbittorrent's shared refresh). A failing
source backs off (longer waits, see state.backoff_period) without holding up the others.
The whole scheduler can be paused: no run starts while paused, timers that fire and requests
that arrive wait for resume(); running ones finish. Each source keeps its last attempt, last
success, last error and summary apart, and a short history; listeners hear of every change.
A run that happened elsewhere (a media-server notification sent when the share changed) is
added to its source's history with record_run().

Everything runs on the app's asyncio loop (qasync's in the GUI) and every method but stop()
must be called there; the clock is injectable (see clock.py) so tests check the timing rules
to the second. `minute` (seconds per minute, 60) lets real-time tests use tiny intervals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

from app.library.validation import sync_interval
from app.settings import SyncSettings
from app.sync.clock import Clock, LoopClock
from app.sync.slot import Outcome, SourceSlot, SyncError, SyncSource, describe
from app.sync.state import (
    MODES,
    OUTCOMES,
    REASONS,
    SourceState,
    SyncRun,
    backoff_period,
    check_mode,
    check_reason,
)

__all__ = [
    "MODES",
    "REASONS",
    "SourceState",
    "SyncError",
    "SyncRun",
    "SyncScheduler",
    "SyncSource",
    "UnknownSource",
]

logger = logging.getLogger(__name__)

# Minutes between timed runs for sources without their own interval.
DEFAULT_INTERVAL_MINUTES = 60


class UnknownSource(SyncError, LookupError):
    """No source has that name (it may have been removed meanwhile)."""


Listener = Callable[[SourceState], None]


class SyncScheduler:
    """Runs each source an interval after its previous run ended; see the module docstring."""

    def __init__(
        self,
        settings: SyncSettings | None = None,
        *,
        interval: float | None = None,
        enabled: bool | None = None,
        first_delay: float | None = None,
        clock: Clock | None = None,
        minute: float = 60.0,
    ) -> None:
        """`interval` (seconds) is the default for sources added without one (60 minutes);
        `enabled` overrides settings.enabled (timers on or off); `first_delay` is the wait
        before each source's first timed run after start() (default: its interval); `clock`
        defaults to the running loop's (LoopClock); `minute` is seconds per minute."""
        settings = settings or SyncSettings()
        self._minute = _positive(minute)
        self._interval = _positive(
            interval if interval is not None else DEFAULT_INTERVAL_MINUTES * self._minute
        )
        self._enabled = settings.enabled if enabled is None else bool(enabled)
        self._first_delay = first_delay
        self._clock = clock
        self._slots: dict[str, SourceSlot] = {}
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False
        self._pauses: Counter[str] = Counter()
        self._resumed = asyncio.Event()
        self._resumed.set()

    # ---- sources ------------------------------------------------------------------------

    def add_source(
        self,
        source: SyncSource,
        *,
        interval: float | None = None,
        interval_minutes: int | None = None,
        mode: str = "poll",
    ) -> None:
        """Register a source with its own interval (`interval_minutes`, 0 for no timer, or
        `interval` in seconds; neither: the scheduler's default) and mode."""
        name = getattr(source, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"sync source {source!r} has no name")
        if not callable(getattr(source, "sync", None)):
            raise ValueError(f"sync source {name!r} has no sync() method")
        if name in self._slots:
            raise ValueError(f"a sync source named {name!r} is already registered")
        if interval is not None and interval_minutes is not None:
            raise ValueError("give interval or interval_minutes, not both")
        seconds = _positive(interval) if interval is not None else None
        if interval_minutes is not None:
            seconds = sync_interval(interval_minutes) * self._minute
        slot = SourceSlot(source, seconds, check_mode(mode))
        self._slots[name] = slot
        if self._started:
            self._start_countdown(slot)
            self._watch(slot)
        self._notify(slot)

    def restore(
        self,
        name: str,
        *,
        last_attempt: datetime | None,
        last_success: datetime | None,
        last_error: str | None,
        last_summary: str | None,
        finished_at: datetime | None,
        history: Sequence[SyncRun] = (),
    ) -> None:
        """Carry a source's last run and its saved runs (newest first) over from before a
        restart (call before start()): its countdown runs from when that run ended, so a
        daily sync stays daily."""
        slot = self._slot(name)
        slot.history.extend(history)
        slot.last_attempt, slot.last_success = last_attempt, last_success
        slot.last_error, slot.last_summary = last_error, last_summary
        slot.finished_at = finished_at
        self._notify(slot)

    def record_run(self, name: str, run: SyncRun) -> None:
        """Add a run that happened elsewhere to `name`'s history (a media-server notification
        the notifier sent when the share changed, app/notify/history.py): its last attempt,
        success, error and summary follow, and listeners hear of it. Nothing else changes:
        no run starts or is joined, and the countdown keeps its start."""
        check_reason(run.reason)
        if run.outcome not in OUTCOMES:
            raise ValueError(f"a run's outcome must be one of {', '.join(OUTCOMES)}")
        slot = self._slot(name)
        slot.record(run)
        self._notify(slot)

    def remove_source(self, name: str) -> None:
        slot = self._slots.pop(name, None)
        if slot is None:
            return
        self._disarm(slot)
        slot.set_watching(False)
        if slot.task is not None:
            slot.task.cancel()

    def names(self) -> list[str]:
        return list(self._slots)

    def state(self, name: str) -> SourceState:
        slot = self._slot(name)
        seconds = self._interval_of(slot)
        return slot.snapshot(
            enabled=self._enabled,
            interval=seconds,
            # Whole minutes as the user set them; a sub-minute test interval shows as 1.
            interval_minutes=math.ceil(seconds / self._minute - 1e-9),
            next_due=self._wall(slot.due_at) if slot.due_at is not None else None,
            paused=self.paused,
        )

    def states(self) -> list[SourceState]:
        return [self.state(name) for name in self._slots]

    # ---- listeners ----------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(state)` on the loop after any change to a source's state."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # ---- intervals, modes, settings -----------------------------------------------------

    @property
    def interval(self) -> float:
        """The default interval in seconds, for sources added without their own."""
        return self._interval

    @property
    def enabled(self) -> bool:
        return self._enabled

    def apply_settings(self, settings: SyncSettings) -> None:
        self.set_enabled(settings.enabled)

    def set_interval(self, seconds: float) -> None:
        """Change the default interval live: pending countdowns keep their start, so a
        shorter interval that has already elapsed syncs at once."""
        seconds = _positive(seconds)
        if seconds == self._interval:
            return
        self._interval = seconds
        for slot in self._slots.values():
            if slot.interval is None:
                self._arm(slot)
                self._notify(slot)

    def set_source_interval(self, name: str, minutes: int) -> None:
        """A source's interval in minutes (0: no timer), applied at once: the old timer
        stops and the new one counts from the source's last run."""
        slot = self._slot(name)
        slot.interval = sync_interval(minutes) * self._minute
        self._arm(slot)
        self._notify(slot)

    def set_mode(self, name: str, mode: str) -> None:
        """`poll` (timer), `watch` (the source's watcher asks for runs) or `manual`."""
        slot = self._slot(name)
        slot.mode = check_mode(mode)
        self._watch(slot)
        self._arm(slot)
        self._notify(slot)

    def set_enabled(self, enabled: bool) -> None:
        """Turn the timers on or off; requested runs and watched changes work either way."""
        enabled = bool(enabled)
        if enabled == self._enabled:
            return
        self._enabled = enabled
        for slot in self._slots.values():
            self._arm(slot)
            self._notify(slot)

    # ---- pausing --------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return bool(self._pauses)

    @property
    def pause_reasons(self) -> list[str]:
        return sorted(self._pauses)

    def pause(self, reason: str = "user") -> None:
        """No run starts until every pause is resumed (pauses nest; each names its reason).
        Timers that fire and requests that arrive meanwhile run on resume; running ones go on."""
        was_paused = self.paused
        self._pauses[reason] += 1
        if not was_paused:
            self._resumed.clear()
            logger.info("Sync paused (%s)", reason)
            self._notify_all()

    def resume(self, reason: str = "user") -> None:
        """End one pause(reason); the last one starts the runs that waited."""
        if self._pauses[reason] <= 0:
            del self._pauses[reason]
            return
        self._pauses[reason] -= 1
        if self._pauses[reason] == 0:
            del self._pauses[reason]
        if self.paused:
            return
        logger.info("Sync resumed")
        self._resumed.set()
        for slot in self._slots.values():
            if slot.pending is not None and slot.task is None:
                self._launch(slot, slot.pending)
        self._notify_all()

    @contextlib.asynccontextmanager
    async def paused_while(self, reason: str) -> AsyncIterator[None]:
        """Pause, wait for the runs already going to end (they are not cancelled), run the
        block, resume: nothing syncs against half-applied settings."""
        self.pause(reason)
        try:
            running = [e.task for e in self._slots.values() if e.task is not None]
            if running:
                await asyncio.wait([asyncio.shield(task) for task in running])
            yield
        finally:
            self.resume(reason)

    # ---- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the countdowns and watchers; call on the loop that will run the syncs."""
        self._bind_loop()
        self._started = True
        for slot in self._slots.values():
            self._start_countdown(slot)
            self._watch(slot)
            self._notify(slot)

    async def run(self, name: str, reason: str = "manual") -> SyncRun:
        """Run `name` now, or join the run in progress, and return that run's record.

        While paused the request waits for resume(). The countdown to the next timed run
        restarts when the run ends. Cancelling the caller does not cancel the run.
        """
        run, _ = await self._run_or_join(name, reason)
        return run

    async def sync_now(self, name: str, reason: str = "manual") -> str:
        """run() and return the summary; raises SyncError naming the source if it failed."""
        run, error = await self._run_or_join(name, reason)
        if run.outcome == "error":
            raise SyncError(f"{name}: {run.error}") from error
        return run.summary

    def trigger(self, name: str, reason: str = "manual") -> None:
        """Fire-and-forget run for buttons, the API and watchers; the outcome lands in the
        state. Joins a run in progress; while paused it waits for resume()."""
        check_reason(reason)
        slot = self._slot(name)
        if slot.task is not None:
            return
        if self.paused:
            if slot.pending is None:
                slot.pending = reason
                self._notify(slot)
            return
        self._launch(slot, reason)

    async def rescan_all(self, reason: str = "manual") -> dict[str, str]:
        """Run every source that keeps the library current at once, each on its own: one
        failing stops none of the others. A source whose `rescans` is False (a media server's,
        whose run is a test notification) is left out: Rescan all must not make every media
        server rescan its library. Returns {name: summary, or the error for a failed run}."""
        names = [
            name for name, slot in self._slots.items() if getattr(slot.source, "rescans", True)
        ]
        results = await asyncio.gather(
            *(self.run(name, reason) for name in names), return_exceptions=True
        )
        report: dict[str, str] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                report[name] = f"error: {describe(result)}"
            elif result.outcome == "ok":
                report[name] = result.summary
            else:
                report[name] = f"{result.outcome}: {result.error}"
        return report

    def stop(self) -> None:
        """Cancel the timers, watchers and running syncs; safe to call from any thread."""
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
        tasks = [slot.task for slot in self._slots.values() if slot.task is not None]
        self._stop_here()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ---- internals ----------------------------------------------------------------------

    async def _run_or_join(self, name: str, reason: str) -> Outcome:
        check_reason(reason)
        slot = self._slot(name)
        while self.paused and slot.task is None:
            if slot.pending is None:
                slot.pending = reason
                self._notify(slot)
            await self._resumed.wait()
            slot = self._slot(name)
        task = slot.task or self._launch(slot, reason)
        return await asyncio.shield(task)

    def _slot(self, name: str) -> SourceSlot:
        try:
            return self._slots[name]
        except KeyError:
            known = ", ".join(self._slots) or "none"
            raise UnknownSource(f"no sync source named {name!r} (known: {known})") from None

    def _bind_loop(self) -> Clock:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.get_running_loop()
        if self._clock is None or (
            isinstance(self._clock, LoopClock) and self._clock.loop is not self._loop
        ):
            self._clock = LoopClock(self._loop)
        return self._clock

    def _wall(self, at: float) -> datetime:
        assert self._clock is not None
        return self._clock.now() + timedelta(seconds=at - self._clock.time())

    def _interval_of(self, slot: SourceSlot) -> float:
        return slot.interval if slot.interval is not None else self._interval

    def _period(self, slot: SourceSlot) -> float | None:
        """Seconds from the last run to the next timed one; None when no timer applies."""
        interval = self._interval_of(slot)
        if slot.mode != "poll" or interval <= 0:
            return None
        return backoff_period(interval, slot.failures, self._minute)

    def _start_countdown(self, slot: SourceSlot) -> None:
        clock = self._bind_loop()
        slot.countdown_from = clock.time()
        period = self._period(slot)
        if slot.finished_at is not None:
            ago = (clock.now() - slot.finished_at).total_seconds()
            slot.countdown_from -= max(0.0, ago)  # a clock set back counts as "just now"
        elif self._first_delay is not None and period is not None:
            # Shift the start so the first countdown ends after first_delay, not an interval.
            slot.countdown_from += self._first_delay - period
        self._arm(slot)

    def _arm(self, slot: SourceSlot) -> None:
        """(Re)arm the one-shot timer, or leave it off when stopped, disabled, running,
        already due (waiting for resume), or the mode or interval has no timer."""
        if slot.pending is not None or self._slots.get(slot.name) is not slot:
            return
        self._disarm(slot)
        period = self._period(slot)
        clock = self._clock
        if (
            not self._started
            or not self._enabled
            or slot.task is not None
            or clock is None
            or slot.countdown_from is None
            or period is None
        ):
            return
        slot.due_at = slot.countdown_from + period
        delay = max(0.0, slot.due_at - clock.time())
        slot.timer = clock.call_later(delay, self._timer_fired, slot)

    def _disarm(self, slot: SourceSlot) -> None:
        if slot.timer is not None:
            slot.timer.cancel()
            slot.timer = None
        slot.due_at = None

    def _timer_fired(self, slot: SourceSlot) -> None:
        slot.timer = None
        if slot.task is not None or self._slots.get(slot.name) is not slot:
            return
        if self.paused:
            # due_at stays set: the state shows since when the run has waited
            slot.pending = slot.pending or "timer"
            self._notify(slot)
            return
        self._launch(slot, "timer")

    def _launch(self, slot: SourceSlot, reason: str) -> asyncio.Task[Outcome]:
        self._disarm(slot)
        slot.pending = None
        self._bind_loop()
        assert self._loop is not None
        slot.task = self._loop.create_task(self._run(slot, reason), name=f"sync {slot.name}")
        return slot.task

    async def _run(self, slot: SourceSlot, reason: str) -> Outcome:
        """One run; never raises (but for cancellation), so a timer run needs no awaiter."""
        clock = self._bind_loop()
        try:
            return await slot.execute(clock, reason, started=lambda: self._notify(slot))
        finally:
            slot.task = None
            slot.countdown_from = clock.time()
            self._arm(slot)
            self._notify(slot)

    def _watch(self, slot: SourceSlot) -> None:
        """Start or stop the source's watcher to match its mode."""
        slot.set_watching(self._started and slot.mode == "watch")

    def _stop_here(self) -> None:
        self._started = False
        for slot in self._slots.values():
            self._disarm(slot)
            slot.set_watching(False)
            slot.pending = None
            if slot.task is not None:
                slot.task.cancel()

    def _notify(self, slot: SourceSlot) -> None:
        if not self._listeners or self._slots.get(slot.name) is not slot:
            return
        state = self.state(slot.name)
        for callback in list(self._listeners):
            try:
                callback(state)
            except Exception:
                logger.exception("Sync listener %r failed", callback)

    def _notify_all(self) -> None:
        for slot in list(self._slots.values()):
            self._notify(slot)


def _positive(seconds: float) -> float:
    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError(f"a sync interval must be more than 0 seconds (got {seconds:g})")
    return seconds
