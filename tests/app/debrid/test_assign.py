"""Assigning a magnet through the loopback Real-Debrid: the files chosen, the status followed,
failures and Cancel that change nothing, a torrent reused, the sync source agreeing
afterwards, engine and debrid rows kept apart, and a season pack served by a real Core's
share over HTTP."""

from __future__ import annotations

import asyncio

import httpx
import libtorrent as lt
import pytest

from app.debrid import realdebrid as client_module
from app.debrid import store
from app.debrid.assign import DebridAssigner, DebridAssignError, Progress, Target
from app.debrid.base import DebridError
from app.debrid.source import DebridSource
from app.library.models import Assignment, utc_now
from tests.app.debrid.conftest import make_client
from tests.support import realdebrid
from tests.support.core import make_core
from tests.support.core import run as run_core
from tests.support.swarm import make_torrent, wait_until

GIB = 1024**3
HASH = "c0ffee" + "0" * 34
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Breaking.Bad.S01"
PACK = [
    ("/Breaking.Bad.S01.720p/Breaking.Bad.S01E01.720p.mkv", GIB),
    ("/Breaking.Bad.S01.720p/Breaking.Bad.S01E02.720p.mkv", GIB),
    ("/Breaking.Bad.S01.720p/Sample/breaking.bad.s01e01.sample.mkv", 10_000),
    ("/Breaking.Bad.S01.720p/info.nfo", 100),
]
HEAT = [
    ("/Heat.1995.1080p/Heat.1995.1080p.BluRay.mkv", 2 * GIB),
    ("/Heat.1995.1080p/Heat.1995.sample.mkv", 20_000),
    ("/Heat.1995.1080p/Heat.nfo", 100),
]


class Steps:
    """The progress reports, and a way to wait for one."""

    def __init__(self) -> None:
        self.seen: list[Progress] = []

    def __call__(self, progress: Progress) -> None:
        if not self.seen or (self.seen[-1].status, self.seen[-1].percent) != (
            progress.status,
            progress.percent,
        ):
            self.seen.append(progress)

    async def reach(self, status: str, percent: float | None = None) -> None:
        while not any(
            p.status == status and (percent is None or p.percent == percent) for p in self.seen
        ):
            await asyncio.sleep(0.005)

    def statuses(self) -> list[tuple[str, float]]:
        return [(p.status, p.percent) for p in self.seen]


def run(scenario, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(scenario, timeout))


def assigner_for(library, rd, fake_time, **kwargs):
    client = make_client(rd, fake_time)
    return DebridAssigner(library, client, poll=0.01, poll_max=0.05, **kwargs), client


@pytest.fixture
def show(library):
    return library.add_show("Breaking Bad", 2008, seasons={1: 3})


def episode_ids(library, show) -> dict[int, int]:
    (season,) = library.seasons(show.id)
    return {e.number: e.id for e in library.episodes(season.id)}


def debrid_rows() -> list[tuple[str, int, int, str]]:
    return sorted(
        (a.item_type, a.item_id, a.file_index, a.info_hash)
        for a in Assignment.select().where(Assignment.source_kind == "debrid", Assignment.active)
    )


def test_a_cached_movie_selects_its_main_video_and_is_served_from_the_list(library, rd, fake_time):
    heat = library.add_movie("Heat", 1995)
    rd.offer(HASH, "Heat.1995.1080p", HEAT, cached=True)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        try:
            return await assigner.assign(MAGNET, Target("movie", heat.id), steps)
        finally:
            await client.aclose()

    (row,) = run(scenario())
    (torrent,) = rd.with_hash(HASH)
    assert rd.chosen == {torrent.id: [1]}  # the movie, not the sample or the .nfo
    assert (row.item_type, row.item_id, row.source_kind, row.file_index) == (
        "movie",
        heat.id,
        "debrid",
        1,
    )
    assert row.file_path == "Heat.1995.1080p/Heat.1995.1080p.BluRay.mkv"
    assert store.link_of(HASH, 1) == torrent.link(1)  # the share can unrestrict it now
    assert [s for s, _ in steps.statuses()] == ["adding", "waiting_files_selection", "saving"]


