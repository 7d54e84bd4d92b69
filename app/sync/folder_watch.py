"""Watching a folder for changes: a watchdog observer whose events are debounced into bursts.

A copy of a season into the folder is hundreds of events; the folder needs one rescan after
the last of them. Debouncer calls its action once, `delay` seconds after the last poke() of a
burst, on a short-lived thread of its own (no thread lingers between bursts). FolderWatcher
feeds it the events that can change a scan: files a watched folder cares about (.torrent and
videos) and folders coming and going; not opens and reads (a scan reads .torrent files, which
would otherwise wake the watcher again), nor the source's own moves into processed/ and
failed/. When the folder does not exist (not yet, or deleted while watched), the nearest
existing parent is watched instead until it appears, so a folder that comes back is noticed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from app.sync.folder_scan import FAILED, PROCESSED, TORRENT_EXTENSION, is_inside, kind_of

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.3
_QUIET_EVENTS = {EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_ATTRIB}


class Debouncer:
    """Calls `action()` once per burst of poke() calls, `delay` seconds after the last one."""

    def __init__(self, action: Callable[[], None], delay: float = DEBOUNCE_SECONDS) -> None:
        self._action = action
        self._delay = delay
        self._cond = threading.Condition()
        self._due: float | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def poke(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._due = time.monotonic() + self._delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="folder-debounce")
                self._thread.daemon = True
                self._thread.start()
            else:
                self._cond.notify_all()

    def close(self) -> None:
        """Drop a pending burst and end the thread (waits for an action under way)."""
        with self._cond:
            self._closed = True
            self._due = None
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self._due is not None:
                    left = self._due - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                if self._closed or self._due is None:
                    self._thread = None
                    return
                self._due = None
            try:
                self._action()
            except Exception:
                logger.exception("Folder change callback failed")
            with self._cond:
                if self._due is None:  # no event during the action: the burst is over
                    self._thread = None
                    return


class FolderWatcher:
    """Watches `root` (recursively) and calls `on_burst()` once per burst of relevant events.

    on_burst runs on the debouncer's thread, never on the caller's or an event loop's.
    `error` holds the reason the folder cannot be watched (e.g. the inotify watch limit).
    """

    def __init__(
        self, root: str, on_burst: Callable[[], None], *, delay: float = DEBOUNCE_SECONDS
    ) -> None:
        self.root = os.path.normpath(root)
        self._on_burst = on_burst
        self._delay = delay
        self._debouncer: Debouncer | None = None
        self._handler = _Handler(self._event)
        self._observer = None
        self._watch = None
        self._on_root = False
        self._stale = False  # the folder was deleted or moved: its watch is dead
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._observer is not None

    def start(self) -> None:
        if self._observer is not None:
            return
        self._debouncer = Debouncer(self._burst, self._delay)
        self._observer = Observer()
        self._observer.daemon = True
        self._arm()
        self._observer.start()
        logger.info("Watching %s for changes", self.root)

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(5)
            logger.info("Stopped watching %s", self.root)
        if self._debouncer is not None:
            self._debouncer.close()
            self._debouncer = None

    def rearm(self) -> None:
        """Watch the folder itself if it exists now, else its nearest existing parent."""
        with self._lock:
            if self._observer is None:
                return
            if self._stale or self._on_root != os.path.isdir(self.root):
                self._arm_locked()

    def _arm(self) -> None:
        with self._lock:
            self._arm_locked()

    def _arm_locked(self) -> None:
        observer = self._observer
        if observer is None:
            return
        if self._watch is not None:
            # its emitter may have ended already (the folder was deleted)
            with contextlib.suppress(KeyError, OSError):
                observer.unschedule(self._watch)
            self._watch = None
        self._stale = False
        target, recursive = self.root, True
        if not os.path.isdir(self.root):
            target, recursive = _existing_parent(self.root), False
        try:
            self._watch = observer.schedule(self._handler, target, recursive=recursive)
        except OSError as exc:
            self.error = f"cannot watch {target} for changes: {exc.strerror or exc}"
            logger.warning("%s", self.error)
            self._on_root = False
            return
        self._on_root = recursive
        self.error = None
        if not recursive:
            logger.info("%s does not exist; watching %s until it appears", self.root, target)

    def _event(self, event: FileSystemEvent) -> None:
        debouncer = self._debouncer
        if event.event_type in (EVENT_TYPE_DELETED, EVENT_TYPE_MOVED) and (
            os.fsdecode(event.src_path) == self.root
        ):
            self._stale = True  # even if it is back before the burst ends
        if debouncer is not None and self._relevant(event):
            debouncer.poke()

    def _relevant(self, event: FileSystemEvent) -> bool:
        if event.event_type in _QUIET_EVENTS:
            return False
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return False  # a folder's mtime changing: its files' own events say what happened
        source = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.event_type == EVENT_TYPE_MOVED else ""
        if not self._on_root:
            # only the folder itself (or a parent of it) appearing matters
            return any(p and (p == self.root or is_inside(self.root, p)) for p in (source, dest))
        if dest and self._matters(dest, event.is_directory):
            return True
        if event.event_type in (EVENT_TYPE_MOVED, EVENT_TYPE_DELETED) and (
            not event.is_directory and source.lower().endswith(TORRENT_EXTENSION)
        ):
            # A .torrent leaving needs no work (handled ones were already moved out of the
            # scan), and the source's own move into processed/ shows up as a deletion when
            # processed/ is new: its watch is added after the file has arrived.
            return False
        return self._matters(source, event.is_directory)

    def _matters(self, path: str, is_directory: bool) -> bool:
        if path == self.root:
            return True  # the folder itself deleted or moved away
        if self._handled(path) or os.path.basename(path).startswith("."):
            return False
        return is_directory or kind_of(path) is not None

    def _handled(self, path: str) -> bool:
        return any(
            path == os.path.join(self.root, sub) or is_inside(path, os.path.join(self.root, sub))
            for sub in (PROCESSED, FAILED)
        )

    def _burst(self) -> None:
        self.rearm()
        self._on_burst()


class _Handler(FileSystemEventHandler):
    def __init__(self, callback: Callable[[FileSystemEvent], None]) -> None:
        super().__init__()
        self._callback = callback

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._callback(event)


def _existing_parent(path: str) -> str:
    parent = os.path.dirname(path)
    while parent and not os.path.isdir(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
    return parent or os.sep
