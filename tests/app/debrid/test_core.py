"""The debrid account wired into a real Core: token, sync source, /api/sync and the share."""

from __future__ import annotations

import asyncio

import httpx

from app.core import Core
from app.debrid import realdebrid as client_module
from tests.support import realdebrid
from tests.support.core import make_core, run
from tests.support.swarm import wait_until

PATH = "Movies/Heat (1995)/Heat (1995).mkv"


def test_a_token_adds_the_source_which_syncs_lists_and_serves(paths, rd, monkeypatch):
    monkeypatch.setattr(client_module, "API_URL", rd.api_url)
    monkeypatch.setattr(client_module, "OAUTH_URL", rd.oauth_url)
    torrent = rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", 300_000)])
    core = make_core(paths)

    async def scenario(core: Core) -> None:
        assert core.sync.names() == ["tmdb"]  # no token, no debrid source
        core.library.add_movie("Heat", 1995)
        await asyncio.to_thread(core.set_debrid_token, realdebrid.TOKEN)
        assert "debrid" in core.sync.names()
        base = core.share.urls()[0]
        token = {"Authorization": f"Bearer {core.api_token()}"}
        async with httpx.AsyncClient(timeout=30, headers=token) as client:
            ran = (await client.post(base + "api/sync/debrid/run")).json()
            assert ran["run"]["outcome"] == "ok", ran
            listed = (await client.get(base + "api/sync")).json()["sources"]
            debrid = next(s for s in listed if s["name"] == "debrid")
            assert (debrid["kind"], debrid["mode"]) == ("debrid", "watch")
            assert debrid["detail"]["account"]["username"] == "loopback"
            assert debrid["detail"]["torrents"] == 1
        tree = core.share.live_tree
        assert await asyncio.to_thread(wait_until, lambda: tree.current.lookup("/" + PATH), 10)
        auth = (core.settings.share.username, await asyncio.to_thread(core.share_password))
        async with httpx.AsyncClient(timeout=30, auth=auth) as client:
            got = await client.get(base + PATH, headers={"Range": "bytes=10-29"})
        assert got.status_code == 206
        assert got.content == realdebrid.content_of(realdebrid.file_key(torrent, 1), 10, 20)

    run(core, scenario)
