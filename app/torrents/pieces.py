"""Piece supply for one torrent: who wants which piece, what libtorrent is told, and the bytes.

Readers never touch the payload files: libtorrent 2.1 reports a piece as had before its bytes
reach the file, so bytes come from `read_piece_alert` (asked for with `read_piece()` once the
piece is here: at once, or when its piece_finished_alert arrives) and land in a small LRU cache
shared by every reader of the torrent. Each piece's priority is the highest any reader or rule
gives it:

    a read waits for it now (bytes by alert)                 7
    a reader's readahead: the next 4 MiB / 16 MiB / the rest  6 / 5 / 4
      (6 also for the rest of a read_some block: see reader.py)
    pinned (a file's head and tail, kept by probes)          3
    the next 64 MiB after a reader's readahead               2
    the rest of a file being played (background)             1
    everything else                                          1 with keep-full-copy, else 0

Why the background: real seeders (aria2, Transmission) choke a peer that says NOT_INTERESTED
and unchoke it only at their next choke round, 10 s later. Fetching only what is read makes
libtorrent drop interest after every piece, so each next read waited ~11 s. A played file is
therefore fetched whole at the lowest priority until the torrent goes idle (`quiet()`), which
keeps us interested. libtorrent's picker fills each peer's request queue by priority, so the
graded priorities put what a player waits on before its readahead, the readahead before the
background, and the background just ahead of a reader before the rest (libtorrent picks pieces
of one priority in random order); the engine keeps that queue short (engine.py) so a seek
waits behind little.

Bytes from disk are checked before a player gets them: a piece libtorrent did not download and
hash-check in this run (it came from resume data) is hashed on its first read, and a damaged one
(a file zeroed or changed behind our back) is dropped and reported through `on_damaged`, which
has libtorrent check the torrent again so the piece is fetched anew.

Why no piece deadlines: the first deadline set on a torrent makes libtorrent CANCEL every
other outstanding request, and Transmission 3.00 answers a CANCEL with neither the block nor
a REJECT, so the cancelled blocks filled our request queue and the torrent stopped for the
60 s request timeout (measured: the second seek against transmission-daemon timed out). The
aria2 wake (holds.py) uses exactly that CANCEL, on purpose and only towards aria2.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping

import libtorrent as lt

from app.torrents.errors import ReadAbandoned, ReadTimeout, StorageError, TorrentError
from app.torrents.holds import LOOK_EVERY

logger = logging.getLogger(__name__)

NOW, NEXT, SOON, AHEAD, PINNED, NEAR, BACKGROUND, SKIP = 7, 6, 5, 4, 3, 2, 1, 0
FULL_COPY = BACKGROUND
# Re-ask for a piece still missing after this long: a read_piece can fail, a piece can fail its
# hash check or be lost with an eviction, and asking twice costs nothing.
RETRY_SECONDS = 2.0
# A waiting read looks again this often even if nothing arrives: a capped aria2 that holds our
# requests is woken after 0.05 s of silence (holds.py), else it sends again only a second later.
WAIT_STEP = LOOK_EVERY


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
        self._needs: dict[object, set[int]] = {}  # reader -> pieces its current read waits for
        self._windows: dict[object, Mapping[int, int]] = {}  # reader -> readahead priorities
        self._pins: Counter[int] = Counter()
        self._sticky: set[int] = set()
        self._background: dict[int, range] = {}  # played file index -> pieces to fetch
        self._base = FULL_COPY if keep_full_copy else SKIP
        self._applied = [self._base] * num_pieces
        self._closed: str | None = None
        self.nudge: Callable[[int], None] | None = None  # see ManagedTorrent.nudge
        # the SHA-1 of a piece (v1 torrents; None: not checkable) and what to do on a mismatch
        self.piece_hash: Callable[[int], bytes | None] | None = None
        self.on_damaged: Callable[[int], None] | None = None
        # why libtorrent has stopped the torrent (a file error), None while it runs: a read
        # then fails at once with it instead of at its read timeout
        self.stopped: Callable[[], StorageError | None] | None = None
        self._verified: set[int] = set()  # hash-checked in this run
        # libtorrent also reports the pieces its resume data lists as finished, before it says
        # the torrent is checked: only pieces finished after that were downloaded in this run
        self._checked = False
        self._on_disk: set[int] = set()
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
            self._verified.clear()
            self._checked = False
            self._on_disk.clear()
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

    def set_window(self, reader: object, window: Mapping[int, int]) -> None:
        """Replace a reader's readahead: piece -> priority (NEXT, SOON, AHEAD or NEAR)."""
        with self.cond:
            if window:
                self._check_open()
            old = self._windows.get(reader, {})
            self._windows[reader] = dict(window)
            # a window slides by a piece or two per read: only re-rank what changed grade
            self._update(p for p in old.keys() | window.keys() if old.get(p) != window.get(p))

    def release(self, reader: object) -> None:
        """A reader closed (a player dropped its connection): its demand goes at once, so the
        pieces it waited for and its readahead no longer come before the next seek's."""
        with self.cond:
            if self._closed:
                return
            window = self._windows.pop(reader, {})
            needs = self._needs.pop(reader, set())
            for piece in needs:
                if not self._needed(piece):
                    self._requested.pop(piece, None)
            self._update(set(window) | needs)

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

    def play(self, file_index: int, pieces: range) -> None:
        """Fetch a played file in the background (replacing what was asked for that file)."""
        with self.cond:
            self._check_open()
            old = self._background.get(file_index, range(0))
            if old == pieces:
                return
            self._background[file_index] = pieces
            self._update(set(old).symmetric_difference(pieces))

    def quiet(self) -> None:
        """Nobody plays the torrent any more: stop the background fetch."""
        with self.cond:
            played = [p for pieces in self._background.values() for p in pieces]
            self._background.clear()
            self._update(played)

    def fetching(self) -> set[int]:
        """Pieces someone wants and may not have yet (for the piece map)."""
        with self.cond:
            wanted = set(self._pins) | self._sticky | set(self._requested)
            for pieces in (*self._needs.values(), *self._windows.values()):
                wanted |= set(pieces)
            for pieces in self._background.values():
                wanted.update(pieces)
            return wanted

    def _check_open(self) -> None:
        if self._closed:
            raise TorrentError(self._closed)

    def _needed(self, piece: int) -> bool:
        return any(piece in needs for needs in self._needs.values())

    def _desired(self, piece: int) -> int:
        if self._needed(piece):
            return NOW
        best = max((w.get(piece, SKIP) for w in self._windows.values()), default=self._base)
        if best < PINNED and (self._pins.get(piece) or piece in self._sticky):
            best = PINNED
        if best < BACKGROUND and any(piece in played for played in self._background.values()):
            best = BACKGROUND
        return max(best, self._base)

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

    def request(self, reader: object, pieces: Iterable[int], then: Iterable[int] = ()) -> None:
        """Ask for the pieces a reader's read needs now: top priority, bytes by alert. `then`:
        pieces the read takes too if they are here by then (read_some); their bytes are fetched
        as well (from disk at once, else when they finish), at the priority they have."""
        pieces = set(pieces)
        now = time.monotonic()
        with self.cond:
            self._check_open()
            self._needs[reader] = pieces  # its last read's needs went with settle()
            # all that are not here go to the top: one asked for a moment ago (so not asked
            # again below) may have been lowered since, when the read that wanted it ended
            self._update(p for p in pieces if p not in self._cache)
            for piece in sorted(pieces.union(then)):
                # 1 MiB reads of a 4-16 MiB piece must not ask libtorrent to read it again
                recent = now - self._requested.get(piece, 0.0) < RETRY_SECONDS
                if piece not in self._cache and not recent:
                    self._ask(piece, top=piece in pieces)

    def settle(self, reader: object) -> None:
        """The reader's read is over (it has its bytes, or failed): it needs nothing now."""
        with self.cond:
            needs = self._needs.pop(reader, set())
            if not self._closed:  # a removed torrent's handle takes no priorities
                self._update(needs)

    def get(self, piece: int, deadline: float, gone: Callable[[], bool] | None = None) -> bytes:
        """The bytes of one piece, waiting until monotonic time `deadline` at most.

        A read that has to wait nudges the torrent at once and then every WAIT_STEP seconds
        (see ManagedTorrent.nudge): peers that hold our requests are woken, and with no peer
        connected it reannounces and reconnects. It also asks `gone` then, and stops with
        ReadAbandoned once that says nobody wants the bytes any more."""
        while True:
            data = self._wait(piece, deadline, gone)
            if piece in self._verified or self._intact(piece, data):
                return data

    def ready(self, piece: int) -> bytes | None:
        """The bytes of one piece if they are here now (checked as get() checks them)."""
        with self.cond:
            data = self._cache.get(piece)
            if data is None:
                return None
            self._cache.move_to_end(piece)
        return data if piece in self._verified or self._intact(piece, data) else None

    def _intact(self, piece: int, data: bytes) -> bool:
        """Hash a piece read from disk (outside the lock: 2-16 MiB take a few ms)."""
        expected = self.piece_hash(piece) if self.piece_hash is not None else None
        if not expected or hashlib.sha1(data).digest() == expected:
            with self.cond:
                self._verified.add(piece)
            return True
        logger.error("Piece %d on disk does not match its hash: fetching it again", piece)
        with self.cond:
            if self._cache.get(piece) is data:
                del self._cache[piece]
                self._cache_bytes -= len(data)
            self._requested.pop(piece, None)
        if self.on_damaged is not None:
            self.on_damaged(piece)
        return False

    def _wait(self, piece: int, deadline: float, gone: Callable[[], bool] | None) -> bytes:
        with self.cond:
            self.waiting += 1
            try:
                checked = float("-inf")  # when stopped() was last asked
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
                        self._ask(piece)
                    # these ask libtorrent (and wait for its thread) or the reader's client:
                    # not under our lock, and stopped() at most twice a second, not at every
                    # piece that arrives
                    failure: TorrentError | None = None
                    self.cond.release()
                    try:
                        if gone is not None and gone():
                            failure = ReadAbandoned(f"nobody waits for piece {piece} any more")
                        elif self.stopped is not None and now - checked >= 0.5:
                            checked = now
                            failure = self.stopped()
                        if failure is None and self.nudge is not None:
                            self.nudge(piece)
                    finally:
                        self.cond.acquire()
                    if failure is not None:
                        raise failure  # the reader left, or the data cannot be written or read
                    if piece in self._cache or self._closed:
                        continue  # arrived (or failed) while we were not listening
                    self.cond.wait(min(WAIT_STEP, deadline - now))
            finally:
                self.waiting -= 1

    def applied(self) -> list[int]:
        """The priority of every piece, as last sent to libtorrent."""
        with self.cond:
            return list(self._applied)

    def reapply(self, piece: int) -> None:
        """Send a piece's priority again: the aria2 wake (holds.py) changes it behind our back,
        and a priority it read back from libtorrent may be older than ours."""
        with self.cond:
            if not self._closed:
                self.handle.piece_priority(piece, self._applied[piece])

    def forget_requests(self) -> None:
        """Let waiting reads ask again at once (after a wake from upload mode or pause)."""
        with self.cond:
            self._requested.clear()
            self.cond.notify_all()

    def drop_cache(self) -> None:
        with self.cond:
            self._cache.clear()
            self._cache_bytes = 0

    def _ask(self, piece: int, top: bool = True) -> None:
        self._requested[piece] = time.monotonic()
        if top and self._applied[piece] != NOW:
            self._applied[piece] = NOW
            self.handle.piece_priority(piece, NOW)
        # here already: read it now; else on_finished() reads it when it passes its hash check
        # (asked after the mark above, so a piece finishing meanwhile is not missed)
        if self.handle.have_piece(piece):
            self.handle.read_piece(piece)

    # ---- called from the engine thread ----------------------------------------------------

    def on_finished(self, piece: int) -> None:
        """libtorrent has a piece (hash checked): fetch its bytes if a read is waiting for it."""
        with self.cond:
            if self._checked and piece not in self._on_disk:
                self._verified.add(piece)  # downloaded and hash-checked by libtorrent now
            if piece in self._requested and piece not in self._cache:
                self.handle.read_piece(piece)

    def on_checked(self, on_disk: Iterable[int] = ()) -> None:
        """libtorrent has checked the torrent's files (what they hold is known); on_disk: the
        pieces it had then, if their piece_finished alerts may still be on their way."""
        with self.cond:
            self._checked = True
            self._on_disk = set(on_disk)

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
            if not self._needed(piece):
                # done with this piece: back to the priority its readahead or background gives
                self._restore(piece)
            self.cond.notify_all()

    def _restore(self, piece: int) -> None:
        desired = self._desired(piece)
        if self._applied[piece] != desired:
            self._applied[piece] = desired
            self.handle.piece_priority(piece, desired)
