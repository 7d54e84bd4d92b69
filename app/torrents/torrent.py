"""ManagedTorrent: everything the engine knows about one torrent beside libtorrent's handle.

Holds our per-torrent state (metadata as plain data, the piece fetcher, persisted choices,
activity, idle level, health, peers worth reconnecting to) and turns it into a TorrentStatus.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import libtorrent as lt

from app.torrents.errors import TorrentError
from app.torrents.health import HealthMonitor
from app.torrents.holds import HoldWaker
from app.torrents.pieces import PieceFetcher
from app.torrents.reader import TorrentFileReader
from app.torrents.status import PIECE_FETCHING, PIECE_HAVE, TorrentInfo, TorrentStatus
from app.torrents.store import TorrentState
from app.words import plural

logger = logging.getLogger(__name__)

MAX_KNOWN_PEERS = 200
SAVED_PEERS = 50
NUDGE_EVERY = 1.0
NUDGE_LOG_EVERY = 60.0
REANNOUNCE_EVERY = 10.0  # while a read waits with no peer: trackers are asked this often

ACTIVE, UPLOAD_ONLY, IDLE_PAUSED = 0, 1, 2

_STATES = {
    lt.torrent_status.states.checking_files: "checking",
    lt.torrent_status.states.checking_resume_data: "checking",
    lt.torrent_status.states.downloading_metadata: "metadata",
    lt.torrent_status.states.downloading: "downloading",
    lt.torrent_status.states.finished: "finished",
    lt.torrent_status.states.seeding: "seeding",
}


def peers_and_seeds(peers: int, seeds: int) -> str:
    """ "1 peer (1 seed)", "2 peers (1 seed)"."""
    return f"{plural(peers, 'peer')} ({plural(seeds, 'seed')})"


def choking(peers: int) -> str:
    """ "the connected peer chokes us", "all 2 connected peers choke us"."""
    return "the connected peer chokes us" if peers == 1 else f"all {peers} connected peers choke us"


@dataclass(eq=False)
class ManagedTorrent:
    info_hash: str
    handle: lt.torrent_handle
    state: TorrentState
    name: str = ""
    info: TorrentInfo | None = None
    fetcher: PieceFetcher | None = None
    failure: TorrentError | None = None  # set when the torrent is gone (timeout, removal)
    readers: int = 0
    read_files: Counter[int] = field(default_factory=Counter)  # file index -> open readers
    open_readers: set[TorrentFileReader] = field(default_factory=set)  # where players read
    idle_level: int = ACTIVE
    user_paused: bool = False
    error: str | None = None
    evicting: bool = False
    evicted_ti: lt.torrent_info | None = None  # metadata kept while the data is deleted
    resume_dirty_at: float | None = None  # monotonic time a change made resume data stale
    state_dirty: bool = False
    saving: bool = False  # a save_resume_data is in flight (see ResumeSaver.save)
    saves_wanted: int = 0
    saves_issued: int = 0
    saves_done: int = 0
    pieces_seen: int = 0  # pieces the status showed when the last save was asked for
    resume_pieces: int = 0  # pieces in the last resume data written
    last_activity: float = field(default_factory=time.monotonic)
    known_peers: set[tuple[str, int]] = field(default_factory=set)
    health: HealthMonitor = field(default_factory=HealthMonitor)
    waker: HoldWaker = field(default_factory=HoldWaker)
    ready: threading.Event = field(default_factory=threading.Event)  # metadata or failure
    available: threading.Event = field(default_factory=threading.Event)  # not being evicted
    lock: threading.RLock = field(default_factory=threading.RLock)
    _last_nudge: float = 0.0
    _last_nudge_log: float = float("-inf")
    _last_reannounce: float = float("-inf")

    def mark_resume_dirty(self) -> None:
        if self.resume_dirty_at is None:
            self.resume_dirty_at = time.monotonic()

    def remember_peers(self, peers) -> None:
        for ip, port in peers:
            if len(self.known_peers) >= MAX_KNOWN_PEERS:
                break
            endpoint = (str(ip), int(port))
            if endpoint not in self.known_peers:
                self.known_peers.add(endpoint)
                self.state.peers = sorted(self.known_peers)[:SAVED_PEERS]
                self.state_dirty = True

    def reconnect(self) -> int:
        """Connect to every peer we have seen: after a pause libtorrent would wait for
        announces; returns how many were tried."""
        for endpoint in list(self.known_peers):
            try:
                self.handle.connect_peer(endpoint)
            except RuntimeError as exc:
                logger.debug("connect_peer %s failed: %s", endpoint, exc)
        return len(self.known_peers)

    def reannounce(self, dht: bool) -> int:
        """Ask every tracker (and the DHT) for peers now, past the tracker's minimum interval
        (opentracker asks for 15 minutes), and connect to every peer we knew; returns how many
        known peers were tried."""
        self.handle.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        if dht:
            self.handle.force_dht_announce()
        return self.reconnect()

    def nudge(self, engine, dht: bool, piece: int) -> None:
        """A read waits for `piece`: make sure someone can send it, now rather than at the next
        announce or stall check. Called from reading threads while they wait (WAIT_STEP).

        Peers that hold our requests (a capped aria2) are woken (holds.py). Once a second,
        with no peer at all (a quiet torrent whose seeders dropped us, a restart, a dead seeder
        back on its address) it asks every tracker again at once and connects to every peer it
        knew; with peers but no seed it recounts libtorrent's connect candidates."""
        if self.fetcher is not None:  # it is: the fetcher's reads call this
            self.waker.wake_if_held(self.handle, piece, self.fetcher.reapply)
        now = time.monotonic()
        if now - self._last_nudge < NUDGE_EVERY:
            return
        self._last_nudge = now
        st = self.handle.status(0)
        if st.num_seeds > 0:
            return
        engine.refresh_peer_lists()
        if st.num_peers > 0 or now - self._last_reannounce < REANNOUNCE_EVERY:
            self.reconnect()
        else:
            self._last_reannounce = now
            tried = self.reannounce(dht)
            log = logger.info if now - self._last_nudge_log >= NUDGE_LOG_EVERY else logger.debug
            self._last_nudge_log = now
            log(
                "A read of %s waits with no peer: reannounced, reconnecting %d known peers",
                self.info_hash,
                tried,
            )

    def waiting_reason(self, st: lt.torrent_status) -> str | None:
        """Why a player waits, in words for the Torrents page and the API; None if none does."""
        if self.fetcher is None or not self.fetcher.waiting:
            return None
        if st.num_peers == 0:
            return "a player waits and no peer is connected: asking the trackers and known peers"
        peers = self.handle.get_peer_info()
        if peers and all(p.flags & lt.peer_info.remote_choked for p in peers):
            return f"a player waits: {choking(len(peers))} for now"
        return f"a player waits for pieces from {peers_and_seeds(st.num_peers, st.num_seeds)}"

    def snapshot(self, *, keep_pieces: bool = True) -> TorrentStatus:
        st = self.handle.status()
        info = self.info
        pieces = None
        if info is not None and keep_pieces:
            have = st.pieces
            fetching = self.fetcher.fetching() if self.fetcher else set()
            pieces = bytes(
                PIECE_HAVE if have[i] else PIECE_FETCHING if i in fetching else 0
                for i in range(len(have))
            )
        with self.lock:
            reading = tuple(sorted(reader.piece() for reader in self.open_readers))
        # only while libtorrent reports it: an error alert handled after a resume is stale
        error = (self.error or st.errc.message()) if st.errc.value() else None
        return TorrentStatus(
            info_hash=self.info_hash,
            name=info.name if info else (st.name or self.name or self.info_hash),
            total_size=info.total_size if info else 0,
            # of the whole torrent: libtorrent's own progress only counts wanted pieces
            progress=st.total_done / info.total_size if info and info.total_size else 0.0,
            state=self._state_name(st, error),
            paused=bool(st.paused) or self.idle_level == IDLE_PAUSED,
            download_rate=int(st.download_payload_rate),
            upload_rate=int(st.upload_payload_rate),
            peers=int(st.num_peers),
            seeds=int(st.num_seeds),
            pieces_done=int(st.num_pieces),
            num_pieces=info.num_pieces if info else 0,
            error=error,
            stalled=self.health.stalled,
            waiting=self.waiting_reason(st),
            keep_full_copy=self.state.keep_full_copy,
            active_readers=self.readers,
            streaming_files=frozenset(self.read_files),
            reading_pieces=reading,
            last_streamed=self.state.last_streamed,
            health=self.health.history(),
            pieces=pieces,
        )

    def _state_name(self, st: lt.torrent_status, error: str | None) -> str:
        if error:
            return "error"
        if self.user_paused:
            return "paused"
        if self.idle_level != ACTIVE:
            return "idle"
        if self.info is None:
            return "metadata"
        state = _STATES.get(st.state, "downloading")
        if state == "finished" and st.num_pieces < self.info.num_pieces:
            # Every piece asked for so far is here; the rest waits for a player to read it.
            return "ready"
        return state
