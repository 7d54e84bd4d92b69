"""Sidecar subtitles: subtitle files of a torrent shown next to the video they belong to.

Players (Infuse, VLC, Kodi) pick up `Title (Year).en.srt` beside `Title (Year).mkv`. A
subtitle belongs to a video when it sits in the video's folder or in a "Subs" folder below it,
and either its name starts with the video's name (`Movie.1080p.en.srt` -> tag `en`), or it is
in a folder named after the video (`Subs/Show.S01E02/2_English.srt`), or the torrent holds
only this one main video (`Subs/English.srt`). What follows the video's name becomes the tag.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Sequence
from dataclasses import replace

from app.library import matching, naming

logger = logging.getLogger(__name__)

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".vtt", ".sub"})
SUBTITLE_FOLDERS = frozenset({"subs", "sub", "subtitles", "subtitle"})


def sidecars(video, video_file: str, files: Sequence, share_path: str) -> list:
    """FileSpecs for the subtitles of one video.

    video: the video's FileSpec; video_file: its path inside the torrent; files: the
    torrent's TorrentFiles; share_path: where the video is on the share.
    """
    subtitles = [f for f in files if _ext(f.path) in SUBTITLE_EXTENSIONS]
    if not subtitles:
        return []
    folder, name = posixpath.split(video_file)
    stem = _stem(name).casefold()
    only_video = _main_videos(files) <= 1
    base, _ = posixpath.splitext(share_path)
    found = []
    taken = {share_path.casefold()}
    for sub in sorted(subtitles, key=lambda f: f.path):
        tag = _tag(sub.path, folder, stem, only_video)
        if tag is None:
            continue
        ext = _ext(sub.path)
        path = f"{base}.{tag}{ext}" if tag else f"{base}{ext}"
        number = 2
        while path.casefold() in taken:
            path = f"{base}.{tag or 'sub'}{number}{ext}"
            number += 1
        taken.add(path.casefold())
        found.append(replace(video, path=path, size=sub.size, file_index=sub.index, sidecar=True))
    return found


def _tag(sub_path: str, video_folder: str, video_stem: str, only_video: bool) -> str | None:
    """The language/label part of a subtitle's name, "" for none; None if not this video's."""
    folder, name = posixpath.split(sub_path)
    stem = _stem(name)
    if folder == video_folder:
        below: list[str] = []
    else:
        prefix = f"{video_folder}/" if video_folder else ""
        if not folder.startswith(prefix):
            return None
        below = folder[len(prefix) :].split("/")
        if below[0].casefold() not in SUBTITLE_FOLDERS or len(below) > 2:
            return None
    if stem.casefold().startswith(video_stem):
        rest = stem[len(video_stem) :].strip(" ._-")
    elif len(below) == 2 and below[1].casefold() == video_stem:
        rest = stem  # Subs/<video name>/2_English.srt
    elif only_video and len(below) < 2:
        rest = stem
    else:
        return None
    return naming.clean_name(rest) if rest else ""


def _main_videos(files: Sequence) -> int:
    ranked = matching.rank_movie_files([(f.index, f.path, f.size) for f in files])
    return sum(1 for choice in ranked if choice.is_video and not choice.is_extra)


def _stem(name: str) -> str:
    return posixpath.splitext(name)[0]


def _ext(path: str) -> str:
    return posixpath.splitext(path)[1].lower()
