"""The share's virtual tree: an immutable snapshot of folders and files, swapped atomically.

The tree is built from the library's active assignments (Library.active_entries()) with the
names of app/library/naming.py; live.py rebuilds it whenever the library changes. Readers
(WebDAV PROPFIND, GET) only ever see one complete snapshot and never query the database.
Sizes come from the torrent metadata stored with each assignment (for a local file, the size
its watched folder last saw); modification times and ETags derive from assignment data, so
they are the same after a restart. A local file's node carries its path on disk
(`local_path`): the opener serves those from disk instead of from a torrent. A debrid file's
node (`debrid`) names its torrent's hash and the file's id in the account (app/debrid).

Given an Artwork, the tree also holds what media centres read beside the videos: a Kodi .nfo
for each video (`<video name>.nfo`, see nfo.py) and show (`tvshow.nfo`), whose bytes live in
the node (`data`), and the TMDB posters and backdrops the poster cache holds (`poster.jpg`,
`fanart.jpg`, `seasonNN-poster.jpg`), served from disk like local files (see artwork.py).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Protocol

from app.library import naming
from app.share import nfo, subtitles
from app.share.artwork import BACKDROP_SIZE, POSTER_SIZE, Artwork
from app.share.subtitles import SUBTITLE_FOLDERS

logger = logging.getLogger(__name__)

MOVIES = naming.MOVIES_DIR
TV_SHOWS = naming.SHOWS_DIR

# Players pick a demuxer from the type; mimetypes knows only some of these, and differently
# per platform, so the common video and subtitle types are fixed here.
CONTENT_TYPES = {
    ".mkv": "video/x-matroska",
    ".mk3d": "video/x-matroska",
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".mts": "video/mp2t",
    ".webm": "video/webm",
    ".wmv": "video/x-ms-wmv",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".flv": "video/x-flv",
    ".srt": "application/x-subrip",
    ".ass": "text/x-ssa",
    ".ssa": "text/x-ssa",
    ".vtt": "text/vtt",
    ".sub": "text/plain",
    ".nfo": "text/xml",
    ".jpg": "image/jpeg",
}


def content_type_for(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FileNode:
    """One file on the share and where its bytes come from."""

    path: str  # "/Movies/Heat (1995)/Heat (1995).mkv", NFC
    size: int
    mtime: float  # seconds since the epoch
    etag: str  # unquoted
    info_hash: str
    file_index: int
    assignment_id: int
    content_type: str
    sidecar: bool = False  # a subtitle shown next to its video (see subtitles.py)
    local_path: str | None = None  # a file on disk (a watched folder's), not a torrent's
    data: bytes | None = None  # the whole file, made by the share (an .nfo)
    debrid: bool = False  # a file in the debrid account: info_hash and its file id there

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class FolderNode:
    """A folder; `children` maps names to nodes, sorted by name, never mutated after build."""

    path: str  # "/" for the root, else without a trailing slash
    mtime: float
    children: Mapping[str, FileNode | FolderNode] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def etag(self) -> str:
        return f"d-{int(self.mtime)}-{len(self.children)}"


Node = FileNode | FolderNode


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file to place in a tree: its share path (relative, "/"-separated) and its data."""

    path: str
    size: int
    mtime: float
    info_hash: str
    file_index: int
    assignment_id: int
    sidecar: bool = False  # shown beside a video (a subtitle, an .nfo, artwork), not one
    local_path: str | None = None
    data: bytes | None = None
    debrid: bool = False


