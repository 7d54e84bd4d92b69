"""Sync sources: what a scheduled sync does. First one: refresh TMDB-linked library items.

`TmdbLibrarySource` re-reads every TMDB-linked show (its seasons, specials included, and
their episodes, so new episodes appear) and every TMDB-linked movie (IMDb id, overview,
poster, backdrop). Titles and years are left alone: they name the files players see, and those names
must stay stable. Only what changed is written, so a quiet sync does not wake the share.
Requests go out a few at a time and are paced (at most `requests_per_second`), well under
TMDB's limit, so a large library does not run into 429 answers.

Threads: sync() runs on the app's loop (the Qt thread in the window), where the TMDB client
lives; every library read and write goes to a worker thread (`asyncio.to_thread`), because a
write waits for the library's write lock while another thread holds it, and the window must
not wait with it. Each write is one short transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.library.errors import LibraryError
from app.library.models import Episode, Movie, Season, Show
from app.library.records import EpisodeData
from app.library.repository import Library
from app.metadata.models import MovieDetails, SeasonDetails, SeasonSummary, ShowDetails
from app.metadata.tmdb import (
    TmdbAuthError,
    TmdbClient,
    TmdbError,
    TmdbNetworkError,
    TmdbRateLimited,
)
from app.sync.scheduler import SyncError

logger = logging.getLogger(__name__)

# A season whose episodes all have titles, whose count matches TMDB's and whose last episode
# aired this long ago is settled: its details are not fetched again (one request saved per
# season per sync; a library of long-running shows has hundreds).
SETTLED_AFTER = timedelta(days=90)
# Errors that would fail every other item too: stop the sync instead of repeating them.
_FATAL = (TmdbAuthError, TmdbNetworkError, TmdbRateLimited)


@dataclass
class _Report:
    shows: int = 0
    movies: int = 0
    new_episodes: int = 0
    updated: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{_plural(self.shows, 'show')} and {_plural(self.movies, 'movie')} checked",
            f"{_plural(self.new_episodes, 'new episode')}",
            f"{_plural(self.updated, 'update')}",
        ]
        if self.failures:
            parts.append(f"{len(self.failures)} failed: {'; '.join(self.failures)}")
        return ", ".join(parts)


class TmdbLibrarySource:
    """Refreshes shows and movies from TMDB; `tmdb` is a client or a function returning the
    current one (the core replaces its client when the key changes)."""

    name = "tmdb"

    def __init__(
        self,
        library: Library,
        tmdb: TmdbClient | Callable[[], TmdbClient | None] | None,
        *,
        concurrency: int = 4,
        requests_per_second: float = 20.0,
    ) -> None:
        self.library = library
        self._tmdb = tmdb
        self._concurrency = max(1, concurrency)
        self._requests_per_second = requests_per_second

    def _client(self) -> TmdbClient | None:
        if self._tmdb is None or isinstance(self._tmdb, TmdbClient):
            return self._tmdb
        return self._tmdb()

    def detail(self) -> dict[str, Any]:
        """Whether a key is set, so the Sync view says "no key set" rather than "ok"."""
        return {"kind": "tmdb", "key_set": self._client() is not None}

    async def sync(self) -> str:
        shows, movies = await asyncio.to_thread(self._linked)
        client = self._client()
        if client is None and (shows or movies):
            raise SyncError("no TMDB API key is set: add one in Settings to refresh the library")
        if client is None:  # nothing to refresh yet: no failure, but no "ok" either
            return "skipped: no TMDB API key is set (add one in Settings)"
        if not shows and not movies:
            return "no shows or movies are linked to TMDB"
        report = _Report()
        limit = asyncio.Semaphore(self._concurrency)
        pace = _Pace(self._requests_per_second)
        fatal: list[TmdbError] = []

        async def guarded(item: Show | Movie) -> None:
            async with limit:
                if fatal:
                    return
                try:
                    if isinstance(item, Show):
                        await self._refresh_show(client, item, report, pace)
                    else:
                        await self._refresh_movie(client, item, report, pace)
                except _FATAL as exc:
                    fatal.append(exc)
                except (TmdbError, LibraryError) as exc:
                    logger.warning("TMDB refresh of %r failed: %s", item.title, exc)
                    report.failures.append(f"{item.title}: {exc}")

        await asyncio.gather(*(guarded(item) for item in [*shows, *movies]))
        if fatal:
            raise SyncError(f"TMDB refresh stopped: {fatal[0]}") from fatal[0]
        if report.failures and len(report.failures) == len(shows) + len(movies):
            raise SyncError(f"TMDB refresh failed for every item: {'; '.join(report.failures)}")
        return report.summary()

    async def _refresh_show(
        self, client: TmdbClient, show: Show, report: _Report, pace: _Pace
    ) -> None:
        await pace.wait()
        details = await client.show(show.tmdb_id)
        stored_seasons = await asyncio.to_thread(self._stored_seasons, show.id)
        for summary in details.seasons:
            stored, stored_episodes = stored_seasons.get(summary.number, (None, {}))
            if stored is not None and _settled(summary, stored_episodes):
                continue
            await pace.wait()
            season = await client.season(show.tmdb_id, summary.number)
            episodes = [
                EpisodeData(
                    number=episode.number,
                    title=episode.title,
                    overview=episode.overview,
                    air_date=_date(episode.air_date),
                    still_path=episode.still_path,
                )
                for episode in season.episodes
            ]
            if not await asyncio.to_thread(
                self._season_changed, stored, stored_episodes, season, episodes
            ):
                continue
            await asyncio.to_thread(
                self.library.upsert_season,
                show.id,
                season.number,
                name=season.name,
                overview=season.overview,
                poster_path=season.poster_path,
                air_date=_date(season.air_date),
                episodes=episodes,
            )
            report.new_episodes += sum(1 for e in episodes if e.number not in stored_episodes)
            report.updated += 1
        changes = _changes(show, details)
        if changes:
            await asyncio.to_thread(self.library.update_show, show.id, **changes)
            report.updated += 1
        report.shows += 1

    async def _refresh_movie(
        self, client: TmdbClient, movie: Movie, report: _Report, pace: _Pace
    ) -> None:
        await pace.wait()
        details = await client.movie(movie.tmdb_id)
        changes = _changes(movie, details)
        if changes:
            await asyncio.to_thread(self.library.update_movie, movie.id, **changes)
            report.updated += 1
        report.movies += 1

    # ---- library work, in a worker thread ---------------------------------------------------

    def _linked(self) -> tuple[list[Show], list[Movie]]:
        shows = [show for show in self.library.list_shows() if show.tmdb_id]
        movies = [movie for movie in self.library.list_movies() if movie.tmdb_id]
        return shows, movies

    def _stored_seasons(self, show_id: int) -> dict[int, tuple[Season, dict[int, Episode]]]:
        """The show's seasons by number, each with its episodes by number."""
        return {
            season.number: (
                season,
                {episode.number: episode for episode in self.library.episodes(season.id)},
            )
            for season in self.library.seasons(show_id)
        }

    def _season_changed(
        self,
        stored: Season | None,
        stored_episodes: dict[int, Episode],
        season: SeasonDetails,
        episodes: Sequence[EpisodeData],
    ) -> bool:
        """Would upsert_season change anything? Mirrors its rules: None and empty values
        never overwrite, and episodes TMDB dropped go only when nothing is assigned to them."""
        if stored is None:
            return True
        fields = dict(
            name=season.name,
            overview=season.overview,
            poster_path=season.poster_path,
            air_date=_date(season.air_date),
        )
        if any(
            value is not None and value != getattr(stored, key) for key, value in fields.items()
        ):
            return True
        for data in episodes:
            old = stored_episodes.get(data.number)
            if old is None:
                return True
            for key in ("title", "overview", "air_date", "still_path"):
                value = getattr(data, key)
                if value and value != getattr(old, key):
                    return True
        wanted = {data.number for data in episodes}
        return any(
            number not in wanted and not self.library.assignments_of("episode", old.id)
            for number, old in stored_episodes.items()
        )


class _Pace:
    """Spaces requests at least 1/per_second apart, whichever task sends them."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            await asyncio.sleep(slot - now)


def _settled(summary: SeasonSummary, stored_episodes: dict[int, Episode]) -> bool:
    if not stored_episodes or len(stored_episodes) != summary.episode_count:
        return False
    if not all(episode.title and episode.air_date for episode in stored_episodes.values()):
        return False
    last_aired = max(episode.air_date for episode in stored_episodes.values())
    return date.today() - last_aired > SETTLED_AFTER


REFRESHED = ("imdb_id", "overview", "poster_path", "backdrop_path")


def _changes(item: Show | Movie, details: MovieDetails | ShowDetails) -> dict[str, str]:
    """The REFRESHED fields TMDB knows (non-empty) that differ from the stored ones."""
    fresh = {key: getattr(details, key) for key in REFRESHED}
    return {key: value for key, value in fresh.items() if value and value != getattr(item, key)}


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        logger.debug("Ignoring malformed TMDB date %r", text)
        return None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
