"""Posters for the views: loaded off the Qt thread, kept in a bounded in-memory cache.

`pixmap(poster_path)` answers at once with a cached pixmap or None (the delegate then draws a
placeholder) and starts loading in the background: from the PosterCache on disk, downloading
through TMDB when it is not there. When a poster is ready `poster_ready` names it, and the
models repaint the rows that show it. A poster that cannot be had is remembered as missing so
scrolling does not retry it on every paint.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from ui.tasks import spawn

logger = logging.getLogger(__name__)

POSTER_SIZE = QSize(120, 180)
MAX_CACHED = 600
CONCURRENT_LOADS = 4


def _read_scaled(path: Path, size: QSize) -> QImage:
    # QImage (unlike QPixmap) may be created on any thread.
    image = QImage(str(path))
    if image.isNull():
        raise ValueError(f"{path} is not an image")
    return image.scaled(
        size,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )


def _loop_running() -> bool:
    # Loads run on the app's loop; before it runs (building the window) the paint just
    # shows the placeholder and asks again on the next paint.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class PosterProvider(QObject):
    poster_ready = Signal(str)

    def __init__(self, parent: QObject | None = None, size: QSize = POSTER_SIZE) -> None:
        super().__init__(parent)
        self.size = size
        self.cache: Any = None  # app.metadata.posters.PosterCache once the core started
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._missing: set[str] = set()
        self._slots = asyncio.Semaphore(CONCURRENT_LOADS)

    def set_cache(self, cache: Any) -> None:
        self.cache = cache
        self._missing.clear()

    def pixmap(self, poster_path: str | None) -> QPixmap | None:
        if not poster_path:
            return None
        found = self._pixmaps.get(poster_path)
        if found is not None:
            self._pixmaps.move_to_end(poster_path)
            return found
        if (
            self.cache is not None
            and poster_path not in self._pending
            and poster_path not in self._missing
            and _loop_running()
        ):
            self._pending.add(poster_path)
            spawn(self._load(poster_path), "poster")
        return None

    async def _load(self, poster_path: str) -> None:
        try:
            async with self._slots:
                file = self.cache.cached(poster_path)
                if file is None:
                    file = await self.cache.fetch(poster_path)
                image = await asyncio.to_thread(_read_scaled, file, self.size)
        except Exception as exc:  # no key, offline, a bad file: the placeholder stays
            logger.debug("Poster %s unavailable: %s", poster_path, exc)
            self._missing.add(poster_path)
            return
        finally:
            self._pending.discard(poster_path)
        self._pixmaps[poster_path] = QPixmap.fromImage(image)
        while len(self._pixmaps) > MAX_CACHED:
            self._pixmaps.popitem(last=False)
        self.poster_ready.emit(poster_path)
