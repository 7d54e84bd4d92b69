"""Bulk add of a watched folder's unmatched videos as new movies and shows: real sparse files
in tmp_path, a real library file, the real folder source, and the real TmdbClient against a
TMDB emulation on a loopback HTTP server (tests/support/tmdb_server.py)."""

from __future__ import annotations

import asyncio

from app.metadata.tmdb import TmdbClient
from app.sync.bulk_add import BulkAdd
from tests.support.loopback import free_port
from tests.support.swarm import MiB
from tests.support.tmdb_server import KEY, Movie, Show, TmdbServer

MOVIES = {
    "Heat.1995.1080p.BluRay.x264-GRP.mkv": ("Heat", 1995),
    "The.Matrix.1999.720p.WEB-DL.mkv": ("The Matrix", 1999),
    "Alien.1979.Remastered.mkv": ("Alien", 1979),
    "Inception.2010.mkv": ("Inception", 2010),
    "Arrival (2016)/Arrival.2016.2160p.mkv": ("Arrival", 2016),
    "Gattaca.1997.mkv": ("Gattaca", 1997),
    "Memento.2000.DVDRip.avi": ("Memento", 2000),
    "Jaws.1975.mkv": ("Jaws", 1975),
    "Fargo.1996.mkv": ("Fargo", 1996),
    "Vertigo.1958.mkv": ("Vertigo", 1958),
    "Casablanca.1942.mkv": ("Casablanca", 1942),
    "Chinatown.1974.mp4": ("Chinatown", 1974),
}
EPISODES = {f"Dark/Season 1/Dark.S01E{n:02d}.720p.WEB.mkv": n for n in range(1, 11)}
SAMPLE = "Heat.1995.Sample.mkv"


def sparse(path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)


def fill(folder) -> None:
    for name in MOVIES:
        sparse(folder / name, 700 * MiB)
    for name in EPISODES:
        sparse(folder / name, 300 * MiB)
    sparse(folder / SAMPLE, 20 * MiB)


def unmatched_after_a_scan(source) -> list[str]:
    assert asyncio.run(source.sync()) == "23 added; 23 unmatched"
    return [entry["path"] for entry in source.detail()["unmatched"]]


def local_file(library, item_type, item_id) -> str | None:
    row = library.active_assignment(item_type, item_id)
    return row.local_path if row is not None else None


def test_unmatched_files_become_new_movies_and_a_show_without_tmdb(library, folder, make_source):
    fill(folder)
    source = make_source(folder)
    paths = unmatched_after_a_scan(source)
    seen = []

    outcome = asyncio.run(BulkAdd(library, on_progress=seen.append).run(str(folder), paths))

    assert outcome.errors == [
        (str(folder / SAMPLE), "it is a sample, not a movie or an episode: assign it by hand")
    ]
    assert (len(outcome.added), outcome.assigned, outcome.cancelled) == (13, 22, False)
    movies = {(m.title, m.year): m for m in library.list_movies()}
    assert sorted(movies) == sorted(MOVIES.values())
    for name, key in MOVIES.items():
        assert local_file(library, "movie", movies[key].id) == str(folder / name)
        assert movies[key].tmdb_id is None
    [show] = library.list_shows()
    assert (show.title, show.year, show.tmdb_id) == ("Dark", None, None)
    [season] = library.seasons(show.id)
    assert [e.number for e in library.episodes(season.id)] == list(range(1, 11))
    for name, number in EPISODES.items():
        episode = library.find_episode(show.id, 1, number)
        assert local_file(library, "episode", episode.id) == str(folder / name)
    # progress counts files, in order, up to all of them
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert (seen[-1].done, seen[-1].total, seen[-1].current) == (23, 23, "")
    # the folder's next scan finds them assigned: only the sample still waits
    assert asyncio.run(source.sync()) == "no changes; 1 unmatched"