def test_a_season_pack_is_followed_queued_downloading_downloaded(library, rd, fake_time, show):
    rd.offer(HASH, "Breaking.Bad.S01.720p", PACK, cached=False)
    (season,) = library.seasons(show.id)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        task = asyncio.ensure_future(assigner.assign(MAGNET, Target("season", season.id), steps))
        await steps.reach("queued")
        (torrent,) = rd.with_hash(HASH)
        rd.set_status(torrent.id, "downloading", 40)
        await steps.reach("downloading", 40)
        rd.set_status(torrent.id, "downloading", 85)
        await steps.reach("downloading", 85)
        assert not task.done()
        rd.set_status(torrent.id, "downloaded")
        try:
            return torrent, await task
        finally:
            await client.aclose()

    torrent, rows = run(scenario())
    assert rd.chosen == {torrent.id: [1, 2]}  # the two episodes: no sample, no .nfo
    assert steps.statuses() == [
        ("adding", 0.0),
        ("waiting_files_selection", 0.0),
        ("queued", 0.0),
        ("downloading", 40.0),
        ("downloading", 85.0),
        ("saving", 100.0),
    ]
    episodes = episode_ids(library, show)
    assert sorted((r.item_id, r.file_index) for r in rows) == [(episodes[1], 1), (episodes[2], 2)]
    assert library.active_assignment("episode", episodes[3]) is None


@pytest.mark.parametrize("status", ["virus", "dead", "magnet_error", "error"])
def test_a_failing_status_ends_with_its_reason_and_changes_nothing(
    library, rd, fake_time, show, status
):
    rd.offer(HASH, "Breaking.Bad.S01.720p", PACK, cached=False)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        task = asyncio.ensure_future(assigner.assign(MAGNET, Target("show", show.id), steps))
        await steps.reach("queued")
        rd.set_status(rd.with_hash(HASH)[0].id, status)
        try:
            with pytest.raises(DebridAssignError) as failed:
                await task
            return str(failed.value)
        finally:
            await client.aclose()

    message = run(scenario())
    assert status in message and "Breaking.Bad.S01.720p" in message
    assert rd.with_hash(HASH) == []  # the torrent it added is deleted again
    assert debrid_rows() == [] and store.load() == []


def test_cancel_deletes_the_torrent_it_added_and_changes_nothing(library, rd, fake_time, show):
    rd.offer(HASH, "Breaking.Bad.S01.720p", PACK, cached=False)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        task = asyncio.ensure_future(assigner.assign(MAGNET, Target("show", show.id), steps))
        await steps.reach("queued")
        rd.set_status(rd.with_hash(HASH)[0].id, "downloading", 10)
        await steps.reach("downloading", 10)
        task.cancel()
        try:
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await client.aclose()

    run(scenario())
    assert rd.with_hash(HASH) == []
    assert len(rd.requests_to("/rest/1.0/torrents/delete/T000001", "DELETE")) == 1
    assert debrid_rows() == [] and store.load() == []


