"""The sync sources the library records, kept in step with the scheduler, for any thread.

SyncManager builds one scheduler source per `sync_source` row (the caller's factory makes the
TMDB refresh and the folder sources), and is the one way the app, the window and the JSON API
change them: the change is validated and saved in the library first, then applied to the
scheduler live. So a bad value changes nothing, and what runs is what is saved.

Threads: the scheduler lives on the app's asyncio loop (the Qt main thread under qasync).
Every public method may be called on that thread, where it acts at once, or from any other
thread (the share's API workers), where it hops onto the loop explicitly and waits for the
answer. run() waits for a sync and so is for other threads only; on the loop await
scheduler.run() instead. The library is thread-safe and is used from the calling thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from app.library import matching
from app.library.errors import InvalidValue
from app.library.validation import sync_interval
from app.on_loop import LoopNotAnswering, call_on_loop, on_loop_thread, run_on_loop
from app.sync import run_log
from app.sync.scheduler import (
    DEFAULT_INTERVAL_MINUTES,
    SourceState,
    SyncError,
    SyncRun,
    SyncScheduler,
    SyncSource,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
# make_source(record, on_change) -> the scheduler source for a sync_source row, or None
# when this build cannot sync that kind (the row is kept and skipped).
SourceFactory = Callable[[Any, Callable[[], None]], SyncSource | None]
HOP_TIMEOUT = 30.0


class SyncUnavailable(SyncError):
    """The scheduler is not running (the app is starting or stopping)."""


class SyncManager:
    """Adds, removes and changes sync sources in the library and the scheduler together."""

    def __init__(
        self,
        library,
        scheduler: SyncScheduler,
        make_source: SourceFactory,
    ) -> None:
        """Build it on the loop the scheduler runs on."""
        self.library = library
        self.scheduler = scheduler
        self._make_source = make_source
        self.loop = asyncio.get_running_loop()
        self._sources: dict[str, SyncSource] = {}
        self._remembered: dict[str, datetime] = {}  # source -> start of the run last saved

    # ---- start ----------------------------------------------------------------------------

    def start(self) -> None:
        """On the loop: add a source per library row, start the scheduler, and let each
        watched folder catch up once (its watcher cannot see what changed while we were off)."""
        for record in self.library.sync_sources():
            try:
                self._add(record)
            except Exception:
                logger.exception("Sync source %s could not be set up", record.name)
                continue
            if record.name in self._sources:
                self.scheduler.restore(
                    record.name,
                    last_attempt=record.last_attempt,
                    last_success=record.last_success,
                    last_error=record.last_error,
                    last_summary=record.last_summary,
                    finished_at=record.last_finished,
                    history=run_log.load(self.library, record.name),
                )
        self.scheduler.add_listener(self._remember_run)
        self.scheduler.start()
        for record in self.library.sync_sources():
            if record.kind == "folder" and record.mode == "watch" and record.name in self._sources:
                self.scheduler.trigger(record.name, "app")

    def source(self, name: str) -> SyncSource | None:
        return self._sources.get(name)

    # ---- reading ----------------------------------------------------------------------------

    def states(self) -> list[SourceState]:
        """Every source's state (any thread)."""
        return self._call(self.scheduler.states)

    def state(self, name: str) -> SourceState:
        """One source's state (any thread); UnknownSource if there is none by that name."""
        return self._call(self.scheduler.state, name)

    # ---- changing ---------------------------------------------------------------------------

    def add_folder(
        self, path: str | os.PathLike, mode: str = "watch", interval_minutes: int | str = 10
    ) -> SourceState:
        """Save a watched folder and start syncing it (any thread); returns its state.

        The library validates (InvalidValue, DuplicateItem); if the source cannot be set up
        the row is removed again, so nothing is half added. Unless its mode is manual, the
        folder is scanned at once.
        """
        folder = Path(path).expanduser()
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise InvalidValue(f"{folder} {what}")
        record = self.library.add_folder_source(folder, mode, interval_minutes)
        try:
            self._call(self._add, record)
            state = self._call(self._added_state, record.name)
        except Exception:
            self.library.remove_sync_source(record.name)
            raise
        if record.mode != "manual":  # show what the folder holds now, not an interval later
            self._call(self._trigger_if_known, record.name, "app")
        return state

    def add_source(self, record) -> SourceState:
        """Start syncing a source row saved by another part of the app (the debrid account
        once it has a token), unless it runs already (any thread); returns its state."""
        if self._call(self.source, record.name) is None:
            self._call(self._add, record)
        return self._call(self._added_state, record.name)

    def drop_source(self, name: str) -> None:
        """Stop syncing a source whose row its owner removes itself (the debrid account
        at logout); any thread."""
        self._call(self._remove, name)

    def remove_folder(self, name: str) -> None:
        """Forget a watched folder (any thread); its items keep their sources. The TMDB
        source cannot be removed (InvalidValue); an unknown name is NotFound."""
        self._call(self._check_kept, name)
        self.library.remove_sync_source(name)
        self._call(self._remove, name)

    def update_source(
        self, name: str, *, interval_minutes: int | str | None = None, mode: str | None = None
    ) -> SourceState:
        """Save a new interval (0, or 1 minute to a year) and/or mode, then apply it live
        (any thread): the new countdown runs from the source's last sync."""
        self._call(self._check_kept, name)
        record = self.library.update_sync_source(name, interval_minutes=interval_minutes, mode=mode)
        return self._call(self._apply, record)

    def run(
        self, name: str, reason: str = "api", wait: float = 120.0
    ) -> tuple[SyncRun | None, SourceState]:
        """Run `name` now or join its run, from a thread other than the loop's, and wait up
        to `wait` seconds. Returns (the run, the state after it), or (None, the state) when
        the run is still going (it goes on). A failed run is a SyncRun with outcome "error"."""
        self._call(self.scheduler.state, name)  # UnknownSource before anything starts
        try:
            run = self._wait_for(self.scheduler.run(name, reason), wait)
        except TimeoutError:
            return None, self.state(name)
        except concurrent.futures.CancelledError:
            raise SyncError(
                f"the run of {name} was cancelled (the source was removed or the app is stopping)"
            ) from None
        return run, self.state(name)

    def rescan_all(self, wait: float = 300.0) -> dict[str, str]:
        """scheduler.rescan_all() from another thread: {name: summary or error}."""
        try:
            return self._wait_for(self.scheduler.rescan_all("api"), wait)
        except concurrent.futures.CancelledError:
            raise SyncError("the rescan was cancelled (the app is stopping)") from None

    def pause(self, reason: str = "user") -> list[str]:
        """Pause the scheduler (any thread); returns what it is paused for."""
        self._call(self.scheduler.pause, reason)
        return self._call(lambda: self.scheduler.pause_reasons)

    def resume(self, reason: str = "user") -> list[str]:
        """End one pause(reason) (any thread); returns what it is still paused for."""
        self._call(self.scheduler.resume, reason)
        return self._call(lambda: self.scheduler.pause_reasons)

    def assign_local_file(self, path: str | os.PathLike, item_type: str, item_id: int):
        """Make a video file on disk the item's source (the Sync view's "assign" for a
        folder's unmatched file), then rescan the folder holding it so its list of unmatched
        files is fresh. Any thread; returns the Assignment."""
        file = Path(path).expanduser().resolve()
        if not matching.is_video(file.name):
            raise InvalidValue(f"{file.name} is not a video file")
        try:
            size = file.stat().st_size
        except OSError as exc:
            raise InvalidValue(f"cannot read {file}: {exc.strerror or exc}") from None
        if not file.is_file():
            raise InvalidValue(f"{file} is not a file")
        assignment = self.library.assign_local(
            item_type,
            item_id,
            str(file),
            size=size,
            resolution=matching.guess_resolution(file.name),
            source=matching.guess_source(file.name),
        )
        folder = self._folder_of(file)
        if folder is not None:
            self._call(self._trigger_if_known, folder, "app")
        return assignment

    def changed(self, name: str) -> Callable[[], None]:
        """The on_change callback for a watched source: any thread, fire and forget."""

        def on_change() -> None:
            if not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._trigger_if_known, name, "watch")

        return on_change

    # ---- on the loop ------------------------------------------------------------------------

    def _add(self, record) -> None:
        source = self._make_source(record, self.changed(record.name))
        if source is None:
            logger.warning("Sync source %s (%s) is not supported here", record.name, record.kind)
            return
        minutes = self._stored_interval(record)
        self.scheduler.add_source(source, interval_minutes=minutes, mode=record.mode)
        self._sources[record.name] = source
        timing = {"watch": "on changes", "manual": "when asked"}.get(
            record.mode, f"every {minutes} min" if minutes else "when asked"
        )
        logger.info("Sync source %s (%s): %s", record.name, record.path or record.kind, timing)

    def _added_state(self, name: str) -> SourceState:
        if name not in self._sources:
            raise SyncError(f"sync source {name} cannot run in this build")
        return self.scheduler.state(name)

    def _remove(self, name: str) -> None:
        self.scheduler.remove_source(name)
        self._sources.pop(name, None)

    def _apply(self, record) -> SourceState:
        self.scheduler.set_source_interval(record.name, self._stored_interval(record))
        self.scheduler.set_mode(record.name, record.mode)
        return self.scheduler.state(record.name)

    def _stored_interval(self, record) -> int:
        """The row's interval, or the default for one the rule refuses (saved before the
        rule had a maximum, or edited by hand): one bad value must not stop the app."""
        try:
            return sync_interval(record.interval_minutes)
        except InvalidValue as exc:
            logger.warning(
                "Sync source %s: the stored interval is unusable (%s); using the default, "
                "%d minutes, until a new one is set",
                record.name,
                exc,
                DEFAULT_INTERVAL_MINUTES,
            )
            return DEFAULT_INTERVAL_MINUTES

    def _remember_run(self, state: SourceState) -> None:
        """Save each finished run in the library, so countdowns survive a restart. Only the
        library's own sources: the media-server ones (app/notify/history.py) live in the
        settings and have no row."""
        if state.running or not state.history or state.name not in self._sources:
            return
        run = state.history[0]
        if self._remembered.get(state.name) == run.started:
            return
        self._remembered[state.name] = run.started
        try:
            self.library.record_sync_run(
                state.name,
                attempt=run.started,
                finished=run.started + timedelta(seconds=run.duration),
                succeeded=state.last_success if run.outcome == "ok" else None,
                summary=run.summary,
                error=run.error,
            )
            run_log.save(self.library, state.name, run)
        except Exception:  # a removed folder, a closed library: the next run tries again
            logger.warning("Could not save the last run of %s", state.name, exc_info=True)

    def _check_kept(self, name: str) -> None:
        """InvalidValue for a source the library does not keep: a media server's."""
        if name not in self._sources and name in self.scheduler.names():
            raise InvalidValue(
                f"{name} is a media server told of the share's changes: change or remove "
                "it in the settings (Settings, Media servers)"
            )

    def _trigger_if_known(self, name: str, reason: str) -> None:
        if name in self.scheduler.names():
            self.scheduler.trigger(name, reason)

    def _folder_of(self, file: Path) -> str | None:
        """The most specific watched folder holding `file`, if any."""
        best: tuple[int, str] | None = None
        for record in self.library.sync_sources():
            if record.kind != "folder" or not record.path:
                continue
            folder = Path(record.path)
            if file.is_relative_to(folder) and (best is None or len(folder.parts) > best[0]):
                best = (len(folder.parts), record.name)
        return best[1] if best else None

    # ---- thread hops ------------------------------------------------------------------------

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return call_on_loop(self.loop, fn, *args, timeout=HOP_TIMEOUT)
        except LoopNotAnswering as exc:
            raise SyncUnavailable(str(exc)) from None

    def _wait_for(self, coro: Coroutine[Any, Any, T], wait: float) -> T:
        """Run coro on the loop from another thread; TimeoutError after `wait` seconds."""
        if on_loop_thread(self.loop):
            coro.close()
            raise RuntimeError("this call waits for a sync: on the loop await the scheduler")
        if self.loop.is_closed() or not self.loop.is_running():
            coro.close()
            raise SyncUnavailable("sync is not running (the app is starting or stopping)")
        return run_on_loop(self.loop, coro, wait)
