"""Plain, frozen snapshots of torrents (info, status, health events), safe to hand to any thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Values of TorrentStatus.pieces, one byte per piece.
PIECE_MISSING, PIECE_HAVE, PIECE_FETCHING = 0, 1, 2


@dataclass(frozen=True)
class TorrentFile:
    index: int
    path: str  # relative, "/"-separated, starting with the torrent's name for multi-file torrents
    size: int
    offset: int  # byte offset of the file inside the torrent


@dataclass(frozen=True)
class TorrentInfo:
    info_hash: str  # 40 lowercase hex characters (v1)
    name: str
    total_size: int
    piece_length: int
    num_pieces: int
    files: tuple[TorrentFile, ...]


@dataclass(frozen=True)
class HealthEvent:
    time: float  # time.time()
    kind: str  # "stalled" | "recovery" | "recovered" | "error" | "evicted" | "woken"
    message: str


@dataclass(frozen=True)
class TorrentStatus:
    info_hash: str
    name: str
    total_size: int
    progress: float  # 0..1 of the whole torrent
    # "metadata", "checking", "downloading", "ready" (has every piece asked for so far),
    # "finished" (has every piece), "seeding", "paused", "idle", "error"
    state: str
    paused: bool
    download_rate: int  # bytes/s
    upload_rate: int
    peers: int
    seeds: int
    pieces_done: int
    num_pieces: int
    error: str | None
    stalled: bool
    keep_full_copy: bool
    active_readers: int
    last_streamed: float | None  # time.time() of the last read, kept across restarts
    health: tuple[HealthEvent, ...]
    pieces: bytes | None = None  # PIECE_* per piece, None before metadata
    streaming_files: frozenset[int] = frozenset()  # indexes of the files being read
    waiting: str | None = None  # why a player waits for data right now
    reading_pieces: tuple[int, ...] = ()  # the piece at each open reader's position, sorted
