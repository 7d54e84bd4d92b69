"""Settings overrides and ports for a real Core that talks only to 127.0.0.1."""

from __future__ import annotations

import socket

# No DHT, LSD, UPnP or NAT-PMP; a free peer port; the share on loopback; no sync timers.
LOOPBACK = {
    "torrents.dht": "off",
    "torrents.lsd": "off",
    "torrents.upnp": "off",
    "torrents.natpmp": "off",
    "torrents.listen_port": "0",
    "share.bind_address": "127.0.0.1",
    "share.threads": "4",
    "sync.enabled": "off",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
