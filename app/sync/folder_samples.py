"""Which videos in a watched folder are samples or extras rather than a movie or episode.

A watched folder is often a flat download folder holding many unrelated releases, so the
torrent rule (anything far smaller than the largest video is a sample) would hide a small
movie next to a big one. Here a video is a sample or an extra only when:
1. a folder on its path below the watched folder is an extras folder ("Sample", "Extras",
   "Featurettes", "Trailers"...: matching.EXTRA_FOLDERS), or
2. guessit reads a Sample, Trailer or Extras tag in its name ("Heat.1995.1080p.sample.mkv";
   not "The.Sample.2020.mkv" or "Trailer.Park.Boys.S01E01.mkv", where the word is the title),
   or
3. a larger video of the same release is in the folder (same kind and title, the same year
   or one without a year, for episodes the same season and episodes) and matching's size rule
   makes this one its sample or extra (under a tenth of it and under 150 MiB, or under a
   third with a word like "featurette" in the name).
Release folders are not compared by folder: scene samples carry "sample" in their name or
folder, and two releases in one subfolder would bring the flat-folder problem back.
A skipped video is never dropped silently: the caller lists it as unmatched with the reason
given here, so the user can assign it anyway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import PurePath

from app.library import matching
from app.sync.folder_match import Release, fold
from app.sync.folder_scan import FileState

logger = logging.getLogger(__name__)

_TAG_WORDS = {"Sample": "a sample", "Trailer": "a trailer", "Extras": "an extra"}


class SampleCheck:
    """One scan's videos under `root`; `release_of(path)` says what a video's name is about
    (the folder source's cached guessit reading)."""

    def __init__(
        self,
        root: str,
        videos: Mapping[str, FileState],
        release_of: Callable[[str], Release | None],
    ) -> None:
        self._root = root
        self._release_of = release_of
        self._largest_first = sorted(((s.size, p) for p, s in videos.items()), reverse=True)

    def reason(self, path: str, size: int) -> str | None:
        """Why the video at path looks like a sample or an extra; None when it does not."""
        relative = os.path.relpath(path, self._root)
        for folder in PurePath(relative).parts[:-1]:
            if folder.lower() in matching.EXTRA_FOLDERS:
                return f"looks like a sample or extra: it is in the folder {folder!r}"
        release = self._release_of(path)
        if release is None:
            return None
        if release.tag is not None:
            what = _TAG_WORDS[release.tag]
            main = self._main_video(path, release, lambda other_size: other_size > size)
            if main is not None:
                return f"looks like {what} of {os.path.basename(main)}"
            return f"looks like {what}: the name says {release.tag!r}"
        main = self._main_video(
            path,
            release,
            lambda other_size: matching.is_sample_or_extra(relative, size, other_size),
        )
        if main is not None:
            return f"looks like a sample or extra of {os.path.basename(main)} (much larger)"
        return None

    def _main_video(
        self, path: str, release: Release, smaller_than: Callable[[int], bool]
    ) -> str | None:
        """The largest video of the same release that is big enough to make this one its
        sample or extra (`smaller_than(its size)`), if any."""
        for other_size, other in self._largest_first:
            # largest first, and a larger video only makes a sample likelier: once one is too
            # small, so are all the others
            if not smaller_than(other_size):
                return None
            if other != path and same_release(release, self._release_of(other)):
                return other
        return None


def same_release(a: Release, b: Release | None) -> bool:
    """Are two names about the same movie, or the same episodes of a show?"""
    if b is None or a.kind != b.kind or fold(a.title) != fold(b.title):
        return False
    if a.year is not None and b.year is not None and a.year != b.year:
        return False
    return a.kind == "movie" or (a.season, a.episodes) == (b.season, b.episodes)
