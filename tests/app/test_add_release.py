"""app.add.from_release against the TMDB emulation on 127.0.0.1 and the real TmdbClient: a
search hit is taken only when it is the release's title and year."""

from __future__ import annotations

import asyncio

from app.add import NewMovie, NewShow, from_release
from app.metadata.tmdb import TmdbClient
from tests.support.tmdb_server import KEY, Movie, Show, TmdbServer


def described(kind: str, title: str, year: int | None, episodes=()):
    async def main(tmdb: TmdbServer):
        client = TmdbClient(KEY, api_url=tmdb.api_url, max_retries=0)
        try:
            return await from_release(client, kind, title, year, episodes)
        finally:
            await client.aclose()

    with TmdbServer() as tmdb:
        tmdb.add_movie(Movie(679, "Aliens", "1986-07-18"))
        tmdb.add_show(Show(70523, "Dark", "2017-12-01", seasons={1: ["Secrets", "Lies"]}))
        return asyncio.run(main(tmdb))


def test_a_hit_with_the_same_title_and_year_is_taken():
    movie = described("movie", "Aliens", 1986)
    assert isinstance(movie, NewMovie) and movie.tmdb_id == 679
    show = described("episode", "Dark", 2017, [(1, [2])])
    assert isinstance(show, NewShow) and show.tmdb_id == 70523


def test_another_film_found_by_the_search_is_not_taken():
    # "Alien" finds "Aliens" (TMDB searches by substring): the first hit is another film
    movie = described("movie", "Alien", None)
    assert isinstance(movie, NewMovie) and movie.tmdb_id is None
    assert (movie.title, movie.year) == ("Alien", None)


def test_a_show_from_its_name_gets_the_seasons_its_files_need():
    show = described("episode", "Unknown Show", 2020, [(1, [1, 2]), (2, [5]), (1, [4])])
    assert isinstance(show, NewShow) and show.tmdb_id is None
    assert show.seasons == {1: 4, 2: 5}
