"""Which file of a torrent is the movie, which files are which episodes, and what quality.

Release names are parsed with guessit (SxxEyy, 1x02, packs, multi-episode files, folders
like "Season 2/03 - Title.mkv"); samples and extras are recognised by folder, name and size.
Used by the assign API and the GUI's drop dialog. Paths are torrent-relative, "/" or "\\".
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from guessit import guessit

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    {
        ".mkv",
        ".mp4",
        ".m4v",
        ".avi",
        ".mov",
        ".wmv",
        ".ts",
        ".m2ts",
        ".mts",
        ".mpg",
        ".mpeg",
        ".webm",
        ".flv",
        ".ogv",
        ".vob",
        ".divx",
        ".3gp",
    }
)
MiB = 1024 * 1024
# Folders that hold extras in scene releases and in Plex/Infuse libraries. Not "Specials":
# that is where season 0 episodes live.
EXTRA_FOLDERS = frozenset(
    {
        "sample",
        "samples",
        "extra",
        "extras",
        "featurette",
        "featurettes",
        "bonus",
        "trailers",
        "behind the scenes",
        "deleted scenes",
        "interviews",
        "shorts",
    }
)
_SAMPLE_WORD = re.compile(r"(?:^|[\W_])sample(?:[\W_]|$)", re.IGNORECASE)
# Words that mark an extra only when the file is also much smaller than the main one:
# "Trailer.Park.Boys.S01E01.mkv" is an episode.
_EXTRA_WORDS = re.compile(
    r"(?:^|[\W_])(trailer|teaser|featurette|behind[\W_]?the[\W_]?scenes|deleted[\W_]?scenes?"
    r"|interview|making[\W_]of|extras?|bonus)(?:[\W_]|$)",
    re.IGNORECASE,
)
SAMPLE_MAX_SIZE = 150 * MiB

_SOURCES = {
    "Blu-ray": "BluRay",
    "Ultra HD Blu-ray": "UHD BluRay",
    "HD-DVD": "HD-DVD",
    "DVD": "DVD",
    "Web": "WEB-DL",
    "HDTV": "HDTV",
    "Ultra HDTV": "UHDTV",
    "TV": "TV",
    "Digital TV": "TV",
    "Satellite": "SAT",
    "Video on Demand": "VOD",
    "Camera": "CAM",
    "HD Camera": "CAM",
    "Telesync": "TS",
    "HD Telesync": "TS",
    "Telecine": "TC",
    "HD Telecine": "TC",
    "Workprint": "WORKPRINT",
    "VHS": "VHS",
}
_RIPS = {
    "Blu-ray": "BDRip",
    "Ultra HD Blu-ray": "BDRip",
    "DVD": "DVDRip",
    "Web": "WEBRip",
    "HDTV": "HDTVRip",
    "Ultra HDTV": "HDTVRip",
}

# guessit's rebulk rules are shared module state; one parse at a time keeps them safe.
_GUESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class FileChoice:
    """One file of a torrent as the drop dialog lists it."""

    index: int
    path: str
    size: int
    is_video: bool
    is_extra: bool  # sample, trailer, featurette...
    preselected: bool


def is_video(path: str) -> bool:
    return _posix(path).suffix.lower() in VIDEO_EXTENSIONS


def is_sample_or_extra(path: str, size: int, largest: int) -> bool:
    """A sample, trailer or bonus feature rather than the movie or episode itself.

    `largest` is the size of the largest video in the torrent.
    """
    parts = _posix(path).parts
    if any(folder.lower() in EXTRA_FOLDERS for folder in parts[:-1]):
        return True
    stem = _posix(path).stem
    if size >= largest:
        return False
    if _SAMPLE_WORD.search(stem):
        return True
    if _EXTRA_WORDS.search(stem) and size < largest / 3:
        return True
    # Nameless samples: tiny next to the main file and small in absolute terms.
    return size < largest / 10 and size < SAMPLE_MAX_SIZE


def rank_movie_files(files: Sequence[tuple[int, str, int]]) -> list[FileChoice]:
    """Order (index, path, size) for choosing the movie: main videos (largest first), then
    extras, then other files; `preselected` is set on the best video, if there is one."""
    largest = max((size for _, path, size in files if is_video(path)), default=0)
    choices = []
    for index, path, size in files:
        video = is_video(path)
        choices.append(
            FileChoice(
                index, path, size, video, video and is_sample_or_extra(path, size, largest), False
            )
        )
    choices.sort(key=lambda c: (not c.is_video, c.is_extra, -c.size, c.path))
    if choices and choices[0].is_video:
        best = choices[0]
        choices[0] = FileChoice(best.index, best.path, best.size, True, best.is_extra, True)
    return choices


def match_episodes(
    files: Sequence[tuple[int, str, int]],
    episodes: Iterable[tuple[int, int]],
    season_hint: int | None = None,
) -> dict[tuple[int, int], int]:
    """Map wanted (season, episode) pairs to file indexes of a torrent.

    Understands S01E02, 1x02, 102, season packs, multi-episode files (S01E01E02, S01E01-E02:
    the file serves both) and "Season 2/03 - Title.mkv". A file with an episode number but no
    season uses `season_hint` or, without one, the only season among `episodes`. Samples and
    extras are ignored. When several files claim an episode, a single-episode file beats a
    multi-episode one, then the larger file wins.
    """
    wanted = set(episodes)
    if season_hint is None:
        seasons = {season for season, _ in wanted}
        season_hint = seasons.pop() if len(seasons) == 1 else None
    videos = [(index, path, size) for index, path, size in files if is_video(path)]
    largest = max((size for _, _, size in videos), default=0)
    best: dict[tuple[int, int], tuple[int, int, int]] = {}  # key -> (span, -size, index)
    for index, path, size in videos:
        if is_sample_or_extra(path, size, largest):
            continue
        parsed = guess(path, "episode")
        numbers = _as_list(parsed.get("episode"))
        seasons = _as_list(parsed.get("season")) or (
            [season_hint] if season_hint is not None else []
        )
        if not numbers or len(seasons) != 1:
            # Several seasons in one file name is a pack folder name leaking in; skip it.
            continue
        season = seasons[0]
        rank = (len(numbers), -size, index)
        for number in numbers:
            key = (season, number)
            if key in wanted and (key not in best or rank < best[key]):
                best[key] = rank
    return {key: rank[2] for key, rank in best.items()}


def guess_resolution(path: str) -> str | None:
    """ "2160p", "1080p", "720p", "576p", "480p"... or None when the name does not say."""
    return guess(path).get("screen_size")


def guess_source(path: str) -> str | None:
    """ "BluRay", "WEB-DL", "WEBRip", "HDTV", "DVDRip"... or None when the name does not say."""
    parsed = guess(path)
    source = parsed.get("source")
    if isinstance(source, list):
        source = source[0]
    if source is None:
        return None
    if "Rip" in _as_list(parsed.get("other")) and source in _RIPS:
        return _RIPS[source]
    return _SOURCES.get(source, source)


def guess(path: str, kind: str | None = None) -> dict[str, Any]:
    """guessit's reading of a release name (a copy: callers may change it); {} if it fails.

    Parses are cached: a watched folder's scan asks for the title, the resolution and the
    source of each name, and guessit takes ~10 ms a name.
    """
    return dict(_cached_guess(str(path), kind))


@functools.lru_cache(maxsize=4096)
def _cached_guess(path: str, kind: str | None) -> dict[str, Any]:
    options = {"type": kind} if kind else {}
    with _GUESS_LOCK:
        try:
            return dict(guessit(str(_posix(path)), options))
        except Exception:  # guessit's rules can raise on odd names; one file never stops a match
            logger.warning("Could not parse release name %r", path, exc_info=True)
            return {}


def _posix(path: str) -> PurePosixPath:
    return PurePosixPath(str(path).replace("\\", "/"))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
