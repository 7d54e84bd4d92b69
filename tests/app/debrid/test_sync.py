"""The debrid source end to end against the loopback Real-Debrid and a real library file:
change checks, splice or page fetches, info caching across a restart, library content,
removal, failing statuses, failed syncs that change nothing."""

from __future__ import annotations

import asyncio

import pytest

from app.debrid.source import DebridSource
from app.library.db import close_database, open_database
from app.library.repository import Library
from app.sync.slot import SyncError
from tests.app.debrid.conftest import make_client

GIB = 1024**3


def sync_once(source: DebridSource) -> str:
    async def main():
        try:
            return await source.sync()
        finally:
            await source.account.aclose()

    return asyncio.run(main())


def syncs(make_source, count: int = 1, between=None) -> list[str]:
    """`count` runs of one source on one loop; between(i) runs between run i and the next."""

    async def main():
        source = make_source()
        out = []
        try:
            for i in range(count):
                out.append(await source.sync())
                if between is not None and i < count - 1:
                    between(i, source)
        finally:
            await source.account.aclose()
        return out, source

    return asyncio.run(main())


@pytest.fixture
def account(rd):
    rd.add("Heat.1995.1080p.BluRay.x264", [("/Heat.1995.1080p.BluRay.x264.mkv", 2 * GIB)])
    rd.add(
        "Breaking.Bad.S01.720p.WEB",
        [
            ("/Breaking.Bad.S01.720p.WEB/Breaking.Bad.S01E01.720p.WEB.mkv", GIB),
            ("/Breaking.Bad.S01.720p.WEB/Breaking.Bad.S01E02.720p.WEB.mkv", GIB),
            ("/Breaking.Bad.S01.720p.WEB/Sample/breaking.bad.s01e01.sample.mkv", 10_000),
            ("/Breaking.Bad.S01.720p.WEB/info.nfo", 100),
        ],
    )
    rd.add("Unknown.Film.2020.1080p", [("/Unknown.Film.2020.1080p.mkv", GIB)])
    return rd


@pytest.fixture
def titled(library):
    heat = library.add_movie("Heat", 1995)
    show = library.add_show("Breaking Bad", 2008, seasons={1: 3})
    return heat, show


def source_for(library, rd, fake_time, **kwargs) -> DebridSource:
    return DebridSource(library, make_client(rd, fake_time), page_size=2, **kwargs)


def debrid_entries(library) -> list[tuple]:
    return sorted(
        (e.kind, e.title, e.season_number, e.episode_number, e.file_path)
        for e in library.active_entries()
        if e.source_kind == "debrid"
    )


def test_first_sync_matches_movies_and_season_packs_and_lists_the_rest(
    library, titled, account, fake_time
):
    source = source_for(library, account, fake_time)
    summary = sync_once(source)
    assert debrid_entries(library) == [
        ("episode", "Breaking Bad", 1, 1, "Breaking.Bad.S01.720p.WEB/Breaking.Bad.S01E01.720p.WEB.mkv"),
        ("episode", "Breaking Bad", 1, 2, "Breaking.Bad.S01.720p.WEB/Breaking.Bad.S01E02.720p.WEB.mkv"),
        ("movie", "Heat", None, None, "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv"),
    ]  # fmt: skip
    unmatched = {u["path"]: u["reason"] for u in source.detail()["unmatched"]}
    assert unmatched.keys() == {
        "Breaking.Bad.S01.720p.WEB/Sample/breaking.bad.s01e01.sample.mkv",
        "Unknown.Film.2020.1080p/Unknown.Film.2020.1080p.mkv",
    }
    assert (
        "no movie in the library matches Unknown Film (2020)"
        in unmatched["Unknown.Film.2020.1080p/Unknown.Film.2020.1080p.mkv"]
    )
    assert summary.startswith("3 torrents (3 new); 3 assigned, 2 unmatched")
    assert source.info_requests == 3
    assert source.detail()["account"]["username"] == "loopback"


def test_an_unchanged_account_costs_exactly_two_requests(library, titled, account, fake_time):
    def between(i, source):
        account.clear()

    (first, second), source = syncs(lambda: source_for(library, account, fake_time), 2, between)
    assert second.startswith("no change")
    # the two requests go together: their order is the server's
    assert sorted((s.method, s.path) for s in account.seen) == [
        ("GET", "/rest/1.0/torrents"),
        ("GET", "/rest/1.0/torrents/activeCount"),
    ]


