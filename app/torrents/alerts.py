"""The one door from libtorrent's alerts to the code that handles them.

Handlers are registered by alert type (TorrentService registers its own, as Deluge's alert
manager lets each component do), so the engine thread knows nothing of what they do. Each alert
is handled on its own: a handler that raises is logged and the rest of the batch still runs
(a lost read_piece_alert would leave a player waiting until its read timeout).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from app.torrents.sources import hash_of

logger = logging.getLogger(__name__)

Handler = Callable[[object], None]


class AlertRouter:
    def __init__(self) -> None:
        self._handlers: defaultdict[type, list[Handler]] = defaultdict(list)

    def register(self, alert_type: type, handler: Handler) -> None:
        self._handlers[alert_type].append(handler)

    def dispatch(self, alerts: list) -> None:
        """Handle a batch from pop_alerts() on the engine thread (alerts die at the next pop:
        handlers copy what they keep)."""
        for alert in alerts:
            for handler in self._handlers.get(type(alert), ()):
                try:
                    handler(alert)
                except Exception:
                    logger.exception("Handling %s failed", type(alert).__name__)


def info_hash_of(alert) -> str | None:
    """The info hash a torrent alert is about; None if its torrent is gone."""
    hashes = getattr(alert, "info_hashes", None)
    if hashes is None:
        try:
            hashes = alert.handle.info_hashes()
        except RuntimeError:
            return None
    return hash_of(hashes)
