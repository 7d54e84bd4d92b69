"""Piece supply for one torrent: who wants which piece, what libtorrent is told, and the bytes.

Readers never touch the payload files: libtorrent 2.1 reports a piece as had before its bytes
reach the file, so bytes come from `read_piece_alert` (asked for with `read_piece()` or with
`set_piece_deadline(..., alert_when_available)`) and land in a small LRU cache shared by every
reader of the torrent. Wanted pieces are reference-counted (readers' windows and pins), and
each piece's priority follows from its counts:

    wanted by a reader (the read itself and its readahead)   7, with deadlines
    pinned (a file's head and tail, kept by probes)          4
    everything else                                          1 with keep-full-copy, else 0
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable

import libtorrent as lt

from app.torrents.errors import ReadTimeout, TorrentError

logger = logging.getLogger(__name__)

TOP, PINNED, FULL_COPY, SKIP = 7, 4, 1, 0
# Re-ask for a piece still missing after this long: a deadline can be dropped by a pause, a
# hash failure or a lost peer, and asking twice costs nothing.
RETRY_SECONDS = 2.0
# A read that waited this long without its piece checks that peers are connected at all.
NUDGE_AFTER = 0.2
# Deadlines are kept for this many readahead pieces; the rest of the window rides on priority.
DEADLINE_PIECES = 24


class PieceFetcher:
    def __init__(
        self, handle: lt.torrent_handle, num_pieces: int, piece_length: int, keep_full_copy: bool
    ) -> None:
        self.handle = handle
        self.num_pieces = num_pieces
        self.piece_length = piece_length
        self.cache_limit = max(4 * piece_length, 32 * 1024 * 1024)
        self.cond = threading.Condition()
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._requested: dict[int, float] = {}  # piece -> monotonic time it was last asked for
        self._demand: Counter[int] = Counter()
        self._pins: Counter[int] = Counter()
        self._sticky: set[int] = set()
        self._base = FULL_COPY if keep_full_copy else SKIP
        self._applied = [self._base] * num_pieces
        self._closed: str | None = None
        self.nudge: Callable[[], None] | None = None  # see ManagedTorrent.nudge
        self.waiting = 0  # readers blocked in get(): the health check's "wants pieces"
        self.delivered = 0  # pieces handed out by libtorrent: progress for the health check

    # ---- setup ----------------------------------------------------------------------------

    def apply_all(self) -> None:
        """Send every piece's priority (after metadata, a restart or a re-add)."""
        with self.cond:
            self._applied = [self._desired(p) for p in range(self.num_pieces)]
            self.handle.prioritize_pieces(self._applied)

    def set_keep_full_copy(self, keep: bool) -> None:
        with self.cond:
            self._base = FULL_COPY if keep else SKIP
        self.apply_all()

    def rebind(self, handle: lt.torrent_handle) -> None:
        """Use a new handle (the torrent was re-added after its data was evicted)."""
        with self.cond:
            self.handle = handle
            self._requested.clear()
            self._sticky.clear()
            self.cond.notify_all()
        self.apply_all()

    def close(self, reason: str) -> None:
        """Fail every waiting and future read with reason (the torrent was removed)."""
        with self.cond:
            self._closed = reason
            self._cache.clear()
            self._cache_bytes = 0
            self.cond.notify_all()

    # ---- demand ---------------------------------------------------------------------------

    def want(self, added: Iterable[int], removed: Iterable[int]) -> None:
        """Move a reader's window: readahead pieces gain priority and staggered deadlines."""
        added, removed = sorted(set(added)), set(removed)
        with self.cond:
            if added:
                self._check_open()
            elif self._closed:
                return  # a reader closing after its torrent was removed
            for piece in removed:
                self._demand[piece] -= 1
                if self._demand[piece] <= 0:
                    del self._demand[piece]
                    self.handle.reset_piece_deadline(piece)
            self._demand.update(added)
            self._update(set(added) | removed)
            # the first pieces of the window get deadlines (after the urgent ones at 0 ms)
            for rank, piece in enumerate(added[:DEADLINE_PIECES]):
                self.handle.set_piece_deadline(piece, 300 + 100 * rank)

    def pin(self, pieces: Iterable[int]) -> None:
        pieces = set(pieces)
        with self.cond:
            self._check_open()
            self._pins.update(pieces)
            self._update(pieces)

    def unpin(self, pieces: Iterable[int], keep: bool) -> None:
        """Drop a reader's pins; keep=True (a probe) keeps them for the next reader."""
        pieces = set(pieces)
        with self.cond:
            if self._closed:
                return
            self._pins.subtract(pieces)
            self._pins = +self._pins
            if keep:
                self._sticky |= pieces
            self._update(pieces)

    def fetching(self) -> set[int]:
        """Pieces someone wants and may not have yet (for the piece map)."""
        with self.cond:
            return set(self._demand) | set(self._pins) | self._sticky | set(self._requested)

    def _check_open(self) -> None:
        if self._closed:
            raise TorrentError(self._closed)

    def _desired(self, piece: int) -> int:
        if self._demand.get(piece):
            return TOP
        if self._pins.get(piece) or piece in self._sticky:
            return PINNED
        return self._base

    def _update(self, pieces: Iterable[int]) -> None:
        changes = []
        for piece in pieces:
            desired = self._desired(piece)
            if self._applied[piece] != desired:
                self._applied[piece] = desired
                changes.append((piece, desired))
        if changes:
            self.handle.prioritize_pieces(changes)

    # ---- bytes ----------------------------------------------------------------------------

    def request(self, pieces: Iterable[int]) -> None:
        """Ask for pieces a read needs now: top priority, deadline now, bytes by alert."""
        now = time.monotonic()
        with self.cond:
            self._check_open()
            for rank, piece in enumerate(sorted(pieces)):
                # 1 MiB reads of a 4-16 MiB piece must not ask libtorrent to read it again
                recent = now - self._requested.get(piece, 0.0) < RETRY_SECONDS
                if piece not in self._cache and not recent:
                    self._ask(piece, rank)

    def get(self, piece: int, deadline: float) -> bytes:
        """The bytes of one piece, waiting until monotonic time `deadline` at most."""
        started = time.monotonic()
        nudged = False
        with self.cond:
            self.waiting += 1
            try:
                while True:
                    self._check_open()
                    data = self._cache.get(piece)
                    if data is not None:
                        self._cache.move_to_end(piece)
                        return data
                    now = time.monotonic()
                    if now >= deadline:
                        raise ReadTimeout(
                            f"piece {piece} did not arrive in time: no peer is sending it "
                            "(the torrent may have no seeders right now)"
                        )
                    if now - self._requested.get(piece, 0.0) >= RETRY_SECONDS:
                        self._ask(piece, 0)
                    if self.nudge is not None and now - started >= NUDGE_AFTER:
                        nudged = True
                        self.cond.release()  # nudging waits on libtorrent: not under our lock
                        try:
                            self.nudge()
                        finally:
                            self.cond.acquire()
                        if piece in self._cache or self._closed:
                            continue  # arrived (or failed) while we were not listening
                    until_nudge = 0.5 if nudged else max(started + NUDGE_AFTER - now, 0.01)
                    self.cond.wait(min(0.5, deadline - now, until_nudge))
            finally:
                self.waiting -= 1

    def forget_requests(self) -> None:
        """Let waiting reads ask again at once (after a wake from upload mode or pause)."""
        with self.cond:
            self._requested.clear()
            self.cond.notify_all()

    def drop_cache(self) -> None:
        with self.cond:
            self._cache.clear()
            self._cache_bytes = 0

    def _ask(self, piece: int, rank: int) -> None:
        self._requested[piece] = time.monotonic()
        if self._applied[piece] != TOP:
            # a deadline on a priority-0 piece is not enough; the read decides priority too
            self._applied[piece] = TOP
            self.handle.piece_priority(piece, TOP)
        # alert_when_available: libtorrent posts read_piece_alert once the piece passes its
        # hash check, or at once (a disk read) if it already has it
        self.handle.set_piece_deadline(piece, 10 * rank, lt.torrent_handle.alert_when_available)

    # ---- called from the engine thread ----------------------------------------------------

    def on_read(self, piece: int, data: bytes | None, error: str | None) -> None:
        with self.cond:
            if error or data is None:
                logger.debug("read_piece %d failed: %s", piece, error)
                self.cond.notify_all()
                return
            self.delivered += 1
            self._requested.pop(piece, None)
            old = self._cache.pop(piece, None)
            if old is not None:
                self._cache_bytes -= len(old)
            self._cache[piece] = data
            self._cache_bytes += len(data)
            while self._cache_bytes > self.cache_limit and len(self._cache) > 1:
                _, evicted = self._cache.popitem(last=False)
                self._cache_bytes -= len(evicted)
            if not self._demand.get(piece) and not self._pins.get(piece):
                # done with this piece: let the picker forget the time-critical entry
                self._restore(piece)
            self.cond.notify_all()

    def _restore(self, piece: int) -> None:
        desired = self._desired(piece)
        if self._applied[piece] != desired:
            self._applied[piece] = desired
            self.handle.piece_priority(piece, desired)
