"""What the app keeps from TMDB's answers: small frozen dataclasses and the parsers that fill them.

TMDB's JSON carries far more than we show; each parser picks the fields we use and turns
TMDB's conventions into plain Python ("" dates and 0 runtimes become None). A parser raises
KeyError/TypeError/ValueError on an answer that is not shaped like TMDB's; the client turns
that into a TmdbError naming the request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MovieResult:
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_path: str | None
    original_title: str


@dataclass(frozen=True)
class ShowResult:
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_path: str | None


@dataclass(frozen=True)
class MovieDetails:
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_path: str | None
    imdb_id: str | None
    runtime: int | None
    genres: tuple[str, ...]
    backdrop_path: str | None = None


@dataclass(frozen=True)
class SeasonSummary:
    number: int
    name: str
    episode_count: int
    poster_path: str | None
    air_date: str | None


@dataclass(frozen=True)
class ShowDetails:
    tmdb_id: int
    title: str
    year: int | None
    overview: str
    poster_path: str | None
    seasons: tuple[SeasonSummary, ...]
    backdrop_path: str | None = None
    imdb_id: str | None = None


@dataclass(frozen=True)
class EpisodeDetails:
    number: int
    title: str
    overview: str
    air_date: str | None
    still_path: str | None


@dataclass(frozen=True)
class SeasonDetails:
    number: int
    name: str
    overview: str
    poster_path: str | None
    air_date: str | None
    episodes: tuple[EpisodeDetails, ...]


def year_of(date: str | None) -> int | None:
    """TMDB dates are "YYYY-MM-DD"; unknown dates come as "" or null."""
    if not date:
        return None
    return int(date[:4])


def _text(data: dict[str, Any], key: str) -> str:
    return data.get(key) or ""


def _optional(data: dict[str, Any], key: str) -> Any:
    # TMDB sends "" for unknown dates and IMDb ids, null for missing images, 0 for unknown runtimes.
    return data.get(key) or None


def parse_movie_result(data: dict[str, Any]) -> MovieResult:
    return MovieResult(
        tmdb_id=int(data["id"]),
        title=data["title"],
        year=year_of(data.get("release_date")),
        overview=_text(data, "overview"),
        poster_path=_optional(data, "poster_path"),
        original_title=_text(data, "original_title") or data["title"],
    )


def parse_show_result(data: dict[str, Any]) -> ShowResult:
    return ShowResult(
        tmdb_id=int(data["id"]),
        title=data["name"],
        year=year_of(data.get("first_air_date")),
        overview=_text(data, "overview"),
        poster_path=_optional(data, "poster_path"),
    )


def parse_movie(data: dict[str, Any]) -> MovieDetails:
    return MovieDetails(
        tmdb_id=int(data["id"]),
        title=data["title"],
        year=year_of(data.get("release_date")),
        overview=_text(data, "overview"),
        poster_path=_optional(data, "poster_path"),
        imdb_id=_optional(data, "imdb_id"),
        runtime=_optional(data, "runtime"),
        genres=tuple(genre["name"] for genre in data.get("genres") or ()),
        backdrop_path=_optional(data, "backdrop_path"),
    )


def parse_season_summary(data: dict[str, Any]) -> SeasonSummary:
    return SeasonSummary(
        number=int(data["season_number"]),
        name=_text(data, "name"),
        episode_count=int(data.get("episode_count") or 0),
        poster_path=_optional(data, "poster_path"),
        air_date=_optional(data, "air_date"),
    )


def parse_show(data: dict[str, Any]) -> ShowDetails:
    seasons = sorted(
        (parse_season_summary(season) for season in data.get("seasons") or ()),
        key=lambda season: season.number,
    )
    return ShowDetails(
        tmdb_id=int(data["id"]),
        title=data["name"],
        year=year_of(data.get("first_air_date")),
        overview=_text(data, "overview"),
        poster_path=_optional(data, "poster_path"),
        seasons=tuple(seasons),
        backdrop_path=_optional(data, "backdrop_path"),
        imdb_id=_show_imdb_id(data),
    )


def _show_imdb_id(data: dict[str, Any]) -> str | None:
    # A show's IMDb id is among its external ids, there when asked for with
    # append_to_response=external_ids; null or "" when TMDB does not know it.
    external = data.get("external_ids") or {}
    if not isinstance(external, dict):
        raise TypeError(f"external_ids is {type(external).__name__}, not an object")
    imdb_id = _optional(external, "imdb_id")
    if imdb_id is not None and not isinstance(imdb_id, str):
        raise TypeError(f"imdb_id is {type(imdb_id).__name__}, not text")
    return imdb_id


def parse_episode(data: dict[str, Any]) -> EpisodeDetails:
    return EpisodeDetails(
        number=int(data["episode_number"]),
        title=_text(data, "name"),
        overview=_text(data, "overview"),
        air_date=_optional(data, "air_date"),
        still_path=_optional(data, "still_path"),
    )


def parse_season(data: dict[str, Any]) -> SeasonDetails:
    episodes = sorted(
        (parse_episode(episode) for episode in data.get("episodes") or ()),
        key=lambda episode: episode.number,
    )
    return SeasonDetails(
        number=int(data["season_number"]),
        name=_text(data, "name"),
        overview=_text(data, "overview"),
        poster_path=_optional(data, "poster_path"),
        air_date=_optional(data, "air_date"),
        episodes=tuple(episodes),
    )