def test_a_torrent_already_in_the_account_is_reused_and_the_sync_agrees(
    library, rd, fake_time, show
):
    existing = rd.add("Breaking.Bad.S01.720p", PACK)
    magnet = f"magnet:?xt=urn:btih:{existing.hash}"
    (season,) = library.seasons(show.id)
    library.add_movie("Heat", 1995)  # something else the sync could match: nothing here

    async def scenario():
        source = DebridSource(library, make_client(rd, fake_time))
        assigner, client = assigner_for(library, rd, fake_time, runs=source.runs)
        try:
            # not synced yet: found on the account's newest page
            first = await assigner.assign(magnet, Target("episode", episode_ids(library, show)[2]))
            await source.sync()
            # synced: found in the saved list; the whole season now
            again = await assigner.assign(magnet, Target("season", season.id))
            summary = await source.sync()
            return first, again, summary, source.detail()
        finally:
            await client.aclose()
            await source.account.aclose()

    first, again, summary, detail = run(scenario())
    assert rd.requests_to("/rest/1.0/torrents/addMagnet", "POST") == []
    assert rd.requests_to("/rest/1.0/torrents/selectFiles/" + existing.id, "POST") == []
    assert [r.file_index for r in first] == [2]
    episodes = episode_ids(library, show)
    assert [(r.item_id, r.file_index) for r in again] == [(episodes[1], 1), (episodes[2], 2)]
    assert debrid_rows() == sorted(
        [("episode", episodes[1], 1, existing.hash), ("episode", episodes[2], 2, existing.hash)]
    )
    # the files assigned are not unmatched; the sample the account already held is
    assert [u["path"] for u in detail["unmatched"]] == [PACK[2][0].lstrip("/")]
    assert "1 unmatched" in summary
    assert [c.torrent.id for c in store.load()] == [existing.id]


def test_a_torrent_file_is_sent_as_its_magnet(library, rd, fake_time, tmp_path):
    heat = library.add_movie("Heat", 1995)
    (tmp_path / "Heat.1995.mkv").write_bytes(b"x" * 40_000)
    data = make_torrent(tmp_path, "Heat.1995.mkv", 16 * 1024, "http://127.0.0.1:1/announce")
    info_hash = str(lt.torrent_info(lt.bdecode(data)).info_hashes().v1)
    rd.offer(info_hash, "Heat.1995.mkv", [("/Heat.1995.mkv", 40_000)])
    assigner, client = assigner_for(library, rd, fake_time)

    async def scenario():
        try:
            return await assigner.assign(data, Target("movie", heat.id))
        finally:
            await client.aclose()

    (row,) = run(scenario())
    (sent,) = rd.requests_to("/rest/1.0/torrents/addMagnet", "POST")
    assert f"urn:btih:{info_hash}" in sent.form["magnet"][0]
    assert "127.0.0.1%3a1" in sent.form["magnet"][0].lower()  # the tracker goes along
    assert (row.info_hash, row.file_index) == (info_hash, 1)


def test_a_torrent_without_the_items_file_changes_nothing(library, rd, fake_time):
    heat = library.add_movie("Heat", 1995)
    rd.offer(HASH, "Notes", [("/Notes/readme.txt", 100)])
    assigner, client = assigner_for(library, rd, fake_time)

    async def scenario():
        try:
            with pytest.raises(DebridAssignError, match="holds no video file"):
                await assigner.assign(MAGNET, Target("movie", heat.id))
        finally:
            await client.aclose()

    run(scenario())
    assert rd.with_hash(HASH) == [] and debrid_rows() == []


def test_engine_and_debrid_rows_of_one_hash_never_mix(library):
    heat = library.add_movie("Heat", 1995)
    ran = library.add_movie("Ran", 1985)
    debrid = Assignment.create(
        item_type="movie", item_id=heat.id, source_kind="debrid", info_hash=HASH, file_index=1,
        file_path="Heat/Heat.mkv", file_size=10, active=True, created_at=utc_now(),
    )  # fmt: skip
    torrent = library.assign(
        "movie", ran.id, info_hash=HASH, file_index=0, file_path="Heat/Heat.mkv", file_size=10
    )
    assert [a.id for a in library.assignments_for_hash(HASH, active_only=True)] == [torrent.id]
    assert [a.id for a in library.assignments_for_hash(HASH, kind="debrid")] == [debrid.id]
    # the engine's assign of the same item, hash and file makes its own row: the debrid
    # one is deactivated (kept), not turned into a torrent source
    again = library.assign(
        "movie", heat.id, info_hash=HASH, file_index=1, file_path="Heat/Heat.mkv", file_size=10
    )
    assert again.id != debrid.id and again.source_kind == "torrent"
    assert Assignment.get_by_id(debrid.id).source_kind == "debrid"
    assert not Assignment.get_by_id(debrid.id).active


