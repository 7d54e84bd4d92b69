"""A plain-data picture of the library for the views, read in a worker thread.

The views never hold peewee rows (they belong to the thread that read them): `load()` runs
in a worker, reads movies, shows, seasons, episodes and the active assignments in a handful
of queries, and returns frozen dataclasses the Qt thread can keep.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.library import naming

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """An item's active assignment: where its bytes come from and where it appears."""

    assignment_id: int
    info_hash: str
    file_index: int
    file_path: str
    file_size: int
    resolution: str | None
    source: str | None
    share_path: str
    local_path: str | None = None  # a watched folder's file, served from disk


@dataclass(frozen=True)
class MovieRow:
    id: int
    title: str
    sort_title: str
    year: int | None
    added_at: datetime | None
    poster_path: str | None
    overview: str
    source: Source | None = None


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    show_id: int
    season_number: int
    number: int
    title: str
    source: Source | None = None

    @property
    def display_title(self) -> str:
        return self.title or f"Episode {self.number}"


@dataclass(frozen=True)
class SeasonRow:
    id: int
    show_id: int
    number: int
    name: str
    episodes: tuple[EpisodeRow, ...] = ()

    @property
    def display_title(self) -> str:
        return "Specials" if self.number == 0 else f"Season {self.number}"


@dataclass(frozen=True)
class ShowRow:
    id: int
    title: str
    sort_title: str
    year: int | None
    added_at: datetime | None
    poster_path: str | None
    overview: str
    seasons: tuple[SeasonRow, ...] = ()


@dataclass(frozen=True)
class LibrarySnapshot:
    movies: tuple[MovieRow, ...] = ()
    shows: tuple[ShowRow, ...] = ()
    by_hash: dict[str, list[str]] = field(default_factory=dict)  # info hash -> item labels


def _source(entry: Any, shared: dict[int, str]) -> Source:
    ext = posixpath.splitext(entry.file_path)[1]
    if entry.assignment_id in shared:
        # The share's own name wins: it keeps two "Heat (1995)" apart.
        share_path = shared[entry.assignment_id]
    elif entry.kind == "movie":
        share_path = naming.movie_path(entry.title, entry.year, ext)
    else:
        share_path = naming.episode_path(
            entry.title,
            entry.year,
            entry.season_number,
            entry.episode_number,
            entry.episode_title or "",
            ext,
        )
    return Source(
        assignment_id=entry.assignment_id,
        info_hash=entry.info_hash,
        file_index=entry.file_index,
        file_path=entry.file_path,
        file_size=entry.file_size,
        resolution=entry.resolution,
        source=entry.source,
        share_path=share_path,
        local_path=entry.local_path,
    )


def _label(entry: Any) -> str:
    year = f" ({entry.year})" if entry.year else ""
    if entry.kind == "movie":
        return f"{entry.title}{year}"
    return f"{entry.title}{year} S{entry.season_number:02d}E{entry.episode_number:02d}"


def load(library: Any, tree: Any = None) -> LibrarySnapshot:
    """Read everything the views show; call from a worker thread. `tree` is the share's
    current ShareTree (its paths are the ones players see), or None when the share is off."""
    shared = {node.assignment_id: node.path.lstrip("/") for node in tree.files()} if tree else {}
    sources: dict[tuple[str, int], Source] = {}
    by_hash: dict[str, list[str]] = {}
    for entry in library.active_entries():
        sources[(entry.kind, entry.item_id)] = _source(entry, shared)
        by_hash.setdefault(entry.info_hash, []).append(_label(entry))
    movies = tuple(
        MovieRow(
            id=movie.id,
            title=movie.title,
            sort_title=movie.sort_title or movie.title,
            year=movie.year,
            added_at=movie.added_at,
            poster_path=movie.poster_path,
            overview=movie.overview or "",
            source=sources.get(("movie", movie.id)),
        )
        for movie in library.list_movies()
    )
    shows = []
    for show in library.list_shows():
        seasons = []
        for season in library.seasons(show.id):
            episodes = tuple(
                EpisodeRow(
                    id=episode.id,
                    show_id=show.id,
                    season_number=season.number,
                    number=episode.number,
                    title=episode.title or "",
                    source=sources.get(("episode", episode.id)),
                )
                for episode in library.episodes(season.id)
            )
            seasons.append(
                SeasonRow(season.id, show.id, season.number, season.name or "", episodes)
            )
        shows.append(
            ShowRow(
                id=show.id,
                title=show.title,
                sort_title=show.sort_title or show.title,
                year=show.year,
                added_at=show.added_at,
                poster_path=show.poster_path,
                overview=show.overview or "",
                seasons=tuple(seasons),
            )
        )
    return LibrarySnapshot(movies, tuple(shows), by_hash)
