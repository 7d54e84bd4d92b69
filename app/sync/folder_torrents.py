""".torrent files dropped into a watched folder: added to the engine, assigned, moved away.

A new .torrent is added to the torrent engine with its bytes (no metadata wait). When its
release name matches exactly one library movie without a source, or one show whose episodes
without a source are in it, it is assigned through the Assigner; otherwise it waits in the
Torrents view, unassigned, and the folder lists it as unmatched. Then the file moves to the
folder's `processed/` subfolder, so it is never added twice. A file that is not a torrent
moves to `failed/` with `<name>.reason.txt` beside it. A torrent engine that is not running
leaves the file where it is, for the next scan.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass

from app.assign import AssignError
from app.library import matching
from app.library.errors import LibraryError
from app.library.models import Assignment
from app.sync.folder_match import Release, TitleIndex, Unmatched, guess_release, single_candidate
from app.sync.folder_scan import FAILED, PROCESSED
from app.torrents.errors import InvalidTorrent, TorrentError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What handling one .torrent did."""

    settled: bool  # False: look at the file again next scan (it is still there)
    assigned: int = 0
    failed: bool = False
    problem: str | None = None  # a passing trouble, for the sync's summary
    unmatched: Unmatched | None = None


class TorrentDrops:
    """Handles the .torrent files of the watched folder at `folder`."""

    def __init__(self, library, torrents, assigner, folder: str) -> None:
        self.library = library
        self.torrents = torrents
        self.assigner = assigner
        self.folder = folder

    def handle(self, path: str, titles: TitleIndex) -> Outcome:
        name = os.path.basename(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return Outcome(settled=True)  # gone since the scan
        except OSError as exc:
            return Outcome(settled=False, problem=f"cannot read {name}: {exc.strerror or exc}")
        try:
            info = self.torrents.add(data)
        except InvalidTorrent as exc:
            self._fail(path, str(exc))
            return Outcome(settled=True, failed=True)
        except TorrentError as exc:  # the engine is not running
            return Outcome(settled=False, problem=f"{name} not added yet: {exc}")
        assigned, reason = self._assign(data, info, guess_release(info.name), titles)
        moved = self.move(path, PROCESSED)
        if moved is None:
            # left in place: unchanged, the next scans do not add it again
            return Outcome(settled=True, assigned=assigned)
        unmatched = Unmatched(moved, "torrent", reason, info.info_hash) if reason else None
        return Outcome(settled=True, assigned=assigned, unmatched=unmatched)

    def move(self, path: str, subfolder: str) -> str | None:
        """Move a handled file into the folder's subfolder under a free name; None if it
        cannot be moved (logged)."""
        target_dir = os.path.join(self.folder, subfolder)
        stem, ext = os.path.splitext(os.path.basename(path))
        try:
            os.makedirs(target_dir, exist_ok=True)
            target = os.path.join(target_dir, stem + ext)
            number = 2
            while os.path.lexists(target):
                target = os.path.join(target_dir, f"{stem} ({number}){ext}")
                number += 1
            shutil.move(path, target)
        except OSError as exc:
            logger.warning("Cannot move %s to %s/: %s", path, subfolder, exc)
            return None
        return target

    def _assign(
        self, data: bytes, info, release: Release | None, titles: TitleIndex
    ) -> tuple[int, str | None]:
        """(items assigned, why none) for a torrent already in the engine."""
        target, reason = single_candidate(release, titles, info.name)
        if target is None:
            return 0, reason
        try:
            if release.kind == "movie":
                if self.library.active_assignment("movie", target.id) is not None:
                    return 0, f"{target.label} already has a source"
                self.assigner.assign("movie", target.id, data)
                return 1, None
            mapping = self._episodes(info, release, target.id)
            if not mapping:
                return 0, f"no file of {info.name} is an episode of {target.label} without a source"
            self.assigner.assign_episodes(data, mapping)
            return len(mapping), None
        except (AssignError, LibraryError, TorrentError) as exc:
            return 0, str(exc)

    def _episodes(self, info, release: Release, show_id: int) -> dict[int, int]:
        """{episode id: file index} for the show's episodes without a source in this torrent."""
        free = self._episodes_without_source(show_id)
        files = [(f.index, f.path, f.size) for f in info.files]
        found = matching.match_episodes(files, free, season_hint=release.season)
        if not found and release.season is not None and len(release.episodes) == 1:
            # "Show.S01E03" holding a file named otherwise: its one main video
            key = (release.season, release.episodes[0])
            main = [c for c in matching.rank_movie_files(files) if c.is_video and not c.is_extra]
            if key in free and len(main) == 1:
                found = {key: main[0].index}
        return {free[key]: index for key, index in found.items()}

    def _episodes_without_source(self, show_id: int) -> dict[tuple[int, int], int]:
        sourced = {
            row.item_id
            for row in Assignment.select(Assignment.item_id).where(
                Assignment.item_type == "episode", Assignment.active == 1
            )
        }
        return {
            (season.number, episode.number): episode.id
            for season in self.library.seasons(show_id)
            for episode in self.library.episodes(season.id)
            if episode.id not in sourced
        }

    def _fail(self, path: str, reason: str) -> None:
        moved = self.move(path, FAILED)
        if moved is None:
            return
        try:
            with open(moved + ".reason.txt", "w", encoding="utf-8") as handle:
                handle.write(reason + "\n")
        except OSError as exc:
            logger.warning("Cannot write why %s failed: %s", moved, exc)
        logger.warning("%s moved to %s/: %s", path, FAILED, reason)
