"""Checks on what callers hand the library: titles, years, ids, info hashes, episode lists.

Every refusal is an InvalidValue whose message a user can act on.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from app.library.errors import InvalidValue
from app.library.models import ITEM_TYPES, SYNC_MODES
from app.library.records import EpisodeData

logger = logging.getLogger(__name__)

MAX_EPISODES_PER_SEASON = 2000
# SQLite stores integers in 64 bits: a bigger number cannot be stored, so it is refused here.
MAX_INTEGER = 2**63 - 1
# Longer than any real title: what is longer is pasted text. Share names keep 180 bytes.
MAX_TITLE_LENGTH = 1000
# Longer is a typo; far longer overflows the scheduler's dates (5e9 minutes did).
MAX_SYNC_MINUTES = 365 * 24 * 60
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_BASE32 = re.compile(r"^[A-Z2-7]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def normalize_info_hash(info_hash: str) -> str:
    """40 lower-case hex digits; accepts upper case and the 32-character base32 form."""
    if not isinstance(info_hash, str):
        raise InvalidValue(f"info hash must be text, not {type(info_hash).__name__}")
    text = info_hash.strip()
    if _BASE32.match(text.upper()):
        try:
            return base64.b32decode(text.upper()).hex()
        except binascii.Error:
            pass
    text = text.lower()
    if not _HEX40.match(text):
        raise InvalidValue(f"{info_hash!r} is not a BitTorrent v1 info hash (40 hex digits)")
    return text


def check_fields(
    values: Mapping[str, Any], allowed: set[str], partial: bool = False
) -> dict[str, Any]:
    unknown = set(values) - allowed
    if unknown:
        raise InvalidValue(
            f"unknown field(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            check_text(value, key)
        if key == "title":
            if isinstance(value, str):
                # control characters (NUL, escapes) are never part of a title: spaces instead
                value = " ".join(_CONTROL.sub(" ", value).split())
            if not isinstance(value, str) or not value:
                raise InvalidValue("title must not be empty")
            if len(value) > MAX_TITLE_LENGTH:
                raise InvalidValue(
                    f"title is too long ({len(value)} characters; at most {MAX_TITLE_LENGTH})"
                )
        elif key == "year":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 1850 <= value <= 2200
            ):
                raise InvalidValue(f"year must be a number like 1999, not {value!r}")
        elif key == "tmdb_id":
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 < value <= MAX_INTEGER
            ):
                raise InvalidValue(f"TMDB id must be a positive number, not {value!r}")
        elif key == "overview":
            if not isinstance(value, str):
                raise InvalidValue("overview must be text")
        elif value is not None and not isinstance(value, str):
            raise InvalidValue(f"{key} must be text or empty")
        checked[key] = value
    if not partial and "title" not in checked:
        raise InvalidValue("title is required")
    return checked


def check_text(value: str, what: str) -> str:
    """Text SQLite can store as UTF-8: a lone surrogate ("\\ud800" in JSON) cannot be."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(
            f"{what} is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    return value


def check_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
        raise InvalidValue(f"{what} must be a whole number of 0 or more, not {value!r}")
    return value


def check_item_type(item_type: str) -> str:
    if item_type not in ITEM_TYPES:
        raise InvalidValue(f"item type must be one of {', '.join(ITEM_TYPES)}, not {item_type!r}")
    return item_type


def episode_list(spec: int | Sequence[EpisodeData]) -> list[EpisodeData]:
    if isinstance(spec, int) and not isinstance(spec, bool):
        if not 0 <= spec <= MAX_EPISODES_PER_SEASON:
            raise InvalidValue(
                f"a season holds 0 to {MAX_EPISODES_PER_SEASON} episodes, not {spec}"
            )
        return [EpisodeData(number) for number in range(1, spec + 1)]
    if isinstance(spec, str | bytes) or not isinstance(spec, Sequence):
        raise InvalidValue(f"episodes must be a count or a list of EpisodeData, not {spec!r}")
    episodes = list(spec)
    for data in episodes:
        if not isinstance(data, EpisodeData):
            raise InvalidValue(f"expected EpisodeData, got {data!r}")
        check_number(data.number, "episode number")
    episodes = [replace(data, air_date=check_date(data.air_date)) for data in episodes]
    numbers = [data.number for data in episodes]
    if len(set(numbers)) != len(numbers):
        raise InvalidValue("episode numbers in a season must be unique")
    return episodes


def check_date(value: date | str | None) -> date | None:
    """A date, also from TMDB's "2008-01-20" text; "" means unknown."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidValue(f"{value!r} is not a date like 2008-01-20")


def sync_interval(value: Any) -> int:
    """Minutes between syncs: 0 (no periodic sync) or a whole number from 1 to a year."""
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or not 0 <= number <= MAX_SYNC_MINUTES
    ):
        raise InvalidValue(
            f"sync interval must be 0 or at least 1 minute (at most {MAX_SYNC_MINUTES}, a year), "
            f"not {reprlib.repr(value)}"
        )
    return number


def sync_mode(kind: str, mode: Any) -> str:
    """How a source syncs: folders watch, poll or wait for the user; TMDB polls or waits."""
    allowed = SYNC_MODES if kind in ("folder", "debrid") else ("poll", "manual")
    if mode not in allowed:
        raise InvalidValue(f"sync mode must be one of {', '.join(allowed)}, not {mode!r}")
    return mode
