"""TmdbLibrarySource on a real SQLite library, TMDB answers from the fake behind MockTransport."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date

import httpx
import pytest

from app.library.records import EpisodeData
from app.metadata.tmdb import TmdbClient
from app.sync.scheduler import SyncError, SyncScheduler
from app.sync.sources import TmdbLibrarySource
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb


@pytest.fixture
def fake():
    fake = FakeTmdb()
    # Keep Breaking Bad to the seasons the fixtures hold: the specials and season 1.
    show = fake.edit("/3/tv/1396")
    show["seasons"] = show["seasons"][:2]
    show["seasons"][0]["episode_count"] = 3
    return fake


def sync(library, fake, **kwargs):
    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            return await TmdbLibrarySource(library, client, **kwargs).sync()

    return asyncio.run(main())


def titles(library, show_id, number):
    season = next(s for s in library.seasons(show_id) if s.number == number)
    return [e.title for e in library.episodes(season.id)]


def test_show_gets_its_seasons_specials_and_episode_titles(library, fake):
    show = library.add_show("Breaking Bad", 2008, tmdb_id=1396, seasons={1: 3})

    summary = sync(library, fake)

    assert [s.number for s in library.seasons(show.id)] == [0, 1]
    assert titles(library, show.id, 1) == [
        "Pilot",
        "Cat's in the Bag...",
        "...And the Bag's in the River",
        "Cancer Man",
        "Gray Matter",
        "Crazy Handful of Nothin'",
        "A No-Rough-Stuff-Type Deal",
    ]
    assert titles(library, show.id, 0) == ["Good Cop Bad Cop", "Wedding Day", "TwaüghtHouse"]
    pilot = library.find_episode(show.id, 1, 1)
    assert pilot.air_date == date(2008, 1, 20)
    assert pilot.still_path == "/ydlY3iPfeOAvu8gVqrxPoMvzNCn.jpg"
    season_one = next(s for s in library.seasons(show.id) if s.number == 1)
    assert (season_one.name, season_one.air_date) == ("Season 1", date(2008, 1, 20))
    refreshed = library.get_show(show.id)
    assert refreshed.poster_path == "/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg"
    assert refreshed.backdrop_path == "/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg"
    assert refreshed.imdb_id == "tt0903747"
    assert refreshed.title == "Breaking Bad"
    assert summary.startswith("1 show and 0 movies checked, 7 new episodes")


def test_new_episodes_appear_on_the_next_sync(library, fake):
    show = library.add_show("Breaking Bad", 2008, tmdb_id=1396)
    sync(library, fake)
    # TMDB adds an episode: the show's count goes up and the season lists it.
    fake.edit("/3/tv/1396")["seasons"][1]["episode_count"] = 8
    season = fake.edit("/3/tv/1396/season/1")
    extra = dict(
        season["episodes"][-1],
        episode_number=8,
        id=62099,
        name="Bonus Cut",
        air_date="2008-03-16",
        still_path=None,
    )
    season["episodes"].append(extra)

    summary = sync(library, fake)

    assert titles(library, show.id, 1)[-1] == "Bonus Cut"
    assert len(titles(library, show.id, 1)) == 8
    assert "1 new episode," in summary


def test_a_quiet_sync_writes_nothing_and_skips_settled_seasons(library, fake):
    library.add_show("Breaking Bad", 2008, tmdb_id=1396)
    sync(library, fake)
    writes = []
    library.add_listener(lambda: writes.append(1))
    before = len(fake.requests)

    summary = sync(library, fake)

    assert writes == []
    # Both seasons aired in 2008-2009, all titled and complete: only the show is re-read.
    assert [r.url.path for r in fake.requests[before:]] == ["/3/tv/1396"]
    assert summary == "1 show and 0 movies checked, 0 new episodes, 0 updates"


def test_a_show_gets_its_imdb_id_and_keeps_it_while_tmdb_does_not_know_it(library, fake):
    show = library.add_show("Breaking Bad", 2008, tmdb_id=1396, imdb_id="tt0000001")
    fake.edit("/3/tv/1396/external_ids")["imdb_id"] = None
    sync(library, fake)
    assert library.get_show(show.id).imdb_id == "tt0000001"
    fake.data["/3/tv/1396/external_ids"]["imdb_id"] = "tt0903747"

    summary = sync(library, fake)

    assert library.get_show(show.id).imdb_id == "tt0903747"
    assert summary == "1 show and 0 movies checked, 0 new episodes, 1 update"


def test_unsettled_season_is_fetched_again_and_titles_arrive(library, fake):
    show = library.add_show("Breaking Bad", 2008, tmdb_id=1396)
    season = fake.edit("/3/tv/1396/season/1")
    season["episodes"][6]["name"] = ""  # TMDB knows the episode but not its title yet
    sync(library, fake)
    assert library.find_episode(show.id, 1, 7).title == ""
    fake.data["/3/tv/1396/season/1"]["episodes"][6]["name"] = "A No-Rough-Stuff-Type Deal"

    sync(library, fake)

    assert library.find_episode(show.id, 1, 7).title == "A No-Rough-Stuff-Type Deal"
    assert fake.hits("/3/tv/1396/season/1") == 2
    assert fake.hits("/3/tv/1396/season/0") == 1


def test_movie_details_are_refreshed_but_the_title_is_kept(library, fake):
    movie = library.add_movie("Matrix", 1999, tmdb_id=603)
    unlinked = library.add_movie("Home Video", 2001)

    summary = sync(library, fake)

    fresh = library.get_movie(movie.id)
    assert fresh.imdb_id == "tt0133093"
    assert fresh.poster_path == "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"
    assert fresh.backdrop_path == "/l4QHerTSbMI7qgvasqxP36pqjN6.jpg"
    assert fresh.overview.startswith("Set in the 22nd century")
    assert (fresh.title, fresh.year) == ("Matrix", 1999)
    assert library.get_movie(unlinked.id).overview == ""
    assert [r.url.path for r in fake.requests] == ["/3/movie/603"]
    assert summary == "0 shows and 1 movie checked, 0 new episodes, 1 update"


def test_one_missing_item_is_reported_and_the_rest_refreshed(library, fake):
    library.add_movie("Gone", 2010, tmdb_id=424242)
    kept = library.add_movie("The Matrix", 1999, tmdb_id=603)

    summary = sync(library, fake)

    assert library.get_movie(kept.id).imdb_id == "tt0133093"
    assert "1 failed: Gone: TMDB has no movie 424242" in summary


def test_everything_failing_is_an_error(library, fake):
    library.add_movie("Gone", 2010, tmdb_id=424242)
    with pytest.raises(SyncError, match="failed for every item.*TMDB has no movie 424242"):
        sync(library, fake)


def test_a_refused_key_stops_the_sync_with_a_clear_error(library):
    library.add_show("Breaking Bad", 2008, tmdb_id=1396)
    library.add_movie("The Matrix", 1999, tmdb_id=603)
    fake = FakeTmdb(credential="ffffffffffffffffffffffffffffffff")
    with pytest.raises(SyncError, match="stopped: TMDB refused the API key.*Invalid API key"):
        sync(library, fake, concurrency=1)
    assert len(fake.requests) == 1


def test_rate_limit_stops_the_sync(library, fake):
    library.add_movie("The Matrix", 1999, tmdb_id=603)
    fake.queue(
        "/3/movie/603",
        httpx.Response(
            429,
            json={
                "status_code": 25,
                "success": False,
                "status_message": "Your request count (#) is over the allowed limit of (40).",
            },
            headers={"Retry-After": "3600"},
        ),
    )
    with pytest.raises(SyncError, match="limiting"):
        sync(library, fake)


def test_without_a_key_only_linked_items_need_one(library):
    source = TmdbLibrarySource(library, lambda: None)
    library.add_movie("Home Video", 2001)
    # nothing to refresh, so no failure, but the run says a key is missing rather than "ok"
    assert asyncio.run(source.sync()) == "skipped: no TMDB API key is set (add one in Settings)"
    assert source.detail() == {"kind": "tmdb", "key_set": False}
    library.add_movie("The Matrix", 1999, tmdb_id=603)
    with pytest.raises(SyncError, match="no TMDB API key"):
        asyncio.run(source.sync())


def test_assigned_episodes_that_tmdb_dropped_do_not_cause_writes_each_time(library, fake):
    show = library.add_show(
        "Breaking Bad",
        2008,
        tmdb_id=1396,
        seasons={1: [EpisodeData(number) for number in range(1, 9)]},
    )
    extra = library.find_episode(show.id, 1, 8)
    library.assign(
        "episode",
        extra.id,
        info_hash="a" * 40,
        file_index=0,
        file_path="Breaking.Bad.S01E08.mkv",
        file_size=1000,
    )
    sync(library, fake)
    assert library.find_episode(show.id, 1, 8) is not None  # kept: a file is assigned to it
    writes = []
    library.add_listener(lambda: writes.append(1))
    fake.edit("/3/tv/1396")["seasons"][1]["episode_count"] = 99  # keep season 1 unsettled

    sync(library, fake)

    assert fake.hits("/3/tv/1396/season/1") == 2
    assert writes == []


def test_scheduler_runs_the_source_and_records_its_summary(library, fake):
    library.add_show("Breaking Bad", 2008, tmdb_id=1396)

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            scheduler = SyncScheduler(interval=60)
            scheduler.add_source(TmdbLibrarySource(library, lambda: client))
            scheduler.start()
            summary = await scheduler.sync_now("tmdb")
            state = scheduler.state("tmdb")
            await scheduler.aclose()
            return summary, state

    summary, state = asyncio.run(main())
    assert state.last_summary == summary
    assert "10 new episodes" in summary
    assert state.last_error is None and state.next_due is not None


def test_requests_are_paced_across_concurrent_items(library, fake):
    library.add_movie("The Matrix", 1999, tmdb_id=603)
    for number in range(11):
        library.add_movie(f"Lost {number}", 2000 + number, tmdb_id=900000 + number)
    started = time.monotonic()

    summary = sync(library, fake, concurrency=4, requests_per_second=40)

    elapsed = time.monotonic() - started
    assert len(fake.requests) == 12  # one request per movie, 11 of them unknown to TMDB
    assert elapsed >= 11 / 40 * 0.95  # 12 requests at most 40 a second, though 4 at a time
    assert "11 failed" in summary


class WatchedLock:
    """The library's real write lock, noting which thread had to wait for it."""

    def __init__(self, lock) -> None:
        self._lock = lock
        self.waited = threading.Event()
        self.waiter: str | None = None

    def __enter__(self) -> WatchedLock:
        if not self._lock.acquire(blocking=False):
            self.waiter = threading.current_thread().name
            self.waited.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def test_the_loop_runs_on_while_a_refresh_write_waits_for_the_library(library, fake):
    show = library.add_show("Breaking Bad", 2008, tmdb_id=1396)
    movie = library.add_movie("The Matrix", 1999, tmdb_id=603)
    writers: list[str] = []
    library.add_listener(lambda: writers.append(threading.current_thread().name))
    lock = library.db.write_lock = WatchedLock(library.db.write_lock)
    held, release = threading.Event(), threading.Event()
    answered_by_loop: list[bool] = []

    def hold() -> None:  # another writer (an API import, a folder sync) holds the lock
        with lock:
            held.set()
            # Only the loop lets go; the timeout only ends a failing test.
            answered_by_loop.append(release.wait(10))

    holder = threading.Thread(target=hold, name="other-writer")
    holder.start()
    held.wait()

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            refresh = asyncio.ensure_future(TmdbLibrarySource(library, client).sync())
            while not lock.waited.is_set():  # the loop keeps turning while the write waits
                await asyncio.sleep(0.01)
            release.set()
            return threading.current_thread().name, await refresh

    loop_thread, summary = asyncio.run(main())
    holder.join()
    assert answered_by_loop == [True]  # the loop ran while the refresh's write waited
    assert lock.waiter is not None and lock.waiter != loop_thread
    assert writers and loop_thread not in writers  # every write ran off the loop
    assert library.get_movie(movie.id).imdb_id == "tt0133093"
    assert titles(library, show.id, 1)[0] == "Pilot"
    assert summary.startswith("1 show and 1 movie checked, 10 new episodes")