def test_the_watch_check_asks_for_a_run_only_on_a_change(library, titled, account, fake_time):
    asked = []

    async def main():
        source = DebridSource(
            library, make_client(account, fake_time), page_size=2, on_change=lambda: asked.append(1)
        )
        try:
            await source.sync()
            account.clear()
            quiet = [await source.check() for _ in range(3)]
            requests_quiet = len(account.seen)
            account.add("New.Movie.2024.1080p", [("/New.Movie.2024.1080p.mkv", GIB)])
            changed = await source.check()
            account.clear()
            summary = await source.sync()  # the run the check asked for reuses its answer
            return quiet, requests_quiet, changed, summary, [s.path for s in account.seen]
        finally:
            await source.account.aclose()

    quiet, requests_quiet, changed, summary, after = asyncio.run(main())
    assert quiet == [False, False, False] and requests_quiet == 6
    assert changed is True and asked == [1]
    assert summary.startswith("4 torrents (1 new)")
    # no second probe: page 1 (spliced onto the cache) and the new torrent's info
    assert after == ["/rest/1.0/torrents", f"/rest/1.0/torrents/info/{account.torrents[0].id}"]


def test_a_new_torrent_is_spliced_onto_the_cached_list(library, titled, account, fake_time):
    def between(i, source):
        account.clear()
        account.add("Heat.1995.2160p.UHD", [("/Heat.1995.2160p.UHD.mkv", 3 * GIB)])

    (_, second), source = syncs(lambda: source_for(library, account, fake_time), 2, between)
    pages = [s.query["page"] for s in account.requests_to("/rest/1.0/torrents")]
    assert pages == [["1"], ["1"]]  # the probe's and page 1: the rest is the cache's
    assert "[spliced, 1 info]" in second
    assert [c.torrent.id for c in source._cached] == [t.id for t in account.torrents]


def test_a_removal_past_page_one_refetches_every_page(library, titled, account, fake_time):
    account.add("Extra.One.2011", [("/Extra.One.2011.mkv", GIB)])
    account.add("Extra.Two.2012", [("/Extra.Two.2012.mkv", GIB)])

    def between(i, source):
        account.clear()
        account.remove(account.torrents[-1].id)  # Heat, the oldest: deep in the list

    (_, second), source = syncs(lambda: source_for(library, account, fake_time), 2, between)
    pages = sorted(s.query["page"][0] for s in account.requests_to("/rest/1.0/torrents"))
    assert pages == ["1", "1", "2"]  # probe, page 1, then the other page (4 torrents)
    assert "3 pages" not in second and "spliced" not in second
    assert "off the share" in second
    assert [e[1] for e in debrid_entries(library)] == ["Breaking Bad", "Breaking Bad"]
    assert [c.torrent.id for c in source._cached] == [t.id for t in account.torrents]


def test_a_wrongly_empty_page_is_fetched_again(library, titled, account, fake_time):
    account.empty_once(2)
    source = source_for(library, account, fake_time)
    summary = sync_once(source)
    pages = [s.query["page"][0] for s in account.requests_to("/rest/1.0/torrents")]
    assert sorted(pages) == ["1", "1", "2", "2"]
    assert summary.startswith("3 torrents (3 new)")


def test_info_is_cached_across_a_restart(paths, account, fake_time):
    db = open_database(paths.database_file)
    library = Library(db)
    library.add_movie("Heat", 1995)
    sync_once(source_for(library, account, fake_time))
    close_database(db)

    account.clear()
    db = open_database(paths.database_file)
    try:
        library = Library(db)
        source = source_for(library, account, fake_time)
        summary = sync_once(source)
        assert source.info_requests == 0
        assert not [s for s in account.seen if s.path.startswith("/rest/1.0/torrents/info")]
        assert "spliced" in summary and "assigned" not in summary
        assert [e[1] for e in debrid_entries(library)] == ["Heat"]
    finally:
        close_database(db)


def test_failing_statuses_are_reported_with_their_reason(library, titled, account, fake_time):
    account.add("Bad.Movie.2021", [("/Bad.Movie.2021.mkv", GIB)], status="virus")
    account.add("Gone.Movie.2022", [("/Gone.Movie.2022.mkv", GIB)], status="dead")
    source = source_for(library, account, fake_time)
    summary = sync_once(source)
    assert (
        "2 failing: Gone.Movie.2022 (dead: it has no seeds left), Bad.Movie.2021 (virus:" in summary
    )
    assert [f["status"] for f in source.detail()["failing"]] == ["dead", "virus"]


def test_a_failed_sync_changes_nothing(library, titled, account, fake_time):
    def between(i, source):
        account.remove(account.torrents[-1].id)
        account.add("Breaking.Bad.S01E03.720p", [("/Breaking.Bad.S01E03.720p.mkv", GIB)])
        account.answer_next(
            "/rest/1.0/torrents/info/", 500, {"error": "internal", "error_code": -1}
        )

    async def main():
        source = DebridSource(library, make_client(account, fake_time, retries=1), page_size=2)
        try:
            await source.sync()
            before = debrid_entries(library)
            between(0, source)
            with pytest.raises(SyncError, match="Real-Debrid refused GET /torrents/info"):
                await source.sync()
            account.clear()
            checked = await source.check()  # quiet for a while after a failure
            return before, checked
        finally:
            await source.account.aclose()

    before, checked = asyncio.run(main())
    assert checked is False and account.seen == []
    assert debrid_entries(library) == before  # Heat stays, S01E03 not added
    from app.debrid import store

    assert len(store.load()) == 3


