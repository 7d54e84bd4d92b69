"""/api/sync end to end: a real library file, the real scheduler and SyncManager on an
asyncio loop, a real ShareServer on 127.0.0.1 whose cheroot workers hop onto that loop, and
httpx. The sources are stand-ins (tests/support/sync_sources.py): what a sync does is tested
with the sources themselves."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.library.db import close_database, open_database
from app.library.repository import Library
from app.settings import ShareSettings
from app.share.server import ShareServer
from app.sync.manager import SyncManager
from app.sync.scheduler import DEFAULT_INTERVAL_MINUTES, SyncScheduler
from app.torrents.service import TorrentService
from tests.app.share.conftest import PASSWORD, USER
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.sync_sources import SourceFactory

RULE = "must be 0 or at least 1 minute"


@pytest.fixture(scope="module")
def torrents(tmp_path_factory):
    """The share needs a torrent service; these tests never add a torrent, so one will do."""
    from app.paths import Paths

    paths = Paths.under(tmp_path_factory.mktemp("torrents"))
    paths.ensure()
    service = TorrentService(loopback_torrent_settings(), paths, listen_interface="127.0.0.1")
    service.start()
    yield service
    service.stop()


@pytest.fixture
def parts(paths, torrents):
    library = Library(open_database(paths.database_file))
    yield library, torrents
    close_database(library.db)


def serve(parts, scenario, *, factory=None, with_sync=True, wait=30.0):
    """Run scenario(client, manager, factory) against a share whose API has the sync."""
    library, torrents = parts
    factory = factory or SourceFactory()

    async def main():
        scheduler = SyncScheduler()
        manager = SyncManager(library, scheduler, factory)
        manager.start()
        share = ShareServer(
            ShareSettings(bind_address="127.0.0.1", port=0, username=USER, threads=8),
            library,
            torrents,
            password=PASSWORD,
            sync=(lambda: manager) if with_sync else None,
        )
        share.api.sync.wait = wait
        await asyncio.to_thread(share.start)
        try:
            base = f"http://127.0.0.1:{share.port}"
            async with httpx.AsyncClient(base_url=base, auth=(USER, PASSWORD), timeout=30) as c:
                return await scenario(c, manager, factory)
        finally:
            await asyncio.to_thread(share.stop)
            await scheduler.aclose()

    return asyncio.run(main())


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_list_add_change_and_remove_sources(parts, tmp_path):
    async def scenario(client, manager, factory):
        listed = (await client.get("/api/sync")).json()["sources"]
        assert [(s["name"], s["kind"], s["mode"], s["interval_minutes"]) for s in listed] == [
            ("tmdb", "tmdb", "poll", 1440)
        ]
        tmdb = listed[0]
        assert tmdb["timers_enabled"] and not tmdb["running"] and not tmdb["paused"]
        assert tmdb["last_attempt"] is None and tmdb["failures"] == 0
        assert iso(tmdb["next_due"]) - datetime.now(iso(tmdb["next_due"]).tzinfo) > timedelta(
            hours=23
        )

        folder = tmp_path / "incoming"
        missing = await client.post("/api/sync", json={"path": str(folder)})
        assert missing.status_code == 422 and "does not exist" in missing.json()["error"]
        a_file = tmp_path / "movie.mkv"
        a_file.write_bytes(b"x")
        not_dir = await client.post("/api/sync", json={"path": str(a_file)})
        assert not_dir.status_code == 422 and "is not a folder" in not_dir.json()["error"]
        folder.mkdir()
        added = await client.post(
            "/api/sync", json={"path": str(folder), "mode": "poll", "interval_minutes": 15}
        )
        assert added.status_code == 201, added.text
        body = added.json()
        assert (body["name"], body["kind"], body["path"]) == ("folder-1", "folder", str(folder))
        assert (body["mode"], body["interval_minutes"]) == ("poll", 15)
        assert body["detail"] == {"path": str(folder), "unmatched": []}
        again = await client.post("/api/sync", json={"path": str(folder)})
        assert again.status_code == 409 and again.json()["name"] == "folder-1"
        bad = await client.post("/api/sync", json={"path": str(tmp_path), "interval_minutes": -5})
        assert bad.status_code == 422 and RULE in bad.json()["error"]

        changed = await client.put("/api/sync/folder-1", json={"mode": "watch"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["mode"] == "watch" and changed.json()["next_due"] is None
        assert factory.made["folder-1"].watching  # applied live, not only saved
        assert manager.library.get_sync_source("folder-1").mode == "watch"

        assert (await client.delete("/api/sync/tmdb")).status_code == 422
        gone = await client.delete("/api/sync/folder-1")
        assert gone.status_code == 200 and gone.json() == {"removed": "folder-1"}
        assert not factory.made["folder-1"].watching
        assert [s["name"] for s in (await client.get("/api/sync")).json()["sources"]] == ["tmdb"]
        assert (await client.delete("/api/sync/folder-1")).status_code == 404

    serve(parts, scenario)


@pytest.mark.parametrize("value", [-1, 1.5, "often", True, "", [10], "5"])
def test_a_bad_interval_is_refused_and_nothing_changes(parts, value):
    async def scenario(client, manager, factory):
        reply = await client.put("/api/sync/tmdb", json={"interval_minutes": value})
        assert reply.status_code == 422, reply.text
        assert RULE in reply.json()["error"]
        assert manager.library.get_sync_source("tmdb").interval_minutes == 1440
        assert manager.scheduler.state("tmdb").interval_minutes == 1440

    serve(parts, scenario)


@pytest.mark.parametrize(
    "value", [5_000_000_000, 525_601, 10**400], ids=["5e9", "a year and a minute", "10**400"]
)
def test_an_interval_over_a_year_is_refused_and_nothing_changes(parts, tmp_path, value):
    """5e9 minutes used to be saved, then overflow the scheduler's dates: /api/sync was 500
    from then on and the app never started again."""

    async def scenario(client, manager, factory):
        reply = await client.put("/api/sync/tmdb", json={"interval_minutes": value})
        assert reply.status_code == 422, reply.text
        assert "at most 525600" in reply.json()["error"]
        assert manager.library.get_sync_source("tmdb").interval_minutes == 1440
        listed = await client.get("/api/sync")
        assert listed.status_code == 200
        assert listed.json()["sources"][0]["interval_minutes"] == 1440
        folder = await client.post(
            "/api/sync", json={"path": str(tmp_path), "interval_minutes": value}
        )
        assert folder.status_code == 422 and "at most 525600" in folder.json()["error"]
        assert [r.name for r in manager.library.sync_sources()] == ["tmdb"]
        year = await client.put("/api/sync/tmdb", json={"interval_minutes": 525_600})
        assert year.status_code == 200, year.text  # the longest allowed still works
        assert iso(year.json()["next_due"]) - datetime.now(UTC) > timedelta(days=364)

    serve(parts, scenario)


def test_a_bad_interval_already_stored_falls_back_to_the_default(parts, paths, caplog):
    """A value saved before the limit existed must not keep the scheduler or the API down."""
    library, _ = parts
    with sqlite3.connect(paths.database_file) as db:
        db.execute("UPDATE sync_source SET interval_minutes = 5000000000 WHERE name = 'tmdb'")

    async def scenario(client, manager, factory):
        listed = await client.get("/api/sync")
        assert listed.status_code == 200, listed.text
        tmdb = listed.json()["sources"][0]
        assert tmdb["interval_minutes"] == DEFAULT_INTERVAL_MINUTES and tmdb["next_due"]
        assert (await client.get("/api/sync/tmdb")).status_code == 200
        # a change of mode alone applies too; a new interval replaces the bad one
        manual = await client.put("/api/sync/tmdb", json={"mode": "manual"})
        assert manual.status_code == 200 and manual.json()["mode"] == "manual"
        fixed = await client.put("/api/sync/tmdb", json={"interval_minutes": 120})
        assert fixed.status_code == 200 and fixed.json()["interval_minutes"] == 120
        assert library.get_sync_source("tmdb").interval_minutes == 120

    with caplog.at_level(logging.WARNING, logger="app.sync.manager"):
        serve(parts, scenario)
    warnings = [r for r in caplog.records if r.name == "app.sync.manager"]
    assert any(
        "tmdb" in r.getMessage() and "5000000000" in r.getMessage() and r.levelname == "WARNING"
        for r in warnings
    ), [r.getMessage() for r in warnings]


def test_interval_changes_apply_at_once_from_the_last_sync(parts):
    async def scenario(client, manager, factory):
        ran = (await client.post("/api/sync/tmdb/run")).json()
        finished = iso(ran["last_attempt"]) + timedelta(seconds=ran["run"]["duration"])
        reply = await client.put("/api/sync/tmdb", json={"interval_minutes": 30})
        assert reply.status_code == 200
        due = iso(reply.json()["next_due"])
        assert abs((due - finished) - timedelta(minutes=30)) < timedelta(seconds=2)
        assert manager.library.get_sync_source("tmdb").interval_minutes == 30
        off = (await client.put("/api/sync/tmdb", json={"interval_minutes": 0})).json()
        assert off["interval_minutes"] == 0 and off["next_due"] is None
        manual = await client.put("/api/sync/tmdb", json={"mode": "watch"})
        assert manual.status_code == 422 and "poll, manual" in manual.json()["error"]

    serve(parts, scenario)


@pytest.mark.parametrize(
    "method, url, body, status",
    [
        ("PUT", "/api/sync/tmdb", None, 400),
        ("PUT", "/api/sync/tmdb", {}, 422),
        ("PUT", "/api/sync/tmdb", {"interval": 5}, 422),
        ("PUT", "/api/sync/nope", {"interval_minutes": 5}, 404),
        ("POST", "/api/sync/nope/run", None, 404),
        ("GET", "/api/sync/nope/history", None, 404),
        ("GET", "/api/sync/nope", None, 404),
        ("POST", "/api/sync", {"mode": "poll"}, 422),
        ("POST", "/api/sync", {"path": "media/in"}, 422),
        ("POST", "/api/sync", {"path": "/tmp/x", "mode": "hourly"}, 422),
        ("DELETE", "/api/sync", None, 405),
    ],
)
def test_bad_requests_get_json_errors(parts, method, url, body, status):
    async def scenario(client, manager, factory):
        reply = await client.request(method, url, json=body)
        assert reply.status_code == status, reply.text
        assert reply.json()["error"]

    serve(parts, scenario)


def test_run_now_waits_restarts_the_countdown_and_joins_a_run_going(parts):
    async def scenario(client, manager, factory):
        factory.made["tmdb"].hold = 0.4
        before = datetime.now().astimezone()
        first, second = await asyncio.gather(
            client.post("/api/sync/tmdb/run"), client.post("/api/sync/tmdb/run")
        )
        assert first.status_code == second.status_code == 200
        assert factory.made["tmdb"].runs == 1  # the second request joined the first run
        data = first.json()
        assert data["run"]["outcome"] == "ok" and data["run"]["summary"] == "run 1"
        assert data["run"]["reason"] == "api" and data["run"]["duration"] >= 0.35
        assert second.json()["run"] == data["run"]
        assert data["last_summary"] == "run 1" and not data["running"]
        due = iso(data["next_due"])
        assert due - before > timedelta(hours=23, minutes=59)  # counted from this run
        history = (await client.get("/api/sync/tmdb/history")).json()
        assert history["name"] == "tmdb" and history["history"] == [data["run"]]

    serve(parts, scenario)


def test_a_failing_run_answers_200_with_the_error_and_a_slow_one_202(parts):
    async def scenario(client, manager, factory):
        source = factory.made["tmdb"]
        source.fail = "TMDB refused the API key"
        failed = await client.post("/api/sync/tmdb/run")
        assert failed.status_code == 200
        data = failed.json()
        assert data["run"]["outcome"] == "error"
        assert data["run"]["error"] == data["last_error"] == "TMDB refused the API key"
        assert data["failures"] == 1 and data["backoff_until"] == data["next_due"]
        source.fail, source.hold = None, 1.0
        slow = await client.post("/api/sync/tmdb/run")
        assert slow.status_code == 202 and slow.json()["run"] is None
        assert slow.json()["running"]
        # the run goes on: the next request joins it and gets its outcome
        done = await client.post("/api/sync/tmdb/run")
        assert done.status_code in (200, 202)
        while (await client.get("/api/sync/tmdb")).json()["running"]:
            await asyncio.sleep(0.05)
        state = (await client.get("/api/sync/tmdb")).json()
        assert source.runs == 2 and state["failures"] == 0
        assert [r["outcome"] for r in state["history"]] == ["ok", "error"]

    serve(parts, scenario, wait=0.3)


def test_rescan_all_reports_each_source(parts, tmp_path):
    async def scenario(client, manager, factory):
        (tmp_path / "a").mkdir()
        await client.post("/api/sync", json={"path": str(tmp_path / "a"), "mode": "manual"})
        factory.made["folder-1"].fail = "folder is gone"
        reply = await client.post("/api/sync/run")
        assert reply.status_code == 200
        assert reply.json()["results"] == {"tmdb": "run 1", "folder-1": "error: folder is gone"}

    serve(parts, scenario)


def test_without_sync_every_endpoint_answers_503(parts):
    async def scenario(client, manager, factory):
        for method, url in [
            ("GET", "/api/sync"),
            ("GET", "/api/sync/tmdb"),
            ("POST", "/api/sync/tmdb/run"),
            ("GET", "/api/sync/tmdb/history"),
        ]:
            reply = await client.request(method, url)
            assert reply.status_code == 503, (url, reply.text)
            assert "sync is not running" in reply.json()["error"]
        reply = await client.put("/api/sync/tmdb", json={"interval_minutes": 5})
        assert reply.status_code == 503

    serve(parts, scenario, with_sync=False)


def test_a_stopped_loop_answers_503_not_500(parts):
    """The manager outlives its loop (the app is stopping): a clear 503, no hung worker."""
    library, torrents = parts
    factory = SourceFactory()

    async def build():
        scheduler = SyncScheduler()
        manager = SyncManager(library, scheduler, factory)
        manager.start()
        await scheduler.aclose()
        return manager

    manager = asyncio.run(build())
    share = ShareServer(
        ShareSettings(bind_address="127.0.0.1", port=0, username=USER, threads=4),
        library,
        torrents,
        password=PASSWORD,
        sync=lambda: manager,
    )
    share.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{share.port}", auth=(USER, PASSWORD)) as c:
            reply = c.post("/api/sync/tmdb/run")
            assert reply.status_code == 503 and "not running" in reply.json()["error"]
    finally:
        share.stop()


def test_pause_holds_runs_until_resume(parts):
    async def scenario(client, manager, factory):
        paused = await client.post("/api/sync/pause")
        assert paused.json() == {"paused": True, "paused_for": ["api"]}
        assert (await client.post("/api/sync/pause")).status_code == 200  # pauses nest
        waiting = await client.post("/api/sync/tmdb/run")
        assert waiting.status_code == 202
        data = waiting.json()
        assert data["paused"] and data["pending"] == "api" and not data["running"]
        assert factory.made["tmdb"].runs == 0
        assert (await client.post("/api/sync/resume")).json()["paused"] is True
        resumed = await client.post("/api/sync/resume")
        assert resumed.json() == {"paused": False, "paused_for": []}
        while factory.made["tmdb"].runs == 0 or manager.scheduler.state("tmdb").running:
            await asyncio.sleep(0.02)
        state = (await client.get("/api/sync/tmdb")).json()
        assert state["last_run"]["reason"] == "api" and state["pending"] is None

    serve(parts, scenario, wait=0.3)
