"""The composition root with its real parts: library file, libtorrent session, share on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from app.core import Core
from app.metadata.tmdb import TmdbClient
from app.settings import SettingsError
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb

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


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def make_core(paths, port: int) -> Core:
    return Core(paths, {**LOOPBACK, "share.port": str(port)}, listen_interface="127.0.0.1")


def run(core: Core, scenario) -> None:
    """Start the core as the headless runner does, run scenario(core), stop cleanly."""

    async def main() -> None:
        await asyncio.to_thread(core.start)
        await core.start_async()
        try:
            await scenario(core)
        finally:
            await core.stop_async()
            await asyncio.to_thread(core.stop)

    asyncio.run(main())


def test_share_uses_the_keyring_password_and_api_token(paths):
    core = make_core(paths, free_port())

    async def scenario(core: Core) -> None:
        core.library.add_movie("Heat", 1995)
        base = core.share.urls()[0]
        get = httpx.AsyncClient(timeout=10)
        async with get:
            assert (await get.get(base + "api/movies")).status_code == 401
            wrong = await get.get(base + "api/movies", auth=("reelbox", "not-it"))
            assert wrong.status_code == 401
            token = {"Authorization": f"Bearer {core.api_token()}"}
            movies = (await get.get(base + "api/movies", headers=token)).json()["movies"]
            assert [m["title"] for m in movies] == ["Heat"]
            listing = await get.request(
                "PROPFIND",
                base + "Movies/",
                headers={"Depth": "1"},
                auth=(core.settings.share.username, core.share_password()),
            )
            assert listing.status_code == 207

    run(core, scenario)
    for secret in (core.share_password(), core.api_token()):
        assert secret.encode() not in paths.database_file.read_bytes()


def test_api_adds_movies_and_shows_through_the_apps_tmdb_client(paths):
    core = make_core(paths, free_port())
    fake = FakeTmdb()

    async def scenario(core: Core) -> None:
        base = core.share.urls()[0]
        token = {"Authorization": f"Bearer {core.api_token()}"}
        async with httpx.AsyncClient(timeout=10, headers=token) as client:
            # No key yet: the API says so instead of failing.
            missing = await client.post(base + "api/movies", json={"tmdb_id": 603})
            assert missing.status_code == 422 and "TMDB" in missing.json()["error"]
            # The handler runs on a share worker; the look-up runs on this loop's client.
            core.tmdb = TmdbClient(API_KEY, transport=fake.transport())
            movie = await client.post(base + "api/movies", json={"tmdb_id": 603})
            assert movie.status_code == 201, movie.text
            assert (movie.json()["title"], movie.json()["year"]) == ("The Matrix", 1999)
            show = await client.post(base + "api/shows", json={"tmdb_id": 1396})
            assert show.status_code == 201, show.text
            assert show.json()["title"] == "Breaking Bad"
            unknown = await client.post(base + "api/movies", json={"tmdb_id": 999999})
            assert unknown.status_code == 404
        assert fake.hits("/3/movie/603") == 1
        assert [m.title for m in core.library.list_movies()] == ["The Matrix"]

    run(core, scenario)


def test_a_port_in_use_turns_only_the_share_off(paths, taken_port):
    core = make_core(paths, taken_port)

    async def scenario(core: Core) -> None:
        assert core.share is None
        assert f"port {taken_port}" in core.share_error
        # Everything else runs: the library and the torrent session.
        core.library.add_movie("Heat", 1995)
        assert core.torrents.listen_port() > 0

    run(core, scenario)


def test_a_new_share_port_that_cannot_listen_is_rolled_back_unsaved(paths, taken_port):
    port = free_port()
    core = make_core(paths, port)

    async def scenario(core: Core) -> None:
        new = core.settings.copy()
        new.share.port = taken_port
        new.torrents.download_rate_limit_kib = 123
        with pytest.raises(SettingsError, match=f"port {taken_port}"):
            await asyncio.to_thread(core.update_settings, new)
        assert core.settings.share.port == port and core.share_error is None
        assert core.share.urls() == [f"http://127.0.0.1:{port}/"]
        reply = await asyncio.to_thread(httpx.get, core.share.urls()[0], timeout=10)
        assert reply.status_code == 401  # still serving, on the old port
        # A good port works and only what the user changed is saved (not the overrides).
        other = free_port()
        new.share.port = other
        assert await asyncio.to_thread(core.update_settings, new) == {"share", "torrents"}
        assert core.share.urls() == [f"http://127.0.0.1:{other}/"]

    assert not paths.settings_file.exists()
    run(core, scenario)
    saved = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    assert saved["share"]["port"] == core.settings.share.port
    assert saved["torrents"]["download_rate_limit_kib"] == 123
    assert saved["torrents"]["dht"] is True  # the run's --set dht=off stays unsaved


def test_environment_secrets_win_over_the_keyring_for_headless_use(paths, monkeypatch):
    core = make_core(paths, free_port())
    generated = core.api_token()
    monkeypatch.setenv("REELBOX_API_TOKEN", "token-from-env")
    monkeypatch.setenv("REELBOX_SHARE_PASSWORD", "password-from-env")
    assert (core.api_token(), core.share_password()) == ("token-from-env", "password-from-env")
    monkeypatch.delenv("REELBOX_API_TOKEN")
    assert core.api_token() == generated
