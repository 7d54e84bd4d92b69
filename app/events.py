"""The one door from worker threads to the UI: Qt signals fed by the core's listener callbacks.

The library calls its listeners on the writer's thread, the torrent service on its engine
thread (or on the thread that called add, remove or pause), the sync scheduler on the asyncio
loop. `CoreEvents.attach(core)` registers one
callback with each; the callbacks only emit signals. Qt delivers a signal emitted on another
thread as a queued call on the receiver's thread, so the window's slots always run on the Qt
thread and nothing from a worker touches a widget or a model. QtCore only (app/ never imports
QtWidgets).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)


class CoreEvents(QObject):
    """Signals the window listens to; emitted from any thread, received on the Qt thread."""

    library_changed = Signal()
    torrent_event = Signal(str, str)  # (event, info_hash): "added", "removed", "finished", ...
    sync_changed = Signal(str)  # source name

    def attach(self, core: Any) -> None:
        """Listen to every part of a started core that has listeners (parts may be missing)."""
        if core.library is not None:
            core.library.add_listener(self._on_library)
        if core.torrents is not None and hasattr(core.torrents, "add_listener"):
            core.torrents.add_listener(self._on_torrent)
        if core.sync is not None and hasattr(core.sync, "add_listener"):
            core.sync.add_listener(self._on_sync)

    # The callbacks run on worker threads: emit and return, never more.

    def _on_library(self, *_args: object) -> None:
        self.library_changed.emit()

    def _on_torrent(self, event: str, info_hash: str) -> None:
        self.torrent_event.emit(str(event), str(info_hash))

    def _on_sync(self, name: object = "", *_args: object) -> None:
        self.sync_changed.emit(str(getattr(name, "name", name) or ""))
