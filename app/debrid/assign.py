"""Sending a torrent to the debrid account for a library item, then assigning its files.

DebridAssigner.assign() takes a magnet (or .torrent bytes, sent as the magnet libtorrent
makes of them: hash, name and trackers) and a target (movie, show, season or episode).
A torrent with the same hash already in the account (the saved list, else its newest
page) is reused; otherwise the magnet is added. Once the service lists the torrent's files,
the ones the item needs are chosen with the local assign's rules (app/library/matching.py:
the movie's main video, episodes matched by their numbers; samples and extras never) and
selected. Its status is followed (queued, downloading with a percentage, downloaded: a
cached torrent is downloaded at once) and reported to `on_progress`; a failing status
(magnet_error, error, virus, dead) ends it with the reason.

Then, in one library transaction, the torrent and its links join the saved list (store.py,
so the share serves the files at once) and the files become the items' "debrid"
assignments; the sync source's run lock is held meanwhile, so a run half way through its
fetch cannot overwrite the list, and the next run finds the files assigned, not unmatched.
Cancel (the task cancelled) or a failure before that deletes the torrent from the account
when this assignment added it, and the library is left as it was. Runs on the app's loop;
the library work goes to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import libtorrent as lt

from app.debrid import library_sync, store
from app.debrid.base import FAILING, DebridError, RemoteFile, TorrentInfo
from app.debrid.library_sync import PACKED
from app.debrid.store import Cached
from app.library import matching
from app.library.models import Assignment
from app.torrents import sources

logger = logging.getLogger(__name__)

TARGET_KINDS = ("movie", "show", "season", "episode")
POLL = 1.0  # seconds between status checks while the status changes
POLL_MAX = 10.0  # the longest wait between checks of a torrent that does not move
RECENT = 100  # the newest torrents asked for when the saved list lacks the hash
STATUS_TEXT = {
    "magnet_conversion": "Real-Debrid is reading the magnet",
    "waiting_files_selection": "Choosing the files",
    "queued": "Queued on Real-Debrid",
    "downloading": "Real-Debrid is downloading",
    "compressing": "Real-Debrid is packing the files",
    "uploading": "Real-Debrid is storing the files",
}


class DebridAssignError(DebridError):
    """The assignment cannot be made; the message says why (nothing was changed)."""


@dataclass(frozen=True)
class Target:
    kind: str  # one of TARGET_KINDS
    id: int


@dataclass(frozen=True)
class Progress:
    """What the torrent is doing now: its status, the percentage downloaded, in words."""

    status: str
    percent: float
    text: str


@dataclass(frozen=True)
class Pick:
    """A file of the torrent and the item it becomes the source of."""

    item_type: str  # movie or episode
    item_id: int
    file_id: int


class DebridAssigner:
    """Assigns through one account; `runs` is the sync source's run lock, when it has one."""

    def __init__(
        self,
        library,
        account,
        *,
        runs: asyncio.Lock | None = None,
        poll: float = POLL,
        poll_max: float = POLL_MAX,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.library = library
        self.account = account
        self._runs = runs or asyncio.Lock()
        self._poll = poll
        self._poll_max = poll_max
        self._sleep = sleep

    async def assign(
        self,
        source: str | bytes,
        target: Target,
        on_progress: Callable[[Progress], None] = lambda progress: None,
    ) -> list[Assignment]:
        """Send `source` for `target`; returns the saved assignments. Raises
        DebridAssignError (or the client's DebridError) with the reason."""
        account = store.logouts()
        magnet, info_hash = await asyncio.to_thread(as_magnet, source)
        wanted = await asyncio.to_thread(self._wanted, target)
        torrent_id = await self._existing(info_hash)
        added = torrent_id is None
        if torrent_id is None:
            on_progress(Progress("adding", 0.0, "Sending the magnet to Real-Debrid"))
            adding = asyncio.ensure_future(self.account.add_magnet(magnet))
            try:
                torrent_id = await asyncio.shield(adding)
            except asyncio.CancelledError:
                # the service adds it anyway: wait for its id and take it back out
                with contextlib.suppress(Exception):
                    await self._take_back(await adding)
                raise
            logger.info("Sent %s to the debrid account as %s", info_hash, torrent_id)
        saved = False
        try:
            info, picks = await self._follow(torrent_id, wanted, on_progress)
            on_progress(Progress("saving", 100.0, "Saving"))
            async with self._runs:
                write = asyncio.ensure_future(asyncio.to_thread(self._save, info, picks, account))
                try:
                    rows = await asyncio.shield(write)
                except asyncio.CancelledError:
                    # too late to cancel: the write goes on in its thread; wait for it so
                    # the torrent is not deleted under assignments that were saved
                    with contextlib.suppress(Exception):
                        await write
                    saved = write.done() and write.exception() is None
                    raise
            saved = True
            return rows
        finally:
            if added and not saved:  # cancelled or failed: the account as it was
                await asyncio.shield(self._take_back(torrent_id))

    async def _take_back(self, torrent_id: str) -> None:
        """Delete a torrent this assignment added; a failure is said, not hidden."""
        try:
            await self.account.delete(torrent_id)
        except DebridError as exc:
            logger.warning(
                "%s stays in the debrid account (deleting it failed: %s)", torrent_id, exc
            )
        else:
            logger.info("Deleted %s from the debrid account: not assigned", torrent_id)

    # ---- steps ------------------------------------------------------------------------------

    async def _existing(self, info_hash: str) -> str | None:
        """The id of the account's torrent with this hash, if it has one."""
        known = await asyncio.to_thread(store.load)
        for cached in known:
            if cached.torrent.hash == info_hash:
                return cached.torrent.id
        recent, _total = await self.account.torrents_page(1, RECENT)
        return next((t.id for t in recent if t.hash == info_hash), None)

    async def _follow(
        self, torrent_id: str, wanted: Wanted, on_progress: Callable[[Progress], None]
    ) -> tuple[TorrentInfo, list[Pick]]:
        """Select the files once the service lists them; wait until downloaded."""
        picks: list[Pick] | None = None
        delay, last = self._poll, None
        while True:
            info = await self.account.info(torrent_id)
            status, name = info.torrent.status, info.torrent.filename
            if status in FAILING:
                raise DebridAssignError(
                    f"Real-Debrid cannot fetch “{name}”: {FAILING[status]} ({status})"
                )
            if status == "waiting_files_selection" and picks is None:
                picks = wanted.pick(info.files, name)
                on_progress(Progress(status, 0.0, STATUS_TEXT[status]))
                await self.account.select_files(torrent_id, sorted({p.file_id for p in picks}))
                continue
            if status == "downloaded":
                if picks is None:  # it was in the account, downloaded, already
                    picks = wanted.pick(info.files, name)
                if not any(file.link for file in info.files):
                    raise DebridAssignError(f"“{name}”: {library_sync.REASONS[PACKED]}")
                unselected = [p for p in picks if _file(info, p.file_id).link is None]
                if unselected:
                    raise DebridAssignError(
                        f"“{name}” is in the Real-Debrid account without "
                        f"{_file(info, unselected[0].file_id).path} selected: delete it there "
                        "and assign it again"
                    )
                return info, picks
            percent = float(info.torrent.progress)
            on_progress(Progress(status, percent, STATUS_TEXT.get(status, status)))
            # checks come quickly while the torrent moves, slowly when it does not
            delay = self._poll if (status, percent) != last else min(delay * 2, self._poll_max)
            last = (status, percent)
            await self._sleep(delay)

    def _wanted(self, target: Target) -> Wanted:
        """What the target needs (worker thread): a movie, or its episodes by number."""
        if target.kind == "movie":
            self.library.get_movie(target.id)
            return Wanted(movie=target.id)
        if target.kind == "episode":
            episode = self.library.get_episode(target.id)
            key = (episode.season.number, episode.number)
            return Wanted(episodes={key: episode.id}, season_hint=key[0], single=True)
        if target.kind == "season":
            season = self.library.get_season(target.id)
            seasons, hint = [season], season.number
        elif target.kind == "show":
            self.library.get_show(target.id)
            seasons, hint = self.library.seasons(target.id), None
        else:
            raise DebridAssignError(
                f"cannot assign to a {target.kind!r}; expected {', '.join(TARGET_KINDS)}"
            )
        episodes = {
            (season.number, episode.number): episode.id
            for season in seasons
            for episode in self.library.episodes(season.id)
        }
        if not episodes:
            raise DebridAssignError("it has no episodes to assign")
        return Wanted(episodes=episodes, season_hint=hint)

    def _save(self, info: TorrentInfo, picks: list[Pick], account: int) -> list[Assignment]:
        """The torrent into the saved list and its files onto the items (worker thread);
        nothing when the account was logged out since `account` (store.logouts())."""
        ours = Cached(info.torrent, info.files, info.torrent.fingerprint())
        with self.library.writing():
            store.check_same_account(account)
            listed = store.load()
            at = next((n for n, c in enumerate(listed) if c.torrent.id == ours.torrent.id), None)
            if at is None:
                listed.insert(0, ours)  # the newest: where the account lists it
            else:
                listed[at] = ours
            store.replace(listed)
            return [
                library_sync.assign_file(
                    self.library, info.torrent.hash, p.file_id, p.item_type, p.item_id
                )
                for p in picks
            ]


@dataclass(frozen=True)
class Wanted:
    """The files a target needs: a movie's main video, or episodes by (season, number)."""

    movie: int | None = None
    episodes: dict[tuple[int, int], int] | None = None
    season_hint: int | None = None
    single: bool = False  # one episode: a torrent with one main video is that episode

    def pick(self, files: tuple[RemoteFile, ...], name: str) -> list[Pick]:
        triples = [(f.id, f.path, f.bytes) for f in files]
        main = [c for c in matching.rank_movie_files(triples) if c.is_video and not c.is_extra]
        if self.movie is not None:
            if not main:
                raise DebridAssignError(f"“{name}” holds no video file")
            return [Pick("movie", self.movie, main[0].index)]  # the largest, as preselected
        assert self.episodes is not None
        found = matching.match_episodes(triples, self.episodes, self.season_hint)
        if not found and self.single and len(main) == 1:
            found = {next(iter(self.episodes)): main[0].index}
        if not found:
            raise DebridAssignError(f"no file of “{name}” is one of these episodes")
        return [Pick("episode", self.episodes[key], file_id) for key, file_id in found.items()]


def as_magnet(source: str | bytes) -> tuple[str, str]:
    """The magnet to send and its info hash; InvalidTorrent for anything else."""
    info_hash, params = sources.to_params(source)
    if params.ti is not None:  # .torrent bytes: hash, name and trackers
        return lt.make_magnet_uri(params.ti), info_hash
    text = source.strip() if isinstance(source, str) else ""
    if not text.lower().startswith("magnet:"):  # a bare info hash
        text = f"magnet:?xt=urn:btih:{info_hash}"
    return text, info_hash


def _file(info: TorrentInfo, file_id: int) -> RemoteFile:
    return next(f for f in info.files if f.id == file_id)
