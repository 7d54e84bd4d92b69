"""Assigning torrent files to movies and episodes: the one flow the JSON API and the GUI share.

Adds the torrent (waiting for its metadata), picks or checks the file, stores the assignment
with the file's size and release details; takes items off the share (unassign, delete) and
removes torrents, by request or when nothing uses them any more. No HTTP and no Qt here:
callers run these blocking calls on a worker thread and turn the typed errors (whose
messages are written for users) into their own answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from app.library import matching

logger = logging.getLogger(__name__)

ITEM_TYPES = ("movie", "episode")


class AssignError(Exception):
    """The assignment cannot be made as asked; the message tells the user why."""


class NoVideoFile(AssignError):
    pass


class AmbiguousFile(AssignError):
    """Several video files could be the one; `candidates` are the TorrentFiles to choose from."""

    def __init__(self, message: str, candidates: list) -> None:
        super().__init__(message)
        self.candidates = candidates


class FileNotInTorrent(AssignError):
    pass


class NotAssigned(AssignError, LookupError):
    pass


class TorrentInUse(AssignError):
    """Removing the torrent would take items off the share; `assignments` are those items."""

    def __init__(self, message: str, assignments: list) -> None:
        super().__init__(message)
        self.assignments = assignments


class Assigner:
    def __init__(self, library, torrents) -> None:
        self.library = library
        self.torrents = torrents

    # ---- inspecting -----------------------------------------------------------------------

    def inspect(self, source: str | bytes):
        """Add the torrent and wait for its metadata; returns its TorrentInfo (file list).

        The torrent stays in the session so the following assign() is instant; call
        discard() if the user cancels.
        """
        return self.torrents.add(source)

    def discard(self, info_hash: str) -> bool:
        """Remove a torrent that no active assignment uses (after a cancelled inspect)."""
        if not info_hash:  # a local file's assignment: no torrent behind it
            return False
        if self.library.assignments_for_hash(info_hash, active_only=True):
            return False
        if self.torrents.get(info_hash) is None:
            return False
        self.torrents.remove(info_hash, delete_data=True)
        logger.info("Removed torrent %s: nothing uses it any more", info_hash)
        return True

    # ---- assigning ------------------------------------------------------------------------

    def assign(
        self,
        item_type: str,
        item_id: int,
        source: str | bytes,
        file_path: str | None = None,
        resolution: str | None = None,
        source_label: str | None = None,
    ):
        """Make a file of this torrent the item's source; returns the Assignment.

        Without file_path: for an episode, the file whose name carries its SxxEyy; otherwise
        the only main video file. Raises NotFound, NoVideoFile, AmbiguousFile,
        FileNotInTorrent, or the torrent service's errors (InvalidTorrent, MetadataTimeout).
        """
        item_type = _check_type(item_type)
        episode_key = self._episode_key(item_id) if item_type == "episode" else None
        if item_type == "movie":
            self.library.get_movie(item_id)
        info, was_new = self._add(source)
        try:
            if file_path is not None:
                chosen = _find_file(info, file_path)
            else:
                chosen = _pick_file(info, episode_key)
            previous = self.library.active_assignment(item_type, item_id)
            assignment = self._store(
                item_type, item_id, info, chosen, source, resolution, source_label
            )
        except Exception:
            if was_new:
                self.discard(info.info_hash)
            raise
        if previous is not None and previous.info_hash != info.info_hash:
            self.discard(previous.info_hash)
        logger.info("Assigned %s of %s to %s %d", chosen.path, info.name, item_type, item_id)
        return assignment

    def assign_episodes(self, source: str | bytes, mapping: Mapping[int, int]) -> list:
        """Assign several episodes at once (a season pack): {episode_id: file_index}.

        Every episode and file index is checked before anything is stored.
        """
        for episode_id in mapping:
            self.library.get_episode(episode_id)
        info, was_new = self._add(source)
        by_index = {f.index: f for f in info.files}
        try:
            missing = [index for index in mapping.values() if index not in by_index]
            if missing:
                raise FileNotInTorrent(
                    f"{info.name} has no file number {', '.join(map(str, missing))}"
                )
            previous = {
                a.info_hash
                for episode_id in mapping
                if (a := self.library.active_assignment("episode", episode_id)) is not None
            }
            done = [
                self._store("episode", episode_id, info, by_index[index], source, None, None)
                for episode_id, index in mapping.items()
            ]
        except Exception:
            if was_new:
                self.discard(info.info_hash)
            raise
        for info_hash in previous - {info.info_hash}:
            self.discard(info_hash)
        return done

    # ---- removing -------------------------------------------------------------------------

    def unassign(self, item_type: str, item_id: int):
        """Take the item off the share; its torrent goes when nothing else uses it."""
        item_type = _check_type(item_type)
        active = self.library.active_assignment(item_type, item_id)
        if active is None:
            raise NotAssigned(f"this {item_type} has no source assigned")
        assignment = self.library.deactivate(active.id)
        self.discard(active.info_hash)
        return assignment

    def remove_torrent(
        self, info_hash: str, *, force: bool = False, delete_data: bool = True
    ) -> list:
        """Remove a torrent (and its downloaded data unless delete_data is False); with
        force, first take the items using it off the share, so the share never lists a file
        whose torrent is gone.

        Returns the deactivated assignments. Raises TorrentNotFound before anything changes,
        TorrentInUse without force.
        """
        self.torrents.status(info_hash)  # TorrentNotFound before anything changes
        users = self.library.assignments_for_hash(info_hash, active_only=True)
        if users and not force:
            raise TorrentInUse(
                f"{len(users)} item(s) on the share use this torrent; unassign them first "
                "or remove it anyway (force)",
                users,
            )
        done = [self.library.deactivate(a.id) for a in users]
        self.torrents.remove(info_hash, delete_data=delete_data)
        return done

    def delete_item(self, item_type: str, item_id: int) -> None:
        """Delete a movie or a show (with its episodes) and the torrents only it used."""
        if item_type == "movie":
            hashes = {a.info_hash for a in self.library.assignments_of("movie", item_id)}
            self.library.delete_movie(item_id)
        elif item_type == "show":
            hashes = {
                a.info_hash
                for season in self.library.seasons(item_id)
                for episode in self.library.episodes(season.id)
                for a in self.library.assignments_of("episode", episode.id)
            }
            self.library.delete_show(item_id)
        else:
            raise AssignError(f"cannot delete a {item_type!r}; expected movie or show")
        for info_hash in hashes:
            self.discard(info_hash)

    # ---- helpers --------------------------------------------------------------------------

    def _add(self, source: str | bytes):
        info_hash = self.torrents.parse_source(source)
        was_new = self.torrents.get(info_hash) is None
        return self.torrents.add(source), was_new

    def _episode_key(self, episode_id: int) -> tuple[int, int]:
        episode = self.library.get_episode(episode_id)
        return episode.season.number, episode.number

    def _store(self, item_type, item_id, info, chosen, source, resolution, source_label):
        return self.library.assign(
            item_type,
            item_id,
            info_hash=info.info_hash,
            file_index=chosen.index,
            file_path=chosen.path,
            file_size=chosen.size,
            magnet_uri=source if isinstance(source, str) else None,
            torrent_data=bytes(source) if isinstance(source, bytes | bytearray) else None,
            resolution=resolution or matching.guess_resolution(chosen.path),
            source=source_label or matching.guess_source(chosen.path),
        )


def _check_type(item_type: str) -> str:
    if item_type not in ITEM_TYPES:
        raise AssignError(f"cannot assign to a {item_type!r}; expected movie or episode")
    return item_type


def _find_file(info, file_path: str):
    wanted = file_path.strip().strip("/")
    for file in info.files:
        # accept the path with or without the torrent's top folder
        if file.path == wanted or file.path.split("/", 1)[-1] == wanted:
            if not matching.is_video(file.path):
                # a player cannot play a .nfo; the share would still list it as the movie
                raise NoVideoFile(f"{file.path} is not a video file")
            return file
    raise FileNotInTorrent(f"{info.name} has no file {file_path!r}")


def _pick_file(info, episode_key: tuple[int, int] | None):
    triples = [(f.index, f.path, f.size) for f in info.files]
    by_index = {f.index: f for f in info.files}
    if episode_key is not None:
        found = matching.match_episodes(triples, [episode_key], season_hint=episode_key[0])
        if episode_key in found:
            return by_index[found[episode_key]]
    ranked = matching.rank_movie_files(triples)
    videos = [c for c in ranked if c.is_video]
    if not videos:
        raise NoVideoFile(f"{info.name} holds no video file")
    main = [c for c in videos if not c.is_extra] or videos
    if len(main) == 1:
        return by_index[main[0].index]
    raise AmbiguousFile(
        f"{info.name} holds {len(videos)} video files; say which one (file_path)",
        [by_index[c.index] for c in videos],
    )
