"""Checks on what API clients send: each bad field is a 422 that names the field and the fix.

The limits are far above what an honest client sends and low enough that one request cannot
make the server hold or write much: 300 seasons of 2,000 episodes once made 600,000 rows,
and reading that show back kept a worker busy for minutes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from app.library.validation import MAX_INTEGER, check_text
from app.share.api_errors import ApiError

logger = logging.getLogger(__name__)

# Titles, labels and file paths: a Linux path is at most 4096 bytes, the rest far shorter.
MAX_TEXT = 4096
# A magnet link with many trackers runs to a few KiB.
MAX_MAGNET = 64 * 1024
# Seasons are numbered 0 (specials) up, and some shows number them by year ("Season 2019").
MAX_SEASON_NUMBER = 9999
# The longest-running shows have a few dozen seasons and a few thousand episodes; a show's
# detail answer costs about half a millisecond per episode, so 5,000 keep it to seconds.
MAX_SEASONS = 100
MAX_EPISODES = 5000
_SEASON_KEY = re.compile(r"[0-9]{1,4}")
_INFO_HASH = re.compile(r"[0-9a-fA-F]{40}")


def only(body: dict, allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(
            422,
            f"unknown field(s): {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})",
        )


def text(body: dict, key: str, *, max_length: int | None = MAX_TEXT) -> str:
    """Non-empty text that SQLite can store: no lone surrogates ("\\ud800"), no NUL."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"{key} must be non-empty text")
    if max_length is not None and len(value) > max_length:
        raise ApiError(422, f"{key} is too long ({len(value)} characters; at most {max_length})")
    if "\x00" in value:
        raise ApiError(422, f"{key} must not contain NUL characters")
    return check_text(value, key).strip()  # a lone surrogate: InvalidValue, a 422


def optional_text(body: dict, key: str) -> str | None:
    return None if body.get(key) is None else text(body, key)


def whole_number(body: dict, key: str, *, positive: bool = False) -> int:
    value = body.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (positive and value <= 0)
        or not -MAX_INTEGER <= value <= MAX_INTEGER
    ):
        raise ApiError(422, f"{key} must be a {'positive ' if positive else ''}whole number")
    return value


def year(body: dict) -> int | None:
    return None if body.get("year") is None else whole_number(body, "year", positive=True)


def torrent_link(body: dict, key: str) -> str:
    """A magnet link or a bare info hash: never a path to a file on the server's disk.

    The torrent service also opens .torrent paths, for the window's own drops; through the
    API that would let a client make the server read its files.
    """
    value = text(body, key, max_length=MAX_MAGNET)
    if value.lower().startswith("magnet:") or _INFO_HASH.fullmatch(value):
        return value
    raise ApiError(
        422,
        f"{key} must be a magnet link (magnet:?xt=urn:btih:...); "
        "send a .torrent file's bytes as torrent_base64",
    )


def season_counts(seasons: Any) -> dict[int, int]:
    if seasons is None:
        return {}
    if not isinstance(seasons, dict):
        raise ApiError(422, 'seasons must be an object like {"1": 10, "2": 8}')
    if len(seasons) > MAX_SEASONS:
        raise ApiError(422, f"a show has at most {MAX_SEASONS} seasons, not {len(seasons)}")
    counts = {}
    for key, count in seasons.items():
        if not _SEASON_KEY.fullmatch(key):
            raise ApiError(
                422, f"season {key[:20]!r} is not a number from 0 to {MAX_SEASON_NUMBER}"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ApiError(422, f"season {key}: episode count must be a whole number >= 0")
        if int(key) in counts:
            raise ApiError(422, f"season {int(key)} is given twice")
        counts[int(key)] = count
    total = sum(counts.values())
    if total > MAX_EPISODES:
        raise ApiError(422, f"a show has at most {MAX_EPISODES} episodes in all, not {total}")
    return counts
