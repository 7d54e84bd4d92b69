"""Notifications through the real Core: library writes reach a loopback Jellyfin with the
keyring's token, /api/notify reports and tests targets, new settings apply live."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from app.core import Core
from tests.app.share.test_tree import assign
from tests.support.loopback import LOOPBACK, free_port
from tests.support.media_servers import serve


async def until(predicate, timeout: float = 30.0) -> None:
    """Wait on the loop until predicate() holds; the timeout only stops a hung test."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def test_library_changes_reach_the_server_and_the_api_reports_and_tests_targets(paths):
    def scenario_for(jellyfin, emby):
        async def scenario(core: Core) -> None:
            await asyncio.to_thread(core.set_notify_token, "jf", "jf-secret")
            movie = core.library.add_movie("Heat", 1995)
            await asyncio.to_thread(assign, core.library, "movie", movie.id)
            await until(lambda: jellyfin.requests)
            (request,) = jellyfin.requests
            assert request.headers["authorization"] == 'MediaBrowser Token="jf-secret"'
            assert request.json()["Updates"] == [
                {"Path": "/srv/Movies/Heat (1995)", "UpdateType": "Created"}
            ]
            base = core.share.urls()[0] + "api/notify"
            auth = {"Authorization": f"Bearer {core.api_token()}"}
            async with httpx.AsyncClient(timeout=30, headers=auth) as client:
                listed = (await client.get(base)).json()["targets"]
                assert [(t["name"], t["kind"], t["path_to"]) for t in listed] == [
                    ("jf", "jellyfin", "/srv")
                ]
                assert listed[0]["last"]["outcome"] == "ok"
                assert listed[0]["last"]["paths"] == ["/Movies/Heat (1995)"]
                tested = await client.post(f"{base}/jf/test")
                assert tested.status_code == 200, tested.text
                assert tested.json()["result"]["outcome"] == "ok"
                assert tested.json()["result"]["reason"] == "test"
                assert len(jellyfin.requests) == 2
                missing = await client.post(f"{base}/nope/test")
                assert missing.status_code == 404 and "nope" in missing.json()["error"]
                # new settings apply at once: Emby joins, and is told of the next change
                new = core.settings.copy()
                new.set(
                    "notify.targets",
                    json.dumps([{"name": "emby", "kind": "emby", "url": emby.url}]),
                )
                assert await asyncio.to_thread(core.update_settings, new) == {"notify"}
                core.library.deactivate(core.library.active_assignment("movie", movie.id).id)
                await until(lambda: emby.requests)
                assert emby.requests[0].json()["Updates"] == [
                    {"Path": "/Movies/Heat (1995)", "UpdateType": "Deleted"}
                ]
                assert len(jellyfin.requests) == 2
                listed = (await client.get(base)).json()["targets"]
                assert [t["name"] for t in listed] == ["emby"]
            assert "jf-secret" not in paths.settings_file.read_text()

        return scenario

    with serve("jellyfin") as jellyfin, serve("emby") as emby:
        target = {"name": "jf", "kind": "jellyfin", "url": jellyfin.url, "path_to": "/srv"}
        overrides = {
            **LOOPBACK,
            "share.port": str(free_port()),
            "notify.debounce_seconds": "0.1",
            "notify.targets": json.dumps([target]),
        }
        core = Core(paths, overrides, listen_interface="127.0.0.1")

        async def main() -> None:
            await asyncio.to_thread(core.start)
            await core.start_async()
            try:
                await scenario_for(jellyfin, emby)(core)
            finally:
                await core.stop_async()
                await asyncio.to_thread(core.stop)

        asyncio.run(main())


def test_each_targets_deliveries_are_in_api_sync_and_a_run_sends_a_test(paths, caplog):
    def scenario_for(good, broken):
        async def scenario(core: Core) -> None:
            movie = core.library.add_movie("Heat", 1995)
            await asyncio.to_thread(assign, core.library, "movie", movie.id)
            names = ("notify-good", "notify-broken")
            await until(lambda: all(core.sync.state(n).history for n in names))
            base = core.share.urls()[0] + "api/sync"
            auth = {"Authorization": f"Bearer {core.api_token()}"}
            async with httpx.AsyncClient(timeout=30, headers=auth) as client:
                listed = {s["name"]: s for s in (await client.get(base)).json()["sources"]}
                assert listed.keys() == {"tmdb", *names}
                ok, failed = listed["notify-good"], listed["notify-broken"]
                assert (ok["kind"], ok["mode"], ok["path"]) == ("notify", "manual", None)
                assert ok["detail"]["address"] == good.url
                assert ok["last_run"]["reason"] == "app" and ok["last_run"]["outcome"] == "ok"
                assert ok["last_summary"] == "1 folder sent"
                assert failed["last_run"]["outcome"] == "error"
                assert "HTTP 500" in failed["last_error"] and failed["failures"] == 1
                ran = await client.post(f"{base}/notify-good/run")
                assert ran.status_code == 200, ran.text
                assert ran.json()["run"]["reason"] == "api"
                assert ran.json()["run"]["summary"] == "test: 2 folders sent"
                assert len(good.requests) == 2
                history = (await client.get(f"{base}/notify-good/history")).json()["history"]
                assert [run["reason"] for run in history] == ["api", "app"]
                for answer in (
                    await client.put(f"{base}/notify-good", json={"mode": "poll"}),
                    await client.delete(f"{base}/notify-good"),
                ):
                    assert answer.status_code == 422 and "settings" in answer.json()["error"]
                new = core.settings.copy()
                new.set(
                    "notify.targets",
                    json.dumps([{"name": "good", "kind": "jellyfin", "url": good.url}]),
                )
                assert await asyncio.to_thread(core.update_settings, new) == {"notify"}
                listed = (await client.get(base)).json()["sources"]
                assert [s["name"] for s in listed] == ["tmdb", "notify-good"]
            rows = await asyncio.to_thread(core.library.sync_sources)
            assert [row.name for row in rows] == ["tmdb"]  # targets live in the settings

        return scenario

    with serve("jellyfin") as good, serve("emby") as broken:
        broken.status = 500
        targets = [
            {"name": "good", "kind": "jellyfin", "url": good.url},
            {"name": "broken", "kind": "emby", "url": broken.url},
        ]
        overrides = {
            **LOOPBACK,
            "share.port": str(free_port()),
            "notify.debounce_seconds": "0.1",
            "notify.targets": json.dumps(targets),
        }
        core = Core(paths, overrides, listen_interface="127.0.0.1")

        async def main() -> None:
            await asyncio.to_thread(core.start)
            await core.start_async()
            try:
                await scenario_for(good, broken)(core)
            finally:
                await core.stop_async()
                await asyncio.to_thread(core.stop)

        asyncio.run(main())
    assert "Could not save the last run" not in caplog.text