class ShareTree:
    """One immutable snapshot of the share; lookups are dictionary walks, O(depth)."""

    def __init__(self, root: FolderNode, file_count: int) -> None:
        self.root = root
        self.file_count = file_count
        self._by_assignment = {f.assignment_id: f.path for f in self.files() if not f.sidecar}

    @classmethod
    def empty(cls) -> ShareTree:
        return cls.from_files([])

    @classmethod
    def from_files(cls, specs: Iterable[FileSpec]) -> ShareTree:
        """Build folders around the given files; the two top folders always exist.

        A later spec with a path already taken is dropped with a warning: callers make paths
        unique (see build_tree), this only guards the tree's own invariant.
        """
        root: dict = {}
        mtimes: dict[tuple[str, ...], float] = {}
        count = 0
        for top in (MOVIES, TV_SHOWS):
            root.setdefault(top, {})
        for spec in specs:
            parts = tuple(_nfc(p) for p in spec.path.strip("/").split("/"))
            folder = root
            for part in parts[:-1]:
                folder = folder.setdefault(part, {})
                if not isinstance(folder, dict):
                    logger.warning("Share path %s runs through a file; skipped", spec.path)
                    break
            else:
                if parts[-1] in folder:
                    logger.warning("Two share files want %s; keeping the first", spec.path)
                    continue
                folder[parts[-1]] = spec
                count += 1
                for depth in range(1, len(parts)):
                    key = parts[:depth]
                    mtimes[key] = max(mtimes.get(key, 0.0), spec.mtime)
        newest = max(mtimes.values(), default=0.0)
        return cls(_freeze((), root, mtimes, newest), count)

    def lookup(self, path: str) -> Node | None:
        """The node at a decoded URL path ("/Movies/Heat (1995)/"), or None."""
        node: Node = self.root
        for part in path.split("/"):
            if not part:
                continue
            if not isinstance(node, FolderNode):
                return None
            child = node.children.get(part)
            if child is None:
                child = node.children.get(_nfc(part))  # macOS clients send NFD
                if child is None:
                    return None
            node = child
        return node

    def path_of(self, assignment_id: int) -> str | None:
        """Where an active assignment's file is on the share ("/Movies/..."), if it is."""
        return self._by_assignment.get(assignment_id)

    def files(self) -> Iterable[FileNode]:
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, FileNode):
                yield node
            else:
                stack.extend(node.children.values())


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _freeze(parts: tuple[str, ...], raw: dict, mtimes: dict, root_mtime: float) -> FolderNode:
    children: dict[str, Node] = {}
    for name in sorted(raw, key=str.casefold):
        value = raw[name]
        child_parts = (*parts, name)
        if isinstance(value, dict):
            children[name] = _freeze(child_parts, value, mtimes, root_mtime)
        else:
            children[name] = FileNode(
                path="/" + "/".join(child_parts),
                size=value.size,
                mtime=value.mtime,
                etag=_etag(value),
                info_hash=value.info_hash,
                file_index=value.file_index,
                assignment_id=value.assignment_id,
                content_type=content_type_for(name),
                sidecar=value.sidecar,
                local_path=value.local_path,
                data=value.data,
                debrid=value.debrid,
            )
    mtime = mtimes.get(parts, root_mtime) if parts else root_mtime
    return FolderNode(path="/" + "/".join(parts), mtime=mtime, children=children)


def _etag(spec: FileSpec) -> str:
    if spec.data is not None:
        return f"data-{zlib.crc32(spec.data):x}-{spec.size:x}"
    if spec.local_path is not None:
        # no info hash: the assignment and the path name the file (a video and its
        # subtitles share the assignment), the size tells a rewritten one apart
        return f"local-{spec.assignment_id}-{zlib.crc32(spec.local_path.encode()):x}-{spec.size:x}"
    if spec.debrid:
        return f"rd-{spec.info_hash[:20]}-{spec.file_index}-{spec.size:x}"
    return f"{spec.info_hash[:20]}-{spec.file_index}-{spec.size:x}"


# ---- from library entries ---------------------------------------------------------------


class EntryLike(Protocol):
    """The fields of app.library.records.ActiveEntry the tree uses.

    Also read when present: `source_kind` ("torrent" by default, "local" or "debrid") and
    `local_path` (the file on disk of a local entry).
    """

    kind: str
    item_id: int
    title: str
    year: int | None
    show_id: int | None
    season_number: int | None
    episode_number: int | None
    episode_title: str | None
    assignment_id: int
    info_hash: str
    file_index: int
    file_path: str
    file_size: int
    created_at: datetime | None


