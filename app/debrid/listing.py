"""The account's torrent list, kept current with as few requests as possible.

check() is the cheap change detection: the first page of one torrent (its X-Total-Count
and id) and the active count, two requests; when all three equal the last state, nothing
changed. fetch() gets the whole list: page 1 fresh, then, when the rest still lines up with
the cached list (the same ids at the same distance from the end, nothing past page 1 still
downloading, and the check's active count equal to the active torrents the spliced list
holds: a torrent past page 1 that started downloading again changes only that count), the
cached rest spliced on; otherwise the other pages in parallel, `parallel` at a time. A page that comes back empty though the total says it should hold
torrents is fetched again (the service sometimes answers [] under load).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from app.debrid.base import ACTIVE, TRANSITIONAL, DebridAccount, DebridError, Probe, RemoteTorrent

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
PARALLEL = 4
EMPTY_RETRIES = 3


@dataclass(frozen=True)
class Fetched:
    torrents: list[RemoteTorrent]
    pages: int  # pages requested, refetches included
    spliced: bool


class Listing:
    """Change checks and full fetches of one account's list (on the app's loop)."""

    def __init__(
        self,
        account: DebridAccount,
        *,
        page_size: int = PAGE_SIZE,
        parallel: int = PARALLEL,
        empty_retries: int = EMPTY_RETRIES,
    ) -> None:
        self.account = account
        self.page_size = page_size
        self.parallel = parallel
        self.empty_retries = empty_retries
        self.known: Probe | None = None  # the state the library reflects

    async def check(self) -> Probe | None:
        """The new state when the list changed since `known`, else None (two requests)."""
        probe = await self.account.probe()
        return None if probe == self.known else probe

    async def fetch(self, cached: list[RemoteTorrent], active: int | None = None) -> Fetched:
        """The whole list, newest first; `cached` is the list as last fetched, `active` the
        active count the last check saw (None: not known)."""
        size = self.page_size
        first, total, requests = await self._page(1, 0)
        if total <= len(first):
            return Fetched(first, requests, False)
        rest = _splice(first, total, cached, active)
        if rest is not None:
            return Fetched(first + rest, requests, True)
        pages = math.ceil(total / size)
        limit = asyncio.Semaphore(self.parallel)

        async def one(page: int) -> tuple[list[RemoteTorrent], int, int]:
            async with limit:
                return await self._page(page, total)

        results = await asyncio.gather(*(one(page) for page in range(2, pages + 1)))
        torrents, seen = list(first), {t.id for t in first}
        for items, _, count in results:
            requests += count
            for torrent in items:  # the list may shift between pages: keep each once
                if torrent.id not in seen:
                    seen.add(torrent.id)
                    torrents.append(torrent)
        return Fetched(torrents, requests, False)

    async def _page(self, page: int, total: int) -> tuple[list[RemoteTorrent], int, int]:
        """(items, the total the answer gave, requests sent) for one page; fetched again
        while it is empty though `total` (or its own total) says it holds torrents."""
        for attempt in range(1, self.empty_retries + 2):
            items, reported = await self.account.torrents_page(page, self.page_size)
            expected = max(total, reported)
            if items or expected <= (page - 1) * self.page_size:
                return items, reported, attempt
            logger.info("Debrid page %d came back empty (of %d torrents); again", page, expected)
        raise DebridError(
            f"page {page} of the torrent list stayed empty though the account has "
            f"{expected} torrents; try again later"
        )


def _splice(
    first: list[RemoteTorrent], total: int, cached: list[RemoteTorrent], active: int | None
) -> list[RemoteTorrent] | None:
    """The cached torrents after page 1 when they still line up, else None."""
    if not first or not cached:
        return None
    # page 1's last torrent must sit at the same distance from the end as in the cache
    at = len(cached) - (total - len(first)) - 1
    if at < 0 or at >= len(cached) or cached[at].id != first[-1].id:
        return None
    rest = cached[at + 1 :]
    if any(t.status in TRANSITIONAL for t in rest):
        return None  # still changing: the cached status may be stale
    if active is not None and active != sum(t.status in ACTIVE for t in first):
        return None  # a torrent past page 1 changed its status
    return rest
