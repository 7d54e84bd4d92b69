"""Checks on what API clients send: each bad field is a 422 that names the field and the fix."""

from __future__ import annotations

import logging
from typing import Any

from app.library.records import EpisodeData
from app.share.routes import ApiError

logger = logging.getLogger(__name__)


def only(body: dict, allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(
            422,
            f"unknown field(s): {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})",
        )


def text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"{key} must be non-empty text")
    return value.strip()


def optional_text(body: dict, key: str) -> str | None:
    return None if body.get(key) is None else text(body, key)


def whole_number(body: dict, key: str, *, positive: bool = False) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or (positive and value <= 0):
        raise ApiError(422, f"{key} must be a {'positive ' if positive else ''}whole number")
    return value


def year(body: dict) -> int | None:
    return None if body.get("year") is None else whole_number(body, "year", positive=True)


def season_counts(seasons: Any) -> dict[int, int]:
    if seasons is None:
        return {}
    if not isinstance(seasons, dict):
        raise ApiError(422, 'seasons must be an object like {"1": 10, "2": 8}')
    counts = {}
    for key, count in seasons.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            raise ApiError(422, f"season {key!r} is not a number") from None
        if number < 0 or isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ApiError(422, f"season {key}: episode count must be a whole number >= 0")
        counts[number] = count
    return counts


def tmdb_seasons(seasons: Any) -> dict[int, int | list[EpisodeData]]:
    """The seasons of a TMDB look-up as Library.add_show takes them.

    Accepts {number: episode count or [episode dicts]} or a list of season dicts with a
    "number" and "episodes" (a list) or "episode_count" (TMDB's show details).
    """
    if isinstance(seasons, dict):
        items = list(seasons.items())
    else:
        items = [
            (season["number"], season.get("episodes") or season.get("episode_count") or 0)
            for season in seasons
        ]
    plan: dict[int, int | list[EpisodeData]] = {}
    for number, spec in items:
        if isinstance(spec, int):
            plan[int(number)] = spec
            continue
        plan[int(number)] = [
            EpisodeData(
                number=int(e["number"]),
                title=e.get("title") or "",
                overview=e.get("overview") or "",
                air_date=e.get("air_date"),
                still_path=e.get("still_path"),
            )
            for e in spec
        ]
    return plan