def test_a_bad_token_fails_the_run_saying_so(library, account, fake_time):
    source = DebridSource(library, make_client(account, fake_time, token="nope"))
    with pytest.raises(SyncError, match="Real-Debrid: the Real-Debrid token is invalid"):
        sync_once(source)


def test_unmatched_files_match_once_their_item_exists_or_by_hand(
    library, titled, account, fake_time
):
    unknown = account.torrents[0]  # Unknown.Film.2020, the newest

    async def main():
        source = source_for(library, account, fake_time)
        try:
            await source.sync()
            library.add_movie("Unknown Film", 2020)
            account.clear()
            again = await source.sync()  # nothing changed in the account: no fetch
            fetched = [s.path for s in account.seen]
            left = [u["path"] for u in source.detail()["unmatched"]]
            sample = source.detail()["unmatched"][0]
            episode = library.find_episode(titled[1].id, 1, 3)
            row = await source.assign(sample["info_hash"], sample["file_id"], "episode", episode.id)
            return again, fetched, left, row, source.detail()["unmatched"]
        finally:
            await source.account.aclose()

    again, fetched, left, row, unmatched_after = asyncio.run(main())
    assert again.startswith("no change") and "1 assigned" in again
    assert sorted(fetched) == ["/rest/1.0/torrents", "/rest/1.0/torrents/activeCount"]
    assert left == ["Breaking.Bad.S01.720p.WEB/Sample/breaking.bad.s01e01.sample.mkv"]
    assert (row.source_kind, row.file_index, row.active) == ("debrid", 3, True)
    assert unmatched_after == []
    assert ("movie", "Unknown Film", None, None, f"{unknown.filename}/{unknown.filename}.mkv") in (
        debrid_entries(library)
    )
    assert ("episode", "Breaking Bad", 1, 3) in [e[:4] for e in debrid_entries(library)]


def test_a_torrent_that_leaves_and_comes_back_is_matched_again(library, titled, account, fake_time):
    # A torrent repaired in the account (re-added, or downloading again) left its files
    # inactive, which later runs read as "taken off the share by the user": never again.
    heat_torrent = account.torrents[-1]

    def between(i, source):
        heat_torrent.status = "downloading" if i == 0 else "downloaded"

    summaries, _ = syncs(lambda: source_for(library, account, fake_time), 3, between)
    assert "1 off the share" in summaries[1]
    assert "taken off the share" not in summaries[2]
    heat = "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv"
    assert ("movie", "Heat", None, None, heat) in debrid_entries(library)


def test_files_packed_into_an_archive_fail_instead_of_serving_archive_bytes(
    library, titled, account, fake_time
):
    packed = account.add("Ronin.1998.1080p", [("/Ronin.1998.1080p.mkv", GIB), ("/x.srt", 10)])
    packed.packed = True
    library.add_movie("Ronin", 1998)
    source = source_for(library, account, fake_time)
    summary = sync_once(source)
    assert "Ronin.1998.1080p (packed: the service packed its files into an archive" in summary
    assert [f["status"] for f in source.detail()["failing"]] == ["packed"]
    assert not any(entry[1] == "Ronin" for entry in debrid_entries(library))


def test_failing_checks_back_off_and_paused_checks_send_nothing(library, account, fake_time):
    paused = [False]

    async def main():
        source = DebridSource(
            library, make_client(account, fake_time, token="nope"), paused=lambda: paused[0]
        )
        try:
            first = await source.check()
            sent_first = len(account.seen)
            again = await source.check()  # within the quiet while after a failure
            sent_again = len(account.seen) - sent_first
            source._quiet_until = 0.0  # the while has passed
            paused[0] = True
            while_paused = await source.check()
            return first, sent_first, again, sent_again, while_paused, source.detail()
        finally:
            await source.account.aclose()

    first, sent_first, again, sent_again, while_paused, detail = asyncio.run(main())
    assert first is False and sent_first >= 1
    assert again is False and sent_again == 0
    assert while_paused is False and len(account.seen) == sent_first
    assert "token is invalid" in detail["check_error"]


def test_a_torrent_waiting_for_its_files_keeps_the_splice(library, titled, account, fake_time):
    # activeCount does not count a torrent waiting for the user to choose its files: counting
    # it made every change fetch every page while one sat on page 1.
    def between(i, source):
        account.clear()
        account.add("Heat.1995.2160p", [("/Heat.1995.2160p.mkv", GIB)], "waiting_files_selection")

    (_, second), _ = syncs(lambda: source_for(library, account, fake_time), 2, between)
    assert second.endswith("[spliced, 0 info]")
