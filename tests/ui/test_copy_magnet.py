"""Copy magnet on the Torrents page gives a link another client can join the swarm with: the
torrent's hash, name and every tracker it has, and none of the x.pe peers it was added with
(those are where this machine found the swarm, not part of the torrent)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from PySide6.QtGui import QGuiApplication

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until

FILES = {"Heat.1995.720p/Heat.1995.720p.mkv": 1 * MiB}
# loopback trackers nobody answers: the link must carry them all the same
TRACKERS = ["http://127.0.0.1:9/announce", "udp://127.0.0.1:9/announce"]


def test_copy_magnet_carries_the_trackers_and_no_peers(qapp, make_core, tmp_path):
    with Seeder(tmp_path / "seed", FILES, piece_length=256 * KiB) as seeder:
        added = seeder.magnet + "".join(f"&tr={tracker}" for tracker in TRACKERS)

        async def scenario(reelbox):
            core = reelbox.core
            await asyncio.to_thread(core.torrents.add, added)
            reelbox.window.show_page("torrents")
            page = reelbox.torrents_page
            await until(lambda: page.select(seeder.info_hash), what="the torrent row")
            await until(lambda: core.torrents.status(seeder.info_hash).peers, what="the peer")
            QGuiApplication.clipboard().clear()
            page.copy_magnet.trigger()
            return await until(lambda: QGuiApplication.clipboard().text(), what="the magnet")

        code, magnet = run_app(qapp, make_core(), scenario)
        assert code == 0
        scheme, _, query = magnet.partition("?")
        fields = parse_qs(query)
        assert scheme == "magnet:"
        assert fields["xt"] == [f"urn:btih:{seeder.info_hash}"]
        assert fields["dn"] == [seeder.name]
        assert sorted(fields["tr"]) == TRACKERS
        assert "x.pe" not in fields and seeder.endpoint not in magnet