def test_with_tmdb_the_best_hit_is_added_with_its_details(library, folder, make_source):
    fill(folder)
    source = make_source(folder)
    paths = unmatched_after_a_scan(source)

    async def main(tmdb):
        client = TmdbClient(KEY, api_url=tmdb.api_url, max_retries=0)
        try:
            return await BulkAdd(library, client).run(str(folder), paths)
        finally:
            await client.aclose()

    with TmdbServer() as tmdb:
        tmdb.add_movie(Movie(1, "Heat", "1986-10-01", "Not this one"))  # the year tells
        tmdb.add_movie(Movie(949, "Heat", "1995-12-15", "A heist.", "tt0113277"))
        tmdb.add_movie(Movie(603, "The Matrix", "1999-03-31", "Neo wakes up.", "tt0133093"))
        # TMDB knows 8 episodes of the first season; the folder holds 10
        tmdb.add_show(
            Show(70523, "Dark", "2017-12-01", "Time travel.", {1: [f"Ep {n}" for n in range(1, 9)]})
        )
        outcome = asyncio.run(main(tmdb))
        searches = [
            (path, q.get("query"), q.get("year")) for path, q in tmdb.requests if "search" in path
        ]

    assert ("/3/search/movie", "Heat", "1995") in searches
    assert ("/3/search/tv", "Dark", None) in searches
    heat = next(m for m in library.list_movies() if m.title == "Heat")
    assert (heat.tmdb_id, heat.year, heat.overview, heat.imdb_id) == (
        949,
        1995,
        "A heist.",
        "tt0113277",
    )
    matrix = next(m for m in library.list_movies() if m.title == "The Matrix")
    assert (matrix.tmdb_id, matrix.poster_path) == (603, "/poster-603.jpg")
    jaws = next(m for m in library.list_movies() if m.title == "Jaws")
    assert (jaws.tmdb_id, jaws.year) == (None, 1975)  # no hit: from its name
    [show] = library.list_shows()
    assert (show.title, show.year, show.tmdb_id) == ("Dark", 2017, 70523)
    [season] = library.seasons(show.id)
    assert [e.title for e in library.episodes(season.id)] == [f"Ep {n}" for n in range(1, 9)]
    for name, number in EPISODES.items():
        if number <= 8:
            episode = library.find_episode(show.id, 1, number)
            assert local_file(library, "episode", episode.id) == str(folder / name)
    assert sorted(outcome.errors) == sorted(
        [(str(folder / SAMPLE), "it is a sample, not a movie or an episode: assign it by hand")]
        + [
            (str(folder / name), f"Dark (2017) has no S01E{number:02d} in the library")
            for name, number in EPISODES.items()
            if number > 8
        ]
    )
    assert (len(outcome.added), outcome.assigned) == (13, 20)


def test_cancel_keeps_what_was_done(library, folder):
    fill(folder)
    paths = sorted(str(folder / name) for name in MOVIES)
    bulk = BulkAdd(library)
    calls = []

    def progress(step):
        calls.append(step)
        if len(calls) == 3:
            bulk.cancel()  # while the third movie is being added

    bulk.on_progress = progress
    outcome = asyncio.run(bulk.run(str(folder), paths))

    assert outcome.cancelled and outcome.assigned == 3 and outcome.errors == []
    assert len(library.list_movies()) == 3 == len(library.local_assignments(active_only=True))
    assert [c.current for c in calls[:3]] == outcome.added
    assert calls[-1].done == 3


def test_tmdb_unreachable_adds_nothing_and_says_why(library, folder):
    fill(folder)
    paths = [str(folder / "Jaws.1975.mkv"), str(folder / "Fargo.1996.mkv")]

    async def main():
        client = TmdbClient(KEY, api_url=f"http://127.0.0.1:{free_port()}/3", max_retries=0)
        try:
            return await BulkAdd(library, client).run(str(folder), paths)
        finally:
            await client.aclose()

    outcome = asyncio.run(main())
    assert [path for path, _why in outcome.errors] == paths
    assert all("TMDB could not be asked: cannot reach TMDB" in why for _path, why in outcome.errors)
    assert library.list_movies() == [] and outcome.added == []