def build_tree(
    entries: Iterable[EntryLike],
    files_of: Callable[[str], Sequence | None] | None = None,
    artwork: Artwork | None = None,
) -> ShareTree:
    """Names per app/library/naming.py; name collisions get a stable " [#id]" suffix on all but the oldest.

    files_of(info_hash) gives a torrent's files (TorrentFile) when known; its subtitles are
    then shown beside their videos. A local video's subtitles are found on disk, beside it
    or in a Subs folder below it (one listing per folder per build). With `artwork`, each
    video, show and season also gets its .nfo and cached artwork (see the module's docstring).
    """
    entries = sorted(entries, key=lambda e: (e.kind, e.item_id))
    # each video with the entries it holds (several for a multi-episode file)
    videos: list[tuple[FileSpec, list[EntryLike]]] = []
    movie_folders: dict[str, int] = {}
    for entry in (e for e in entries if e.kind == "movie"):
        ext = _extension(entry.file_path)
        folder = naming.movie_folder(entry.title, entry.year)
        owner = movie_folders.setdefault(folder.casefold(), entry.item_id)
        name = folder if owner == entry.item_id else f"{folder} [#{entry.item_id}]"
        videos.append((_spec(entry, f"{MOVIES}/{name}/{name}{ext}"), [entry]))
    videos.extend(_episode_specs([e for e in entries if e.kind == "episode"]))
    specs = [spec for spec, _ in videos]
    listings: dict[str, list[_DiskFile]] = {}
    for spec, (entry, *_) in videos:
        if spec.local_path is not None:
            specs.extend(_local_sidecars(spec, listings))
        elif files_of is not None and entry.info_hash and not spec.debrid:
            files = files_of(entry.info_hash)
            if files:
                specs.extend(subtitles.sidecars(spec, entry.file_path, files, spec.path))
    if artwork is not None:
        specs.extend(_metadata_specs(videos, artwork))  # last: a video's own name wins
    return ShareTree.from_files(specs)


# ---- .nfo files and artwork ------------------------------------------------------------------


def _metadata_specs(
    videos: list[tuple[FileSpec, list[EntryLike]]], artwork: Artwork
) -> list[FileSpec]:
    specs: list[FileSpec] = []
    shows_done: set[str] = set()
    seasons_done: set[tuple[str, int]] = set()
    for video, run in videos:
        entry = run[0]
        ext = _extension(entry.file_path)
        base = video.path[: -len(ext)] if ext else video.path
        if entry.kind == "movie":
            specs.append(_data_spec(video, base + ".nfo", nfo.movie_nfo(entry)))
            folder = base.rsplit("/", 1)[0]
            specs.extend(_art_specs(video, folder, entry, artwork))
            continue
        specs.append(_data_spec(video, base + ".nfo", nfo.episode_nfo(run)))
        show_folder = "/".join(video.path.split("/")[:2])
        if show_folder not in shows_done:
            shows_done.add(show_folder)
            show = replace(video, mtime=_timestamp(getattr(entry, "added_at", None)))
            specs.append(_data_spec(show, f"{show_folder}/tvshow.nfo", nfo.tvshow_nfo(entry)))
            specs.extend(_art_specs(show, show_folder, entry, artwork))
        season = entry.season_number or 0
        if (show_folder, season) not in seasons_done:
            seasons_done.add((show_folder, season))
            found = artwork.file(getattr(entry, "season_poster_path", None), POSTER_SIZE)
            if found is not None:
                name = f"season{season:02d}" if season else "season-specials"
                specs.append(_art_spec(video, f"{show_folder}/{name}-poster.jpg", found))
    return specs


def _art_specs(owner: FileSpec, folder: str, entry: EntryLike, artwork: Artwork) -> list[FileSpec]:
    pictures = (
        ("poster.jpg", getattr(entry, "poster_path", None), POSTER_SIZE),
        ("fanart.jpg", getattr(entry, "backdrop_path", None), BACKDROP_SIZE),
    )
    specs = []
    for name, image_path, size in pictures:
        found = artwork.file(image_path, size)
        if found is not None:
            specs.append(_art_spec(owner, f"{folder}/{name}", found))
    return specs


def _data_spec(owner: FileSpec, path: str, data: bytes) -> FileSpec:
    return replace(
        owner, path=path, size=len(data), data=data, local_path=None, info_hash="", sidecar=True
    )


def _art_spec(owner: FileSpec, path: str, found: tuple[str, int]) -> FileSpec:
    local_path, size = found
    return replace(
        owner, path=path, size=size, local_path=local_path, info_hash="", file_index=0, sidecar=True
    )


@dataclass(frozen=True, slots=True)
class _DiskFile:
    """A file near a local video, shaped like a TorrentFile for subtitles.sidecars()."""

    index: int
    path: str  # relative to the video's folder, "/"-separated
    size: int
    absolute: str


