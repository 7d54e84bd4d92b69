"""Unmatched debrid files whose movie or show the library lacks, added as new items.

With the setting debrid.add_unmatched, a file whose name gives a title no library item has
brings its movie or show in: TMDB's first search answer for the title and year when a key is
set (with the show's seasons and episodes), else the title and year by hand (a show with the
episodes its files name). The next match of the files then assigns them. A TMDB that fails
adds nothing for that title this time (the next run tries again), so no bare duplicate of a
TMDB item appears. Runs on the app's loop; library writes go to a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from app.add import from_release
from app.library.errors import DuplicateItem
from app.metadata.tmdb import TmdbError
from app.sync.folder_match import Release, fold

logger = logging.getLogger(__name__)


async def add_missing(library, releases: Iterable[Release], tmdb) -> list[str]:
    """Add one item per missing title; returns what was added ("Heat (1995)")."""
    wanted: dict[tuple[str, str, int | None], list[Release]] = {}
    for release in releases:
        wanted.setdefault((release.kind, fold(release.title), release.year), []).append(release)
    added = []
    for (kind, _, _), group in wanted.items():
        try:
            first = group[0]
            item = await from_release(
                tmdb,
                kind,
                first.title,
                first.year,
                [(r.season, r.episodes) for r in group if r.season is not None],
            )
        except TmdbError as exc:
            logger.warning("Debrid: TMDB cannot describe %s now: %s", group[0].describe(), exc)
            continue
        try:
            await asyncio.to_thread(item.add_to, library)
        except DuplicateItem:
            continue  # TMDB named an item the library has under another title
        added.append(f"{item.title} ({item.year})" if item.year else item.title)
    if added:
        logger.info("Debrid: added %s to the library", ", ".join(added))
    return added
