"""Which library movie or show a release name (a .torrent's name, a video's path) is about.

guessit reads the title, year, season and episodes (through app/library/matching.py, which
keeps guessit to one parse at a time). Titles are compared after folding case, accents and
punctuation ("Spider-Man: No Way Home" = "spider man no way home"); a year in the name must
equal the item's when the item has one. A watched folder assigns only when exactly one item
matches, so lookups return every candidate and the caller decides.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from app.library import matching
from app.library.db import fold as fold_letters

logger = logging.getLogger(__name__)

_NOT_WORD = re.compile(r"[\W_]+")
# guessit's "other" values that mark a file as a sample or an extra, not the movie or episode
EXTRA_TAGS = ("Sample", "Trailer", "Extras")


@dataclass(frozen=True)
class Release:
    """What a release name says it is."""

    kind: str  # "movie" | "episode"
    title: str
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    name: str = ""  # the folded file or torrent name, for when guessit's title is wrong
    tag: str | None = None  # "Sample", "Trailer" or "Extras" when guessit reads one in the name

    def describe(self) -> str:
        text = f"{self.title} ({self.year})" if self.year else self.title
        if self.kind == "episode" and self.season is not None:
            text += f" S{self.season:02d}" + "".join(f"E{e:02d}" for e in self.episodes)
        return text


@dataclass(frozen=True)
class Candidate:
    id: int
    label: str  # "Heat (1995)"


def guess_release(path: str) -> Release | None:
    """The release a file or torrent name describes; None when guessit finds no title."""
    guess = matching.guess(path)
    title = guess.get("title")
    if isinstance(title, list):
        title = title[0] if title else None
    if not title:
        return None
    year = guess.get("year")
    year = year if isinstance(year, int) else None
    name = fold(path.replace("\\", "/").rsplit("/", 1)[-1])
    # guessit tells a tag from a title: "Heat.1995.Sample" is tagged, "The.Sample.2020" is not
    tag = next((t for t in EXTRA_TAGS if t in _as_list(guess.get("other"))), None)
    if guess.get("type") == "episode" or "season" in guess or "episode" in guess:
        if "episode" not in guess and "/" in path.replace("\\", "/"):
            # "Show (2017)/Season 1/03 - Title.mkv": guessit sees the episode number only
            # without the show's folder in front
            tail = "/".join(path.replace("\\", "/").split("/")[-2:])
            guess = {**matching.guess(tail, "episode"), **guess}
        seasons = _ints(guess.get("season"))
        return Release(
            "episode",
            str(title),
            year,
            seasons[0] if len(seasons) == 1 else None,
            tuple(_ints(guess.get("episode"))),
            name,
            tag,
        )
    return Release("movie", str(title), year, name=name, tag=tag)


def fold(title: str) -> str:
    """A title reduced to lowercase words without accents or punctuation."""
    text = fold_letters(title).replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class Unmatched:
    """A file a watched folder could not assign, and why (shown in the Sync view)."""

    path: str  # for a .torrent: where it is now (in processed/)
    kind: str  # "torrent" | "video"
    reason: str
    info_hash: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "reason": self.reason}


class TitleIndex:
    """The library's movies and shows by folded title, read once per scan at first use
    (most scans match nothing)."""

    def __init__(self, library) -> None:
        self._library = library
        self._tables: dict[str, dict[str, list[_Item]]] = {}
        self._by_word: dict[str, dict[str, list[tuple[str, _Item]]]] = {}

    def candidates(self, release: Release) -> list[Candidate]:
        """Items whose title is the release's, else whose title starts the release's name
        followed by its year or a season ("Spider-Man.2002": guessit reads the title "Man")."""
        if not self._tables:
            self._load()
        found = [
            Candidate(item.id, item.label)
            for item in self._tables[release.kind].get(fold(release.title), [])
            if release.year is None or item.year is None or item.year == release.year
        ]
        if found or not release.name:
            return found
        first = release.name.split(" ", 1)[0]
        return [
            Candidate(item.id, item.label)
            for title, item in self._by_word[release.kind].get(first, [])
            if release.name.startswith(title + " ")
            and _continues(release, item, release.name[len(title) + 1 :])
        ]

    def _load(self) -> None:
        for kind, items in (
            ("movie", self._library.list_movies()),
            ("episode", self._library.list_shows()),
        ):
            table: dict[str, list[_Item]] = {}
            by_word: dict[str, list[tuple[str, _Item]]] = {}
            for item in items:
                label = f"{item.title} ({item.year})" if item.year else item.title
                title = fold(item.title)
                entry = _Item(item.id, item.year, label)
                table.setdefault(title, []).append(entry)
                if title:
                    by_word.setdefault(title.split(" ", 1)[0], []).append((title, entry))
            self._tables[kind], self._by_word[kind] = table, by_word


@dataclass(frozen=True)
class _Item:
    id: int
    year: int | None
    label: str


_SEASON_START = re.compile(r"(?:s\d{1,2}(?:e\d{1,3})?|\d{1,2}x\d{2,3})\b")


def _continues(release: Release, item: _Item, rest: str) -> bool:
    """Does what follows a title in a release name confirm it: the year, or a season?"""
    if release.year is not None and rest.startswith(str(release.year)):
        return item.year is None or item.year == release.year
    return release.kind == "episode" and _SEASON_START.match(rest) is not None


def single_candidate(
    release: Release | None, titles: TitleIndex, name: str
) -> tuple[Candidate | None, str | None]:
    """(the one library movie or show the release names, None) or (None, why not)."""
    if release is None:
        return None, f"the name {name!r} does not say which movie or show it is"
    candidates = titles.candidates(release)
    what = "movie" if release.kind == "movie" else "show"
    if not candidates:
        return None, f"no {what} in the library matches {release.describe()}"
    if len(candidates) > 1:
        labels = ", ".join(sorted(c.label for c in candidates))
        return None, f"{len(candidates)} {what}s match {release.describe()}: {labels}"
    return candidates[0], None


def video_targets(
    library, release: Release | None, titles: TitleIndex, name: str
) -> tuple[list[tuple[str, int]], str | None]:
    """The (item type, id) a video file becomes the source of, or why none: its one matching
    movie, or the episodes it holds of its one matching show, none of which has a source."""
    target, reason = single_candidate(release, titles, name)
    if target is None:
        return [], reason
    if release.kind == "movie":
        if library.active_assignment("movie", target.id) is not None:
            return [], f"{target.label} already has a source"
        return [("movie", target.id)], None
    if release.season is None or not release.episodes:
        return [], f"the name does not say which episode of {target.label} it is"
    targets = []
    for number in release.episodes:
        code = f"S{release.season:02d}E{number:02d}"
        episode = library.find_episode(target.id, release.season, number)
        if episode is None:
            return [], f"{target.label} has no {code} in the library"
        if library.active_assignment("episode", episode.id) is not None:
            return [], f"{target.label} {code} already has a source"
        targets.append(("episode", episode.id))
    return targets, None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _ints(value) -> list[int]:
    return [v for v in _as_list(value) if isinstance(v, int)]
