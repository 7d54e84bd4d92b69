"""The composition root with its real parts: library file, libtorrent session, share on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import keyring
import pytest
from keyring.backends.null import Keyring as NullKeyring

from app.core import AlreadyRunning, Core
from app.metadata.tmdb import TmdbClient
from app.settings import SettingsError
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb
from tests.support.core import make_core, run
from tests.support.loopback import free_port
from tests.support.swarm import wait_until


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


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


def test_with_a_keyring_that_keeps_nothing_the_share_password_holds_for_the_run(paths):
    keyring.set_keyring(NullKeyring())  # `keyring --disable`; the autouse fixture restores
    core = make_core(paths, free_port())

    async def scenario(core: Core) -> None:
        password, token = core.share_password(), core.api_token()
        assert (core.share_password(), core.api_token()) == (password, token)
        base = core.share.urls()[0]
        async with httpx.AsyncClient(timeout=10) as get:
            listing = await get.request(
                "PROPFIND",
                base + "Movies/",
                headers={"Depth": "1"},
                auth=(core.settings.share.username, password),
            )
            assert listing.status_code == 207
            token_header = {"Authorization": f"Bearer {token}"}
            assert (await get.get(base + "api/movies", headers=token_header)).status_code == 200

    run(core, scenario)
    assert not core.secrets.persistent


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


def test_sync_sources_are_changed_through_the_core_and_its_api(paths):
    from app.library.errors import InvalidValue

    core = make_core(paths, free_port())

    async def scenario(core: Core) -> None:
        assert core.sync.names() == ["tmdb"]
        assert core.sync.state("tmdb").interval_minutes == 1440  # seeded by the migration
        base = core.share.urls()[0]
        token = {"Authorization": f"Bearer {core.api_token()}"}
        async with httpx.AsyncClient(timeout=10, headers=token) as client:
            # The handler runs on a share worker; the change is applied on this loop.
            reply = await client.put(base + "api/sync/tmdb", json={"interval_minutes": 30})
            assert reply.status_code == 200, reply.text
            assert core.sync.state("tmdb").interval_minutes == 30
            bad = await client.put(base + "api/sync/tmdb", json={"interval_minutes": -1})
            assert bad.status_code == 422 and "must be 0 or at least 1 minute" in bad.text
            # No key and nothing linked to TMDB: the run fails nothing but says the key is missing.
            ran = await client.post(base + "api/sync/tmdb/run")
            assert ran.status_code == 200, ran.text
            assert ran.json()["run"]["summary"].startswith("skipped: no TMDB API key is set")
            assert ran.json()["detail"] == {"kind": "tmdb", "key_set": False}
            core.library.add_movie("The Matrix", 1999, tmdb_id=603)
            failed = (await client.post(base + "api/sync/tmdb/run")).json()
            assert failed["run"]["outcome"] == "error" and "no TMDB API key" in failed["last_error"]
            listed = (await client.get(base + "api/sync")).json()["sources"]
            assert [(s["name"], s["failures"]) for s in listed] == [("tmdb", 1)]
        # The Qt thread (this loop's) and worker threads both may call the core.
        state = core.update_source("tmdb", mode="manual")
        assert state.mode == "manual" and state.next_due is None
        state = await asyncio.to_thread(lambda: core.update_source("tmdb", mode="poll"))
        assert state.mode == "poll" and core.library.get_sync_source("tmdb").mode == "poll"
        with pytest.raises(InvalidValue, match="must be 0 or at least 1 minute"):
            await asyncio.to_thread(lambda: core.update_source("tmdb", interval_minutes=0.5))
        assert core.sync.state("tmdb").interval_minutes == 30

    run(core, scenario)


def test_settings_apply_while_the_scheduler_is_paused(paths):
    core = make_core(paths, free_port())

    async def scenario(core: Core) -> None:
        seen = []
        core.sync.add_listener(
            lambda s: seen.append((s.paused, s.enabled, core.sync.pause_reasons))
        )
        new = core.settings.copy()
        new.sync.enabled = True  # the test's overrides turn the timers off
        new.torrents.upload_rate_limit_kib = 50
        assert await asyncio.to_thread(core.update_settings, new) == {"sync", "torrents"}
        # paused first, the timers turned on while paused, then resumed
        assert seen[0] == (True, False, ["settings"])
        assert (True, True, ["settings"]) in seen
        assert seen[-1] == (False, True, [])
        assert not core.sync.paused and core.sync.state("tmdb").next_due is not None

    run(core, scenario)


def test_watched_folders_through_the_core(paths, tmp_path):
    pytest.importorskip("app.sync.folders")
    core = make_core(paths, free_port())
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "Some.Unknown.Film.2010.1080p.mkv").write_bytes(b"x" * 1000)

    def unmatched(name: str) -> list[str]:
        return sorted(u["path"] for u in core.sync.state(name).detail.get("unmatched", []))

    async def scenario(core: Core) -> None:
        state = await asyncio.to_thread(core.add_folder, folder, "watch", 10)
        assert (state.name, state.mode, state.interval_minutes) == ("folder-1", "watch", 10)
        assert core.sync.names() == ["tmdb", "folder-1"]
        assert core.library.get_sync_source("folder-1").path == str(folder.resolve())
        # scanned at once when added, then again when the watcher sees a new file
        await until(lambda: len(core.sync.state("folder-1").history) == 1)
        assert core.sync.state("folder-1").history[0].reason == "app"
        assert len(unmatched("folder-1")) == 1
        (folder / "Another.Unknown.Film.2011.720p.mkv").write_bytes(b"y" * 1000)
        await until(lambda: core.sync.state("folder-1").history[0].reason == "watch")
        assert len(unmatched("folder-1")) == 2
        state = core.update_source("folder-1", mode="poll", interval_minutes=5)
        assert (state.mode, state.interval_minutes) == ("poll", 5)
        await asyncio.to_thread(core.remove_folder, "folder-1")
        assert core.sync.names() == ["tmdb"]
        assert [r.name for r in core.library.sync_sources()] == ["tmdb"]

    run(core, scenario)


async def until(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {predicate}")


def test_a_second_copy_on_the_same_data_folder_stops_with_a_reason(paths):
    first = make_core(paths, free_port())
    first.start()
    try:
        second = make_core(paths, free_port())
        with pytest.raises(AlreadyRunning, match="already running with the data folder"):
            second.start()
        second.stop()  # what the runners do after a failed start: must not free the lock
        with pytest.raises(AlreadyRunning):
            make_core(paths, free_port()).start()
    finally:
        first.stop()
    again = make_core(paths, free_port())
    threading.Thread(target=again.start).start()  # the runners start and stop on workers
    assert wait_until(lambda: again.share is not None, 30)
    stopper = threading.Thread(target=again.stop)
    stopper.start()
    stopper.join(30)
    last = make_core(paths, free_port())
    last.start()  # the lock went with the copy that stopped, whatever thread stopped it
    last.stop()


def test_api_adds_a_show_from_tmdb_with_its_episode_titles(paths):
    """The API stores what the window stores: each season's episodes with their titles and
    air dates; a season TMDB cannot give (404 here) keeps its episode count, untitled."""
    core = make_core(paths, free_port())
    fake = FakeTmdb()

    async def scenario(core: Core) -> None:
        core.tmdb = TmdbClient(API_KEY, transport=fake.transport())
        token = {"Authorization": f"Bearer {core.api_token()}"}
        async with httpx.AsyncClient(timeout=10, headers=token) as client:
            reply = await client.post(core.share.urls()[0] + "api/shows", json={"tmdb_id": 1396})
        assert reply.status_code == 201, reply.text
        seasons = {s["number"]: s["episodes"] for s in reply.json()["seasons"]}
        assert [e["title"] for e in seasons[1]][:2] == ["Pilot", "Cat's in the Bag..."]
        assert seasons[1][0]["air_date"] == "2008-01-20"
        assert [e["title"] for e in seasons[0]] == [
            "Good Cop Bad Cop",
            "Wedding Day",
            "TwaüghtHouse",
        ]
        assert len(seasons[2]) == 13 and {e["title"] for e in seasons[2]} == {""}
        show = core.library.list_shows()[0]
        stored = {s.number: core.library.episodes(s.id) for s in core.library.seasons(show.id)}
        assert stored[1][0].title == "Pilot"
        # the share's fanart.jpg comes from the stored backdrop
        assert show.backdrop_path == "/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg"
        assert show.imdb_id == "tt0903747"  # for its tvshow.nfo
        await core.tmdb.aclose()

    run(core, scenario)


def test_the_share_downloads_missing_artwork_through_the_poster_cache(paths, tmp_path):
    """A poster not cached yet is fetched from TMDB in the background and then listed; one
    TMDB cannot give (404 here) is left out, and the listing works all along."""
    from tests.app.metadata.fake_tmdb import JPEG

    core = make_core(paths, free_port())
    fake = FakeTmdb()
    fake.images["/matrix.jpg"] = JPEG
    video = tmp_path / "matrix.mkv"
    video.write_bytes(b"m" * 1000)
    folder = "/Movies/The%20Matrix%20(1999)/"

    async def scenario(core: Core) -> None:
        core.tmdb = TmdbClient(API_KEY, transport=fake.transport())
        core.posters.client = core.tmdb

        def add() -> None:
            movie = core.library.add_movie(
                "The Matrix",
                1999,
                tmdb_id=603,
                poster_path="/matrix.jpg",
                backdrop_path="/gone.jpg",
            )
            core.library.assign_local("movie", movie.id, str(video), size=1000)

        await asyncio.to_thread(add)
        auth = ("reelbox", await asyncio.to_thread(core.share_password))
        base = core.share.urls()[0].rstrip("/")
        async with httpx.AsyncClient(timeout=10, auth=auth) as client:
            for _ in range(600):  # until the download's rebuild; each turn waits 0.1 s
                listing = await client.request("PROPFIND", base + folder, headers={"Depth": "1"})
                assert listing.status_code == 207
                if b"poster.jpg" in listing.content:
                    break
                await asyncio.sleep(0.1)
            assert b"poster.jpg" in listing.content
            assert b"The%20Matrix%20(1999).nfo" in listing.content
            assert b"fanart.jpg" not in listing.content
            poster = await client.get(base + folder + "poster.jpg")
            assert poster.status_code == 200 and poster.content == JPEG
        await core.tmdb.aclose()

    run(core, scenario)
