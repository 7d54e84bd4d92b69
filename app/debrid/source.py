"""The debrid account as a sync source (named "debrid"), with its own fast change check.

A run (timer, Refresh, the API, or a change the check saw) probes the account (two
requests, listing.check) and stops there when nothing changed (files still unmatched are
matched again from the saved list: the library may have gained their items). Otherwise it fetches the
list (listing.fetch: splice or pages), asks /torrents/info only for downloaded torrents that
are new or changed since their files were fetched (at most `parallel` at once), then applies
the whole to the library on a worker thread in one transaction (library_sync.py). Anything
failing before that changes nothing; the run fails with the reason (the sync history shows
it). A torrent list and its files survive a restart (store.py).

With add_unmatched (setting debrid.add_unmatched), files naming a movie or show the library
lacks bring it in (new_items.py, TMDB when a key is set) and are matched again.

In `watch` mode the source checks every `check_seconds` (15 s by default, setting
debrid.check_seconds) on the app's loop and asks the scheduler for a run only when the
check saw a change; the run reuses that check's answer. After a failed run or check the
checks pause for a doubling while (from check_seconds up to 15 minutes), so a failing
account (an expired token, the service down) is not asked again every few seconds; while
syncing is paused they do not run at all. Everything but the library work runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.debrid import library_sync, new_items, store
from app.debrid.base import Account, DebridAccount, DebridError, Probe
from app.debrid.library_sync import LibrarySync, Report
from app.debrid.listing import PAGE_SIZE, PARALLEL, Listing
from app.debrid.pacing import backoff
from app.debrid.store import Cached
from app.library.models import utc_now
from app.sync.slot import SyncError

logger = logging.getLogger(__name__)

NAME = "debrid"
CHECK_SECONDS = 15.0
QUIET_CAP = 15 * 60.0  # the longest a failing account goes unchecked


class DebridSource:
    """The scheduler's source for one debrid account; see the module docstring."""

    name = NAME

    def __init__(
        self,
        library,
        account: DebridAccount,
        *,
        service: str = "Real-Debrid",
        check_seconds: float = CHECK_SECONDS,
        on_change: Callable[[], None] | None = None,
        page_size: int = PAGE_SIZE,
        parallel: int = PARALLEL,
        add_unmatched: bool = False,
        tmdb: Callable[[], Any] = lambda: None,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self.library = library
        self.account = account
        self.service = service
        self.check_seconds = check_seconds
        self.listing = Listing(account, page_size=page_size, parallel=parallel)
        self._parallel = parallel
        self.add_unmatched = add_unmatched  # add the movies and shows the library lacks
        self._tmdb = tmdb  # the app's TMDB client now, or None
        self._on_change = on_change
        self._paused = paused  # the scheduler's pause: no checks either
        self._apply = LibrarySync(library)
        self._cached: list[Cached] | None = None
        self._hint: Probe | None = None  # a change the watcher saw, for the run it asked for
        self._running = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._user: Account | None = None
        self._report = Report()
        self._last_check: datetime | None = None
        self._last_change: datetime | None = None
        self._check_error: str | None = None
        self._failures = 0  # failed runs and checks in a row
        self._quiet_until = 0.0  # the checks wait until then (loop time) after a failure
        self.info_requests = 0  # /torrents/info asked (tests and the bench count them)

    # ---- the scheduler's interface ------------------------------------------------------------

    async def sync(self) -> str:
        async with self._running:
            try:
                summary = await self._sync()
            except Exception as exc:
                # the checks would ask for the same failing run every few seconds: they
                # wait longer after each failure (the scheduler's backoff spares only timers)
                self._failed()
                if isinstance(exc, DebridError):
                    raise SyncError(f"{self.service}: {exc}") from None
                raise
            self._succeeded()
            return summary

    def detail(self) -> dict[str, Any]:
        user = self._user
        return {
            "kind": NAME,
            "service": self.service,
            "account": None
            if user is None
            else {
                "username": user.username,
                "premium_until": user.expiration,
                "premium_seconds": user.premium_seconds,
            },
            "check_seconds": self.check_seconds,
            "last_check": _when(self._last_check),
            "last_change": _when(self._last_change),
            "check_error": self._check_error,
            "torrents": len(self._cached or ()),
            "unmatched": [u.as_dict() for u in self._report.unmatched],
            "failing": [f.as_dict() for f in self._report.failing],
        }

    def start_watching(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(
                self._watch(), name="debrid check"
            )

    def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()

    def account_changed(self) -> None:
        """A new token or login (perhaps another account): its user is read again."""
        self._user = None
        self._check_error = None

    @property
    def runs(self) -> asyncio.Lock:
        """Held through each run: whoever adds to the saved list holds it too (assign.py)."""
        return self._running

    async def assign(self, info_hash: str, file_id: int, item_type: str, item_id: int):
        """Assign… for an unmatched file: it becomes the item's source; returns the row."""
        row = await asyncio.to_thread(
            library_sync.assign_file, self.library, info_hash, file_id, item_type, item_id
        )
        self._report.unmatched = [
            u for u in self._report.unmatched if (u.info_hash, u.file_id) != (info_hash, file_id)
        ]
        return row

    # ---- the fast check ---------------------------------------------------------------------

    async def check(self) -> bool:
        """One change check (two requests); True when it asked for a run."""
        if self._running.locked():
            return False  # the run probes itself
        if self._paused() or asyncio.get_running_loop().time() < self._quiet_until:
            return False  # paused, or after a failure
        try:
            probe = await self.listing.check()
        except DebridError as exc:
            if self._check_error != str(exc):
                logger.warning("%s check failed: %s", self.service, exc)
            self._check_error = str(exc)
            self._failed()
            return False
        self._check_error = None
        self._succeeded()
        self._last_check = utc_now()
        if probe is None:
            return False
        self._hint = probe
        if self._on_change is not None:
            self._on_change()
        return True

    def _failed(self) -> None:
        self._failures += 1
        wait = backoff(self._failures, base=self.check_seconds, cap=QUIET_CAP)
        self._quiet_until = asyncio.get_running_loop().time() + wait

    def _succeeded(self) -> None:
        self._failures = 0
        self._quiet_until = 0.0

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check()
            except Exception:  # a bug must not end the checks for the rest of the run
                logger.exception("%s check failed", self.service)

    # ---- one run ----------------------------------------------------------------------------

    async def _sync(self) -> str:
        if self._cached is None:
            self._cached = await asyncio.to_thread(store.load)
        if self._user is None:
            self._user = await self.account.user()
        probe, self._hint = self._hint, None
        if probe is None:
            probe = await self.account.probe()
            self._last_check = utc_now()
        if probe == self.listing.known:
            if self._report.unmatched:  # the library may have gained their items since
                report = await asyncio.to_thread(self._apply.apply, self._cached, self._cached)
                self._report = await self._add_missing(report, self._cached)
            return f"no change ({self._report.summary()})"
        old = self._cached
        fetched = await self.listing.fetch([c.torrent for c in old], probe.active)
        by_id = {c.torrent.id: c for c in old}
        wanted = [
            t
            for t in fetched.torrents
            if t.status == "downloaded"
            and not (
                (known := by_id.get(t.id)) is not None
                and known.files is not None
                and known.files_for == t.fingerprint()
            )
        ]
        files = await self._files(wanted)
        new = []
        for torrent in fetched.torrents:
            if torrent.id in files:
                new.append(Cached(torrent, files[torrent.id], torrent.fingerprint()))
            elif (known := by_id.get(torrent.id)) is not None:
                new.append(Cached(torrent, known.files, known.files_for))
            else:
                new.append(Cached(torrent))
        report = await asyncio.to_thread(self._apply.apply, old, new)
        report = await self._add_missing(report, new)
        self._cached, self._report = new, report
        self.listing.known = probe
        self._last_change = utc_now()
        how = "spliced" if fetched.spliced else f"{fetched.pages} pages"
        return f"{report.summary()} [{how}, {len(wanted)} info]"

    async def _add_missing(self, report: Report, listed: list[Cached]) -> Report:
        """With add_unmatched: the missing movies and shows added, then matched again."""
        missing = [u.missing for u in report.unmatched if u.missing is not None]
        if not self.add_unmatched or not missing:
            return report
        added = await new_items.add_missing(self.library, missing, self._tmdb())
        if not added:
            return report
        again = await asyncio.to_thread(self._apply.apply, listed, listed)
        again.torrents, again.new, again.gone = report.torrents, report.new, report.gone
        again.assigned += report.assigned
        again.removed += report.removed
        return again

    async def _files(self, torrents: list) -> dict[str, tuple]:
        limit = asyncio.Semaphore(self._parallel)

        async def one(torrent):
            async with limit:
                self.info_requests += 1
                return torrent.id, (await self.account.info(torrent.id)).files

        return dict(await asyncio.gather(*(one(t) for t in torrents)))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
