"""The libtorrent session and the one engine thread that drains its alerts.

The engine thread waits on `wait_for_alert()`, hands each batch of alerts to one callback (the
service's alerts.AlertRouter, which calls one handler per alert; handlers copy what they need:
alerts die at the next pop) and runs a housekeeping callback about once a second. Never `set_alert_notify` from Python: it deadlocks on the GIL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import libtorrent as lt

from app.settings import TorrentSettings

logger = logging.getLogger(__name__)

KiB = 1024
TICK_SECONDS = 1.0

_ALERTS = (
    lt.alert.category_t.error_notification
    | lt.alert.category_t.status_notification
    | lt.alert.category_t.storage_notification
    | lt.alert.category_t.piece_progress_notification
)


def session_settings(settings: TorrentSettings, listen_interface: str | None = None) -> dict:
    """The settings pack for our session; everything that can change live is in here."""
    interface = listen_interface or "0.0.0.0"
    listen = f"{interface}:{settings.listen_port}"
    if listen_interface is None:
        listen += f",[::]:{settings.listen_port}"
    return {
        "listen_interfaces": listen,
        "enable_dht": settings.dht,
        "enable_lsd": settings.lsd,
        "enable_upnp": settings.upnp,
        "enable_natpmp": settings.natpmp,
        "download_rate_limit": settings.download_rate_limit_kib * KiB,
        "upload_rate_limit": settings.upload_rate_limit_kib * KiB,
        "connections_limit": settings.connections_limit,
        "active_limit": settings.active_limit,
        "active_downloads": settings.active_limit,
        "active_seeds": settings.active_limit,
        "alert_mask": _ALERTS,
        "alert_queue_size": 10000,
        # a torrent whose wanted pieces are all done counts as finished and would drop its
        # seeds; the next read then waits ~60 s for a reconnect
        "close_redundant_connections": False,
        # a pause/resume (idle wake) would otherwise wait 60 s before reconnecting
        "min_reconnect_time": 1,
        # libtorrent stops trying a peer after max_failcount failed connects (3 by default,
        # about 6 s with the reconnect time above), and connect_peer() does not reset it: a
        # seeder down for a few seconds was never reconnected. Retries back off linearly.
        "max_failcount": 20,
        # outgoing uTP costs ~3 s against TCP-only peers before TCP is tried; incoming uTP
        # is still accepted
        "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        # requests queued at each peer: what a seek's piece waits behind (they are served in
        # order). libtorrent queues 3 s of data, capped at 500 blocks (8 MiB: 0.4 s at
        # 20 MiB/s); 128 blocks (2 MiB) is 0.1 s there and still fills a 20 MiB/s peer at
        # 100 ms round trips. A peer that advertises its own queue length ("reqq": libtorrent
        # 500, Transmission 512; aria2 none) gets that instead: libtorrent adopts it.
        "max_out_request_queue": 128,
        # libtorrent's "whole pieces" mode picks up to 8 MiB of contiguous pieces at a time for
        # a peer that could send a piece within this many seconds, whatever their priority, and
        # queues them before anything picked later: a seek's piece waited behind ~600 blocks of
        # background (0.4 s at 20 MiB/s; test_request_order). Off: blocks by priority only.
        "whole_pieces_threshold": 0,
        # until a torrent has this many pieces, libtorrent finishes started pieces before
        # anything else, whatever their priority: right after an assign, the first read and
        # the player's probe of the file's end waited behind random background pieces
        "initial_picker_threshold": 0,
        "user_agent": "Reelbox",
        # tick_interval stays at libtorrent's 500 ms: with no piece deadlines (see pieces.py)
        # requests go out whenever a peer has room in its queue, not on the tick
    }


class Engine:
    def __init__(
        self,
        settings: TorrentSettings,
        *,
        listen_interface: str | None,
        on_alerts: Callable[[list], None],
        on_tick: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._listen_interface = listen_interface
        self._on_alerts = on_alerts
        self._on_tick = on_tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh_lock = threading.Lock()
        self.session: lt.session | None = None

    def start(self) -> None:
        self.session = lt.session(session_settings(self._settings, self._listen_interface))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="torrent-engine", daemon=True)
        self._thread.start()

    def apply(self, settings: TorrentSettings) -> None:
        self._settings = settings
        if self.session is not None:
            self.session.apply_settings(session_settings(settings, self._listen_interface))

    def listen_port(self) -> int:
        return self.session.listen_port() if self.session else 0

    def refresh_peer_lists(self) -> None:
        """Make every torrent recount its connect candidates.

        libtorrent 2.1 counts a torrent's connectable peers without the seeds while it is
        finished and does not recount when new wanted pieces make it download again: after a
        pause, a recheck or lost connections it then never reconnects to its seeds. Changing
        max_failcount makes each peer list recount (measured; see test_reader and test_idle).
        """
        with self._refresh_lock:
            if self.session is None:
                return
            current = self.session.get_settings()["max_failcount"]
            self.session.apply_settings({"max_failcount": current + 1})
            self.session.apply_settings({"max_failcount": current})

    def in_engine_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def stop(self) -> None:
        """Join the engine thread, then tear the session down (closes every connection)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                logger.error("Torrent engine thread did not stop within 30 s")
            self._thread = None
        if self.session is not None:
            self.session.pause()
            self.session = None

    def _run(self) -> None:
        next_tick = time.monotonic() + TICK_SECONDS
        while not self._stop.is_set():
            session = self.session
            if session is None:
                break
            session.wait_for_alert(200)
            alerts = session.pop_alerts()
            if alerts:
                self._on_alerts(alerts)  # the router handles (and logs) each alert's failure
            if time.monotonic() >= next_tick:
                try:
                    self._on_tick()
                except Exception:
                    logger.exception("Torrent housekeeping failed")
                next_tick = time.monotonic() + TICK_SECONDS
