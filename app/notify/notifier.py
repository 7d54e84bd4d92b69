"""Tells media servers which share folders changed: debounced, batched, every target at once.

Runs on the app's asyncio loop. The share's LiveTree (app/share/live.py) hands each new tree
to tree_changed() on the thread that built it, which only queues it for the loop. A change
(re)arms a timer `debounce_seconds` ahead (at most MAX_WAIT after the first change of a
burst, so a steady stream of changes is still reported), so a burst of assignments is one
notification. When the timer fires the tree reported last is compared with the one now
served (changes.py, in a worker thread: 10,000 files take a moment) and the changed
folders go to every target in parallel, each with its own timeout: one failing or slow
target never holds up the others, and deliveries happen one batch after another, in order.
A failed delivery is recorded and logged, not retried: the next change sends its folders.

Each target keeps its last HISTORY_LENGTH deliveries (report(), for /api/notify and the
Settings dialog), each recorded as soon as that target answers; listeners hear of each
delivery to a saved target with the sync reason it is recorded under (app/notify/history.py
puts them in the sync history). Tokens are read from the keyring in a worker thread at each
delivery.
The clock is injectable (app/sync/clock.py) so tests play the debounce without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from app import on_loop
from app.notify.changes import MODIFIED, Change, changed_folders
from app.notify.targets import NotifyFailed, make_target
from app.settings import NotifySettings, NotifyTarget
from app.share.tree import MOVIES, TV_SHOWS, ShareTree
from app.sync.clock import Clock, LoopClock, TimerHandle

logger = logging.getLogger(__name__)

HISTORY_LENGTH = 20
# A burst that never pauses is still reported this long after its first change.
MAX_WAIT = 30.0
# What a test notification sends: both top folders, as changed.
TEST_CHANGES = (Change(f"/{MOVIES}", MODIFIED), Change(f"/{TV_SHOWS}", MODIFIED))


# listener(delivery, reason): a sync REASON (app/sync/state.py), "app" for a change batch.
Listener = Callable[["Delivery", str], None]


class UnknownTarget(LookupError):
    """No notification target has that name."""


@dataclass(frozen=True)
class Delivery:
    """One delivery to one target: when (aware UTC), how long (seconds), why ("change" or
    "test"), how it ended ("ok" or "error"), its summary or error, and the share folders."""

    target: str
    started: datetime
    duration: float
    reason: str
    outcome: str
    summary: str
    error: str | None
    paths: tuple[str, ...]


@dataclass(frozen=True)
class TargetReport:
    target: NotifyTarget
    history: tuple[Delivery, ...]  # newest first


class Notifier:
    """See the module docstring. Build it on the loop it runs on."""

    def __init__(
        self,
        settings: NotifySettings,
        token: Callable[[str], str | None],
        *,
        clock: Clock | None = None,
    ) -> None:
        """`token(name)` reads a target's token (from the keyring: called in a worker)."""
        self._loop = asyncio.get_running_loop()
        self._settings = settings
        self._token = token
        self._clock = clock or LoopClock(self._loop)
        # Media servers are on the LAN: a desktop's proxy settings are for the internet.
        self._client = httpx.AsyncClient(trust_env=False)
        self._baseline: ShareTree | None = None  # the tree the servers were last told of
        self._latest: ShareTree | None = None  # the newest tree, while a timer is armed
        self._first_change: float | None = None
        self._timer: TimerHandle | None = None
        self._order = asyncio.Lock()  # one batch after another
        self._tasks: set[asyncio.Task] = set()
        self._history: dict[str, deque[Delivery]] = {}
        self._history_lock = threading.Lock()  # report() is read from share workers
        self._listeners: list[Listener] = []
        self._closed = False

    # ---- input: share trees (any thread) ------------------------------------------------

    def tree_changed(self, tree: ShareTree) -> None:
        """A LiveTree listener: queue the tree for the loop and return."""
        with contextlib.suppress(RuntimeError):  # a closed loop: the app is stopping
            self._loop.call_soon_threadsafe(self._on_tree, tree)

    def _on_tree(self, tree: ShareTree) -> None:
        if self._closed:
            return
        if self._baseline is None:
            self._baseline = tree  # what the servers already see
            return
        self._latest = tree
        now = self._clock.time()
        if self._first_change is None:
            self._first_change = now
        delay = min(self._settings.debounce_seconds, self._first_change + MAX_WAIT - now)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._clock.call_later(max(0.0, delay), self._due)

    def _due(self) -> None:
        self._timer, self._first_change = None, None
        old, new = self._baseline, self._latest
        if old is None or new is None:
            return
        self._baseline, self._latest = new, None
        self._spawn(self._deliver_changes(old, new))

    async def _deliver_changes(self, old: ShareTree, new: ShareTree) -> None:
        if not self._settings.targets:
            return
        async with self._order:  # the comparison too: batches go out in the trees' order
            changes = await asyncio.to_thread(changed_folders, old, new)
            if changes:
                await self._send_all(self._settings.targets, changes, "change", "app")

    # ---- settings and tests (on the loop) -----------------------------------------------

    def apply_settings(self, settings: NotifySettings) -> None:
        self._settings = settings

    @property
    def targets(self) -> tuple[NotifyTarget, ...]:
        return self._settings.targets

    async def test(self, name: str, reason: str | None = "api") -> Delivery:
        """Send a test notification to a saved target (its token from the keyring). It does
        not queue behind change deliveries: only those must keep their order. Listeners hear
        of it with `reason`; None tells them nothing (the target's sync source runs it, and
        the scheduler records that run itself)."""
        (result,) = await self._send_all([self._spec(name)], TEST_CHANGES, "test", reason)
        return result

    async def test_unsaved(self, spec: NotifyTarget, token: str | None) -> Delivery:
        """Send a test notification to a target as typed (the Settings dialog); unrecorded."""
        return await self._send_one(spec, token, TEST_CHANGES, "test")

    def run_test(self, name: str, reason: str = "api") -> Delivery:
        """test(name) from another thread (a share worker), waiting for its result."""
        spec = self._spec(name)
        return on_loop.run_on_loop(self._loop, self.test(name, reason), spec.timeout + 30)

    def _spec(self, name: str) -> NotifyTarget:
        spec = next((t for t in self._settings.targets if t.name == name), None)
        if spec is None:
            raise UnknownTarget(f"no notification target is named {name!r}")
        return spec

    # ---- results ------------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(delivery, reason)` on the loop after each delivery to a saved
        target (a test to a target as typed is not one)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def report(self) -> list[TargetReport]:
        """Each saved target with its last deliveries, newest first (any thread)."""
        with self._history_lock:
            return [
                TargetReport(spec, tuple(self._history.get(spec.name, ())))
                for spec in self._settings.targets
            ]

    # ---- lifecycle --------------------------------------------------------------------------

    async def settled(self) -> None:
        """Wait for the deliveries under way (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for task in self._tasks:
            task.cancel()
        await self.settled()
        await self._client.aclose()

    # ---- delivery ---------------------------------------------------------------------------

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_all(
        self,
        specs: Sequence[NotifyTarget],
        changes: Sequence[Change],
        reason: str,
        sync_reason: str | None,
    ) -> list[Delivery]:
        names = [spec.name for spec in specs]
        tokens = await asyncio.to_thread(lambda: [self._token(name) for name in names])

        async def send(spec: NotifyTarget, token: str | None) -> Delivery:
            result = await self._send_one(spec, token, changes, reason)
            self._record(result, sync_reason)  # now: a slow target must not hold it back
            return result

        return list(
            await asyncio.gather(
                *(send(spec, token) for spec, token in zip(specs, tokens, strict=True))
            )
        )

    def _record(self, result: Delivery, sync_reason: str | None) -> None:
        with self._history_lock:
            history = self._history.setdefault(result.target, deque(maxlen=HISTORY_LENGTH))
            history.appendleft(result)
        if sync_reason is None:
            return
        for callback in list(self._listeners):
            try:
                callback(result, sync_reason)
            except Exception:  # one listener's bug must not cost the others theirs
                logger.exception("Notify listener %r failed", callback)

    async def _send_one(
        self, spec: NotifyTarget, token: str | None, changes: Sequence[Change], reason: str
    ) -> Delivery:
        started, began = self._clock.now(), time.monotonic()
        summary, error = "", None
        try:
            target = make_target(spec, token, self._client)
            # the target's own timeouts come first; this one ends a target that hangs anyway
            summary = await asyncio.wait_for(target.send(changes), spec.timeout + 5)
        except NotifyFailed as exc:
            error = str(exc)
        except TimeoutError:
            error = f"no answer within {spec.timeout:g} s"
        except Exception as exc:  # a bug in one target must not cost the others theirs
            logger.exception("Notifying %s failed", spec.name)
            error = f"{type(exc).__name__}: {exc}"
        paths = tuple(change.path for change in changes)
        if error is None:
            logger.info("Told %s about %d changed folder(s): %s", spec.name, len(paths), summary)
        else:
            logger.warning("Could not tell %s about changed folders: %s", spec.name, error)
        return Delivery(
            target=spec.name,
            started=started,
            duration=time.monotonic() - began,
            reason=reason,
            outcome="ok" if error is None else "error",
            summary=summary,
            error=error,
            paths=paths,
        )
