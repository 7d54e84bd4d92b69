"""Live torrent status for every view: one poll a second, shared, off the Qt thread.

TorrentService.list() takes the engine's lock, so it runs in a worker thread; the result is
a dict of frozen TorrentStatus snapshots that the library views, the torrents table and the
status bar read on the Qt thread. Torrent events (added, removed, finished...) trigger an
extra poll so a change shows at once instead of up to a second later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.tasks import spawn

logger = logging.getLogger(__name__)

POLL_MS = 1000


class StatusBoard(QObject):
    updated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core: Any = None
        self.statuses: dict[str, Any] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._polling = False

    def start(self, core: Any) -> None:
        self.core = core
        self._timer.start()
        self.poll()

    def stop(self) -> None:
        self._timer.stop()
        self.core = None

    def get(self, info_hash: str | None) -> Any:
        return self.statuses.get(info_hash) if info_hash else None

    def poll(self) -> None:
        if self._polling or self.core is None or self.core.torrents is None:
            return
        self._polling = True
        spawn(self._poll(self.core.torrents), "status poll")

    async def _poll(self, torrents: Any) -> None:
        try:
            statuses = await asyncio.to_thread(torrents.list)
        except Exception as exc:  # a stopping engine: keep the last picture
            logger.debug("Torrent status poll failed: %s", exc)
            return
        finally:
            self._polling = False
        if self.core is None:
            return
        self.statuses = {status.info_hash: status for status in statuses}
        self.updated.emit()
