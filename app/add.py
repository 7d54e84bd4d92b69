"""Adding movies and shows to the library, by hand or from TMDB: the one flow both front ends use.

An item to add is first described as plain data (NewMovie, NewShow), then stored with
add_to(library). From TMDB, movie_from_tmdb() and show_from_tmdb() build that description
from the client's answers: for a show, every season with its episodes' titles, overviews and
air dates, so the window and the JSON API store the same rows for the same TMDB id.

Threads: the TMDB part is async and runs on the app's loop, where the client lives (the
window awaits it; the API's workers hop there through Core). add_to() blocks on the library
and runs on a worker thread (the window's asyncio.to_thread, the API's cheroot worker).
Errors are the client's (TmdbNotFound, TmdbNetworkError, ...) and the library's
(DuplicateItem, InvalidValue); each front end turns them into its own answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.library.records import EpisodeData
from app.library.release_match import likely_hit
from app.metadata.tmdb import TmdbError

if TYPE_CHECKING:
    from app.library.models import Movie, Show
    from app.library.repository import Library
    from app.metadata.tmdb import TmdbClient

logger = logging.getLogger(__name__)

# season number -> its episodes, or only how many there are (untitled until the TMDB sync)
Seasons = Mapping[int, int | Sequence[EpisodeData]]


# what a movie or a show keeps from TMDB besides its title and year
DETAILS = ("tmdb_id", "imdb_id", "overview", "poster_path", "backdrop_path")


@dataclass(frozen=True)
class NewItem:
    """What a movie and a show to add both have."""

    title: str
    year: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    overview: str = ""
    poster_path: str | None = None
    backdrop_path: str | None = None


@dataclass(frozen=True)
class NewMovie(NewItem):
    def add_to(self, library: Library) -> Movie:
        """Store it; DuplicateItem when the library has it already (same TMDB id, or title
        and year)."""
        return library.add_movie(self.title, self.year, **_details(self))


@dataclass(frozen=True)
class NewShow(NewItem):
    seasons: Seasons = field(default_factory=dict)

    def add_to(self, library: Library) -> Show:
        """Store it with its seasons and episodes; DuplicateItem as for a movie."""
        return library.add_show(self.title, self.year, seasons=self.seasons, **_details(self))


def _details(item: object) -> dict[str, object]:
    return {key: getattr(item, key) for key in DETAILS}


async def movie_from_tmdb(client: TmdbClient, tmdb_id: int) -> NewMovie:
    """The movie as TMDB describes it (on the client's loop)."""
    details = await client.movie(tmdb_id)
    return NewMovie(details.title, details.year, **_details(details))


async def show_from_tmdb(client: TmdbClient, tmdb_id: int) -> NewShow:
    """The show with every season's episodes (on the client's loop).

    A season TMDB cannot give gets its episode count (untitled episodes the next sync fills
    in) rather than failing the whole add; a show TMDB cannot give raises the client's error.
    """
    details = await client.show(tmdb_id)
    answers = await asyncio.gather(
        *(client.season(tmdb_id, summary.number) for summary in details.seasons),
        return_exceptions=True,
    )
    seasons: dict[int, int | tuple[EpisodeData, ...]] = {}
    for summary, answer in zip(details.seasons, answers, strict=True):
        if isinstance(answer, TmdbError):
            logger.info("Season %d of TMDB show %d: %s", summary.number, tmdb_id, answer)
            seasons[summary.number] = summary.episode_count
        elif isinstance(answer, BaseException):
            raise answer  # a bug or a cancellation, not TMDB's answer
        else:
            seasons[summary.number] = tuple(
                EpisodeData(e.number, e.title, e.overview, e.air_date, e.still_path)
                for e in answer.episodes
            )
    return NewShow(details.title, details.year, seasons=seasons, **_details(details))


async def from_release(
    client: TmdbClient | None,
    kind: str,
    title: str,
    year: int | None,
    episodes: Sequence[tuple[int, Sequence[int]]] = (),
) -> NewMovie | NewShow:
    """The movie or show a release name reads as (kind "movie" or "episode"): as TMDB's hit
    that is that title and year describes it, else from the name alone, a show then with the
    seasons its (season, episode numbers) need. TMDB's first hit for an unknown name is some
    other film, so only a hit with the same title and year is taken."""
    if client is not None:
        if kind == "movie":
            hit = likely_hit(title, year, await client.search_movies(title, year))
            if hit is not None:
                return await movie_from_tmdb(client, hit.tmdb_id)
        else:
            hit = likely_hit(title, year, await client.search_shows(title, year))
            if hit is not None:
                return await show_from_tmdb(client, hit.tmdb_id)
    if kind == "movie":
        return NewMovie(title, year)
    seasons: dict[int, int] = {}
    for season, numbers in episodes:
        if numbers:
            seasons[season] = max(seasons.get(season, 0), *numbers)
    return NewShow(title, year, seasons=seasons)
