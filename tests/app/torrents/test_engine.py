"""The session's settings pack and the engine thread's lifecycle."""

from __future__ import annotations

import threading

from app.torrents.engine import Engine, session_settings
from tests.app.torrents.conftest import loopback_torrent_settings


def test_settings_pack_maps_every_option_and_the_stall_fixes():
    settings = loopback_torrent_settings(
        listen_port=7000,
        dht=True,
        upnp=True,
        download_rate_limit_kib=50,
        upload_rate_limit_kib=20,
        connections_limit=99,
        active_limit=3,
    )
    pack = session_settings(settings, "127.0.0.1")
    assert pack["listen_interfaces"] == "127.0.0.1:7000"
    assert pack["enable_dht"] and pack["enable_upnp"] and not pack["enable_lsd"]
    assert pack["download_rate_limit"] == 50 * 1024 and pack["upload_rate_limit"] == 20 * 1024
    assert pack["connections_limit"] == 99 and pack["active_limit"] == 3
    assert pack["close_redundant_connections"] is False and pack["min_reconnect_time"] == 1
    assert pack["enable_outgoing_utp"] is False
    assert session_settings(settings)["listen_interfaces"] == "0.0.0.0:7000,[::]:7000"


def test_engine_runs_ticks_and_stops():
    ticked = threading.Event()
    engine = Engine(
        loopback_torrent_settings(),
        listen_interface="127.0.0.1",
        on_alerts=lambda alerts: None,
        on_tick=ticked.set,
    )
    engine.start()
    try:
        assert engine.listen_port() > 0
        assert ticked.wait(3)
        before = engine.session.get_settings()["max_failcount"]
        engine.refresh_peer_lists()
        assert engine.session.get_settings()["max_failcount"] == before
    finally:
        engine.stop()
    assert engine.session is None and engine.listen_port() == 0
