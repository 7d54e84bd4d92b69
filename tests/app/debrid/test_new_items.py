"""debrid.add_unmatched: the movies and shows of unmatched files join the library, then match."""

from __future__ import annotations

import asyncio

from app.debrid.source import DebridSource
from app.metadata.tmdb import TmdbClient
from tests.app.debrid.conftest import make_client
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb

GIB = 1024**3


def fill(rd) -> None:
    rd.add("The.Matrix.1999.1080p", [("/The.Matrix.1999.1080p.mkv", GIB)])
    rd.add(
        "Breaking.Bad.S01.720p",
        [
            ("/Breaking.Bad.S01.720p/Breaking.Bad.S01E01.720p.mkv", GIB),
            ("/Breaking.Bad.S01.720p/Breaking.Bad.S01E03.720p.mkv", GIB),
        ],
    )


def sync(library, rd, fake_time, *, tmdb=None, add_unmatched=True) -> tuple[str, DebridSource]:
    async def main():
        client = TmdbClient(API_KEY, transport=tmdb.transport()) if tmdb else None
        source = DebridSource(
            library,
            make_client(rd, fake_time),
            add_unmatched=add_unmatched,
            tmdb=lambda: client,
        )
        try:
            return await source.sync(), source
        finally:
            await source.account.aclose()
            if client is not None:
                await client.aclose()

    return asyncio.run(main())


def shows(library) -> list[tuple]:
    out = []
    for show in library.list_shows():
        for season in library.seasons(show.id):
            episodes = library.episodes(season.id)
            out.append((show.title, show.year, show.tmdb_id, season.number, len(episodes)))
    return out


def test_without_tmdb_the_title_and_year_are_added_by_hand(library, rd, fake_time):
    fill(rd)
    summary, source = sync(library, rd, fake_time)
    assert [(m.title, m.year, m.tmdb_id) for m in library.list_movies()] == [
        ("The Matrix", 1999, None)
    ]
    assert shows(library) == [("Breaking Bad", None, None, 1, 3)]  # up to the last file's episode
    assert "3 assigned" in summary and source.detail()["unmatched"] == []


def test_with_tmdb_the_items_come_from_tmdb(library, rd, fake_time):
    fill(rd)
    tmdb = FakeTmdb()
    summary, _ = sync(library, rd, fake_time, tmdb=tmdb)
    assert [(m.title, m.year, m.tmdb_id) for m in library.list_movies()] == [
        ("The Matrix", 1999, 603)
    ]
    assert ("Breaking Bad", 2008, 1396, 1, 7) in shows(library)  # season 1 as TMDB has it
    assert "3 assigned" in summary
    assert tmdb.hits("/3/search/movie") == 1 and tmdb.hits("/3/search/tv") == 1


def test_off_by_default_nothing_is_added(library, rd, fake_time):
    fill(rd)
    summary, source = sync(library, rd, fake_time, add_unmatched=False)
    assert library.list_movies() == [] and library.list_shows() == []
    assert len(source.detail()["unmatched"]) == 3 and "assigned" not in summary