def test_a_season_pack_through_the_core_is_served_by_the_share(paths, rd, monkeypatch):
    monkeypatch.setattr(client_module, "API_URL", rd.api_url)
    monkeypatch.setattr(client_module, "OAUTH_URL", rd.oauth_url)
    small = [(path, 200_000 + n) for n, (path, _size) in enumerate(PACK)]
    rd.offer(HASH, "Breaking.Bad.S01.720p", small, cached=True)

    async def scenario(core) -> None:
        show = core.library.add_show("Breaking Bad", 2008, seasons={1: 2})
        await asyncio.to_thread(core.set_debrid_token, realdebrid.TOKEN)
        source = core.sync_manager.source("debrid")
        assigner = DebridAssigner(core.library, core.debrid, runs=source.runs, poll=0.01)
        await assigner.assign(MAGNET, Target("show", show.id))
        base = core.share.urls()[0]
        path = "TV Shows/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E02.mkv"
        tree = core.share.live_tree
        assert await asyncio.to_thread(wait_until, lambda: tree.current.lookup("/" + path), 10)
        auth = (core.settings.share.username, await asyncio.to_thread(core.share_password))
        async with httpx.AsyncClient(timeout=30, auth=auth) as client:
            got = await client.get(base + path, headers={"Range": "bytes=100-199"})
        assert got.status_code == 206
        (torrent,) = rd.with_hash(HASH)
        key = realdebrid.file_key(torrent, 2)
        assert got.content == realdebrid.content_of(key, 100, 100)

    run_core(make_core(paths), scenario)


def test_cancel_while_the_magnet_is_sent_takes_it_back_out(library, rd, fake_time):
    # The service adds the torrent even though we stopped waiting for its id.
    movie = library.add_movie("Heat", 1995)
    rd.offer(HASH, "Heat.1995.1080p", HEAT, cached=False)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        try:
            rd.latency = 0.3
            task = asyncio.ensure_future(assigner.assign(MAGNET, Target("movie", movie.id), steps))
            await steps.reach("adding")
            await asyncio.sleep(0.05)  # the addMagnet request is under way
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(2 * rd.latency)  # the service has answered the add by now
        finally:
            await client.aclose()

    run(scenario())
    assert rd.requests_to("/rest/1.0/torrents/addMagnet", "POST")
    assert rd.with_hash(HASH) == []


def test_a_failed_delete_is_said_not_logged_as_done(library, rd, fake_time, caplog):
    movie = library.add_movie("Heat", 1995)
    rd.offer(HASH, "Heat.1995.1080p", HEAT, cached=False)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        try:
            task = asyncio.ensure_future(assigner.assign(MAGNET, Target("movie", movie.id), steps))
            await steps.reach("queued")
            client.token = None  # logged out meanwhile: nothing more can be asked
            with pytest.raises(DebridError):
                await task
        finally:
            await client.aclose()

    run(scenario())
    assert len(rd.with_hash(HASH)) == 1
    messages = [record.getMessage() for record in caplog.records]
    assert not any("Deleted" in message for message in messages)
    assert any("stays in the debrid account" in message for message in messages)


def test_a_torrent_packed_into_an_archive_says_so(library, rd, fake_time, show):
    rd.offer(HASH, "Breaking.Bad.S01.720p", PACK, cached=False)
    assigner, client = assigner_for(library, rd, fake_time)
    steps = Steps()

    async def scenario():
        try:
            task = asyncio.ensure_future(assigner.assign(MAGNET, Target("show", show.id), steps))
            await steps.reach("queued")
            (torrent,) = rd.with_hash(HASH)
            torrent.packed = True
            rd.set_status(torrent.id, "downloaded")
            with pytest.raises(DebridAssignError, match="packed its files into an archive"):
                await task
        finally:
            await client.aclose()

    run(scenario())
    assert debrid_rows() == []
