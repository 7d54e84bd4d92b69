"""The share's artwork: TMDB posters and backdrops served from the poster cache.

A picture is listed only once its file is in the cache, so a PROPFIND size is always what a
GET sends: cache files never change (TMDB never changes the image behind a path, and
PosterCache writes through a rename). A picture not cached yet is left out of the tree and
asked for from `download` (the app's PosterCache, see Core) on a background thread; when
downloads arrive, the listener (the live tree's changed()) makes the next tree show them. A
tree build therefore never waits for TMDB, and a download that fails (offline, no API key)
only leaves the picture out; it is tried again after RETRY_AFTER, at a later build.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.metadata.posters import PosterCache

logger = logging.getLogger(__name__)

POSTER_SIZE = "w780"  # TMDB's largest poster width below "original"
BACKDROP_SIZE = "w1280"
RETRY_AFTER = 15 * 60.0  # seconds before a failed download is tried again

Download = Callable[[str, str], object]  # (image path, size): blocks until cached, or raises


class Artwork:
    """Finds cached pictures for the tree (any thread) and fetches the missing ones."""

    def __init__(self, folder: Path, download: Download | None = None) -> None:
        self._cache = PosterCache(folder, None)  # for its file layout only
        self._lock = threading.Lock()
        self._download = download
        self._listener: Callable[[], None] | None = None
        self._found: dict[tuple[str, str], tuple[str, int]] = {}
        self._wanted: dict[tuple[str, str], None] = {}  # ordered set, oldest first
        self._failed: dict[tuple[str, str], float] = {}  # monotonic time of the failure
        self._worker: threading.Thread | None = None

    def set_download(self, download: Download | None) -> None:
        """Downloads become possible (the app's poster cache exists) or stop."""
        with self._lock:
            self._download = download
            self._start_worker()

    def set_listener(self, listener: Callable[[], None] | None) -> None:
        """Called (on the download thread) after new pictures arrived."""
        with self._lock:
            self._listener = listener

    def file(self, image_path: str | None, size: str) -> tuple[str, int] | None:
        """The cached file of a TMDB image and its size, or None (and it is asked for)."""
        if not image_path:
            return None
        key = (size, image_path)
        found = self._found.get(key)
        if found is not None:
            return found
        try:
            target = self._cache.path_for(image_path, size)
            found = (str(target), target.stat().st_size)
        except ValueError:  # not a TMDB image path: nothing to fetch either
            logger.debug("Ignoring image path %r", image_path)
            return None
        except OSError:
            self._want(key)
            return None
        self._found[key] = found  # a cached picture never changes
        return found

    def _want(self, key: tuple[str, str]) -> None:
        with self._lock:
            failed = self._failed.get(key)
            if failed is not None and time.monotonic() - failed < RETRY_AFTER:
                return
            self._failed.pop(key, None)
            self._wanted[key] = None
            self._start_worker()

    def _start_worker(self) -> None:
        # under the lock; one short-lived thread at a time, gone when nothing is wanted
        if self._worker is None and self._wanted and self._download is not None:
            self._worker = threading.Thread(target=self._run, name="share-artwork", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        arrived = False
        while True:
            with self._lock:
                if not self._wanted or self._download is None:
                    self._worker = None
                    listener = self._listener if arrived else None
                    break
                key = next(iter(self._wanted))
                del self._wanted[key]
                download = self._download
            size, image_path = key
            try:
                download(image_path, size)
                arrived = True
            except Exception as exc:  # offline, no key, a 404: the picture stays out
                logger.info("Artwork %s%s not downloaded: %s", size, image_path, exc)
                with self._lock:
                    self._failed[key] = time.monotonic()
        if listener is not None:
            listener()
