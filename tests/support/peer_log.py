"""libtorrent's peer log of a running TorrentService, for tests that check the wire."""

from __future__ import annotations

import libtorrent as lt

from app.torrents import engine
from app.torrents.service import TorrentService


def record_peer_log(service: TorrentService) -> list[str]:
    """libtorrent's peer log of the service's session, as messages (e.g. '==> INTERESTED')."""
    messages: list[str] = []
    service.engine.session.apply_settings(
        {"alert_mask": engine._ALERTS | lt.alert.category_t.peer_log_notification}
    )
    handle_alerts = service.engine._on_alerts  # the engine's one alert callback, wrapped

    def on_alerts(alerts: list) -> None:
        messages.extend(a.message() for a in alerts if isinstance(a, lt.peer_log_alert))
        handle_alerts(alerts)

    service.engine._on_alerts = on_alerts
    return messages