def _local_sidecars(video: FileSpec, listings: dict[str, list[_DiskFile]]) -> list[FileSpec]:
    folder, name = os.path.split(video.local_path)
    if folder not in listings:
        listings[folder] = _list_near(folder)
    files = listings[folder]
    found = subtitles.sidecars(video, name, files, video.path) if files else []
    return [replace(f, local_path=files[f.file_index].absolute, file_index=0) for f in found]


def _list_near(folder: str) -> list[_DiskFile]:
    """Files in `folder` and in its subtitle folders (two levels, as subtitles.py reads)."""
    found: list[_DiskFile] = []
    pending = [("", folder, 0)]
    while pending:
        relative, path, depth = pending.pop()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    name = relative + entry.name
                    if entry.is_dir():
                        if depth < 2 and (depth or entry.name.casefold() in SUBTITLE_FOLDERS):
                            pending.append((name + "/", entry.path, depth + 1))
                    elif entry.is_file():
                        size = entry.stat().st_size
                        found.append(_DiskFile(len(found), name, size, entry.path))
        except OSError as exc:  # gone or unreadable: the video's own open will say so
            logger.debug("Cannot list %s for subtitles: %s", path, exc)
    return found


def _episode_specs(entries: list[EntryLike]) -> list[tuple[FileSpec, list[EntryLike]]]:
    show_folders: dict[str, int] = {}
    show_names: dict[int, str] = {}
    for entry in sorted(entries, key=lambda e: e.show_id or 0):
        if entry.show_id in show_names:
            continue
        folder = naming.movie_folder(entry.title, entry.year)
        owner = show_folders.setdefault(folder.casefold(), entry.show_id)
        show_names[entry.show_id] = (
            folder if owner == entry.show_id else f"{folder} [#{entry.show_id}]"
        )
    # A file holding several episodes (S01E01E02) is assigned to each: show it once, named for
    # the run of episodes it holds, as players expect ("S01E01-E02").
    groups: dict[tuple, list[EntryLike]] = {}
    for entry in entries:
        key = (
            entry.show_id,
            entry.season_number,
            entry.info_hash,
            entry.file_index,
            _local_path(entry),
        )
        groups.setdefault(key, []).append(entry)
    specs = []
    for group in groups.values():
        group.sort(key=lambda e: e.episode_number or 0)
        for run in _consecutive_runs(group):
            first, last = run[0], run[-1]
            show_folder = show_names[first.show_id]
            path = naming.episode_path(
                first.title,
                first.year,
                first.season_number or 0,
                first.episode_number or 0,
                first.episode_title or "",
                _extension(first.file_path),
                last_episode=last.episode_number if last is not first else None,
            )
            path = _replace_show_folder(path, show_folder)
            specs.append((_spec(first, path), run))
    return specs


def _consecutive_runs(group: list[EntryLike]) -> list[list[EntryLike]]:
    runs: list[list[EntryLike]] = []
    for entry in group:
        if runs and entry.episode_number == (runs[-1][-1].episode_number or 0) + 1:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _replace_show_folder(path: str, show_folder: str) -> str:
    """naming.episode_path names the show folder itself; a collision needs the suffixed name."""
    parts = path.split("/")
    parts[1] = show_folder
    return "/".join(parts)


def _extension(file_path: str) -> str:
    suffix = PurePosixPath(file_path).suffix.lower()
    return suffix if 1 < len(suffix) <= 6 and suffix[1:].isalnum() else ""


def _spec(entry: EntryLike, path: str) -> FileSpec:
    return FileSpec(
        path=path,
        size=entry.file_size,
        mtime=_timestamp(entry.created_at),
        info_hash=entry.info_hash,
        file_index=entry.file_index,
        assignment_id=entry.assignment_id,
        local_path=_local_path(entry),
        debrid=getattr(entry, "source_kind", "torrent") == "debrid",
    )


def _local_path(entry: EntryLike) -> str | None:
    if getattr(entry, "source_kind", "torrent") != "local":
        return None
    return getattr(entry, "local_path", None) or None


def _timestamp(when: datetime | None) -> float:
    return float(int(when.timestamp())) if when is not None else 0.0
