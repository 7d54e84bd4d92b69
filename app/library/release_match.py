"""What a release name says it is, and whether it fits a library item.

A release name comes from a magnet's dn= parameter, a .torrent file's or URL's name, or the
torrent's own name; guessit reads its title, year, season and episode (app/library/matching).
Titles are compared loosely (accents, case, punctuation, a leading "The", "&" for "and",
small typos), years with one year's slack; a missing year never counts against a match.
Used by the "which item is this for?" chooser (preselection) and by the assign flow (the
question before assigning a release to an item it does not look like).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from app.library.db import fold
from app.library.matching import guess

# At or above this, two titles name the same thing (survives "Harry Poter", not "Aliens").
SAME_TITLE = 0.92
# At or above this, a title is worth preselecting when nothing fits better.
LIKELY_TITLE = 0.8
# One title's words found whole inside the other's ("Leon" in "Leon The Professional").
_CONTAINED = 0.95


@dataclass(frozen=True)
class Release:
    """guessit's reading of a release name; `episode` is the first one of a multi-episode file."""

    name: str
    title: str
    year: int | None
    kind: str  # "movie" or "episode" (an episode, a season pack or a whole series)
    season: int | None = None
    episode: int | None = None

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True)
class Candidate:
    """A library item as the matcher sees it: a movie or a show."""

    kind: str  # "movie" or "show"
    title: str
    year: int | None


def release_name(link: str) -> str:
    """The release name a link carries: a magnet's dn=, else the last part of a path or URL
    without ".torrent"; "" when there is none (a magnet with only a hash)."""
    link = link.strip()
    if link.lower().startswith("magnet:"):
        query = parse_qs(link.partition("?")[2])
        return (query.get("dn") or [""])[0].strip()
    if link.lower().startswith(("http://", "https://", "file:")):
        link = unquote(urlsplit(link).path)
    name = PurePosixPath(link.replace("\\", "/")).name
    return name[: -len(".torrent")] if name.lower().endswith(".torrent") else name


def parse_release(name: str) -> Release | None:
    """guessit's title, year, season and episode of `name`; None when it finds no title."""
    parsed = guess(name) if name.strip() else {}
    title = parsed.get("title")
    if not isinstance(title, str) or not normalize(title):
        return None
    year = parsed.get("year")
    season = _first(parsed.get("season"))
    episode = _first(parsed.get("episode"))
    kind = "episode" if parsed.get("type") == "episode" or season is not None else "movie"
    return Release(
        name,
        title,
        year if isinstance(year, int) else None,
        kind,
        season if kind == "episode" else None,
        episode if kind == "episode" else None,
    )


def normalize(title: str) -> str:
    """Lower-case words without accents or punctuation, "&" as "and", no leading "the"."""
    text = fold(title)
    # "S.H.I.E.L.D." and "Marvel's" stay one word, as a release name writes them
    text = re.sub(r"(?<=\w)[.'’](?=\w)", "", text).replace("&", " and ")
    words = re.findall(r"[^\W_]+", text)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    """1.0 for the same title once normalized, high when one's words sit whole inside the
    other's, else difflib's ratio of the two."""
    left, right = normalize(a), normalize(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    short, long = sorted((left, right), key=len)
    if f" {short} " in f" {long} ":
        return _CONTAINED
    return SequenceMatcher(None, left, right).ratio()


def years_agree(a: int | None, b: int | None) -> bool:
    """A missing year agrees with any; release dates and TMDB's often differ by one."""
    return a is None or b is None or abs(a - b) <= 1


def mismatch(release: Release | None, title: str, year: int | None) -> bool:
    """True when the release clearly names something else than the item `title (year)`;
    a release without a readable title never mismatches (nothing to go by)."""
    if release is None:
        return False
    same_title = title_similarity(release.title, title) >= SAME_TITLE
    return not (same_title and years_agree(release.year, year))


def likely_hit(title: str, year: int | None, hits: Sequence[Any]) -> Any | None:
    """The search hit (with .title and .year, e.g. TMDB's) that is the release `title (year)`:
    the most similar title that is the same title and whose year agrees, an exact year
    first; None when no hit is (a search's first hit is often another film)."""
    best: tuple[float, bool] | None = None
    found = None
    for hit in hits:
        similarity = title_similarity(title, hit.title)
        if similarity < SAME_TITLE or not years_agree(year, hit.year):
            continue
        score = (similarity, year is not None and hit.year == year)
        if best is None or score > best:
            best, found = score, hit
    return found


def best_match(release: Release | None, candidates: Sequence[Candidate]) -> int | None:
    """The index of the candidate the release most likely is, or None when none is likely:
    the most similar title whose year agrees, an exact year and the right kind (a show for
    an episode) breaking ties."""
    if release is None:
        return None
    wanted = "show" if release.kind == "episode" else "movie"
    best: tuple[float, bool, bool] | None = None
    found = None
    for index, candidate in enumerate(candidates):
        if not years_agree(release.year, candidate.year):
            continue
        similarity = title_similarity(release.title, candidate.title)
        if similarity < LIKELY_TITLE:
            continue
        score = (similarity, candidate.kind == wanted, release.year == candidate.year)
        if best is None or score > best:
            best, found = score, index
    return found


def _first(value: object) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int) else None
