"""The poster cache: TMDB images on disk, one file per (size, path), fetched once.

Files live at `<folder>/<size>/<name>` (e.g. `posters/w342/abc123.jpg`); TMDB never changes
the picture behind a path, so a file on disk never needs refreshing. `cached()` only looks at
the disk and is safe on the Qt thread; `fetch()` downloads what is missing, lets concurrent
callers for the same poster share one download, and writes through a temporary file and a
rename in a worker thread, so a reader never sees half a picture and the loop never waits
on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from pathlib import Path

from app.metadata.tmdb import TmdbAuthError, TmdbClient, check_image_ref

logger = logging.getLogger(__name__)


class PosterCache:
    def __init__(self, folder: Path, client: TmdbClient | None) -> None:
        self.folder = Path(folder)
        self.client = client
        self._downloads: dict[tuple[str, str], asyncio.Task[Path]] = {}

    def path_for(self, poster_path: str, size: str = "w342") -> Path:
        """Where a poster lives (or will live) on disk; raises ValueError for a bad path."""
        check_image_ref(poster_path, size)
        return self.folder / size / poster_path.lstrip("/")

    def cached(self, poster_path: str, size: str = "w342") -> Path | None:
        target = self.path_for(poster_path, size)
        return target if target.is_file() else None

    async def fetch(self, poster_path: str, size: str = "w342") -> Path:
        """The poster's file, downloading it first if needed; raises TmdbError on failure."""
        found = self.cached(poster_path, size)
        if found is not None:
            return found
        key = (size, poster_path)
        task = self._downloads.get(key)
        if task is None:
            task = asyncio.ensure_future(self._download(poster_path, size))
            self._downloads[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # One caller giving up (a scrolled-away grid cell) must not cancel the others' download.
        return await asyncio.shield(task)

    def _finished(self, key: tuple[str, str], task: asyncio.Task[Path]) -> None:
        self._downloads.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Read here so a download whose callers all left does not warn "never retrieved".
            logger.debug("Poster %s%s not fetched: %s", key[0], key[1], task.exception())

    async def _download(self, poster_path: str, size: str) -> Path:
        if self.client is None:
            raise TmdbAuthError("no TMDB API key is set, so posters cannot be downloaded")
        data = await self.client.download_image(poster_path, size)
        target = self.path_for(poster_path, size)
        await asyncio.to_thread(_write_atomically, target, data)
        logger.debug("Poster %s%s cached (%d bytes)", size, poster_path, len(data))
        return target


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
