"""TorrentFileReader: one file of one torrent as a seekable, blocking, read-only file object.

wsgidav seeks it and reads ~1 MiB blocks with read_some(), which returns as soon as the first
piece of the block is here; read() returns every byte asked for (short only at the end of the
file). Either waits until libtorrent has the bytes, or raises ReadTimeout after read_timeout,
or ReadAbandoned as soon as `gone` says its client has left.
The first read pins the file's head and tail and starts the background fetch of the file; each
read moves this reader's readahead window, which grows with the bytes read back to back (up to
the readahead setting) and is graded: the nearest bytes first (see pieces.py).
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable

from app.torrents.errors import TorrentError
from app.torrents.pieces import AHEAD, NEAR, NEXT, SOON, PieceFetcher
from app.torrents.status import TorrentFile

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
HEAD_PIN = 10 * MiB  # container headers, first seconds of playback
TAIL_PIN = 5 * MiB  # MKV cues and MP4 moov live at the end
# A reader closed sooner than this was a probe (player reading headers and index): its pins
# stay so the real playback reader does not fetch them again.
PROBE_SECONDS = 15.0
# Readahead grades: the first NEXT_BYTES after a read come before the next SOON_BYTES, those
# before the rest of the window, and the NEAR_BYTES after the window before the rest of the
# background fetch.
NEXT_BYTES = 4 * MiB
SOON_BYTES = 16 * MiB
NEAR_BYTES = 64 * MiB


class TorrentFileReader(io.RawIOBase):
    def __init__(
        self,
        fetcher: PieceFetcher,
        file: TorrentFile,
        *,
        read_timeout: float,
        readahead: int,
        background: int | None,
        touch: Callable[[], None],
        on_close: Callable[[], None],
        gone: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self.file = file
        self.name = file.path
        self._fetcher = fetcher
        self._plen = fetcher.piece_length
        self._timeout = read_timeout
        self._readahead = max(readahead, self._plen)
        self._background = background  # bytes fetched ahead in the background; None: all
        self._touch = touch
        self._on_close = on_close
        self._gone = gone  # True once whoever reads has left: a waiting read then stops
        self._pos = 0
        self._window: dict[int, int] = {}
        self._streak = 0  # bytes read back to back, sizes the readahead window
        self._streak_end = -1
        self._opened = time.monotonic()
        self._pins = self._pieces(0, min(HEAD_PIN, file.size))
        self._pins |= self._pieces(max(0, file.size - TAIL_PIN), file.size)
        self._pinned = False

    @property
    def size(self) -> int:
        return self.file.size

    def piece(self) -> int:
        """The piece at this reader's position (the file's last byte past its end): the
        Torrents page marks it on the piece map. Safe from any thread."""
        last = max(self.file.size - 1, 0)
        return (self.file.offset + min(self._pos, last)) // self._plen

    # ---- io.RawIOBase ---------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._check_open()
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        elif whence == os.SEEK_END:
            target = self.file.size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if target < 0:
            raise OSError(22, f"cannot seek to {target}: before the start of the file")
        self._pos = target
        return target

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def readinto(self, buffer) -> int:
        return self._read(buffer, whole=True)

    def read_some(self, size: int) -> bytes:
        """Up to `size` bytes from the position, as soon as the first of them are here: those
        of the first piece, and of the pieces after it that are here too. A player's first
        bytes after a seek then do not also wait for the next piece, which a 1 MiB read from
        the second half of a 2 MiB piece needs (at a 20 MiB/s seeder, 0.1 s or a whole burst
        more). Empty only at the end of the file."""
        buffer = bytearray(size)
        got = self._read(buffer, whole=False)
        return bytes(memoryview(buffer)[:got])

    def _read(self, buffer, whole: bool) -> int:
        self._check_open()
        out = memoryview(buffer).cast("B")
        start = self._pos
        end = min(start + len(out), self.file.size)
        if end <= start:
            return 0
        self._touch()
        needed = sorted(self._pieces(start, end))
        # read_some waits for its first piece only; the rest of its block leads the readahead.
        # At the top priority too, libtorrent would pick among them at random, and a seek's
        # first byte waited for the next piece (traced: the slowest capped seeks all spanned two)
        awaited = set(needed if whole else needed[:1])
        self._fetcher.request(self, awaited, then=needed)
        self._move_window(start, end, awaited)
        if not self._pinned:
            # on the first read, not on open: a reader opened for a HEAD or a PROPFIND-driven
            # probe that never reads must not fetch 15 MiB
            self._fetcher.pin(self._pins)
            self._pinned = True
        self._play(start)
        deadline = time.monotonic() + self._timeout
        written = 0
        base = self.file.offset
        later = False  # part of the bytes asked for are left to the next read
        try:
            for piece in needed:
                if whole or not written:
                    data = self._fetcher.get(piece, deadline, self._gone)
                else:
                    data = self._fetcher.ready(piece)
                    if data is None:
                        later = True  # not here yet: the bytes so far go out now
                        break
                piece_start = piece * self._plen
                lo = base + start + written - piece_start
                hi = min(len(data), base + end - piece_start)
                out[written : written + hi - lo] = memoryview(data)[lo:hi]  # one copy, not two
                written += hi - lo
        finally:
            # a read that failed (timeout, storage error) keeps nothing at the top priority
            self._fetcher.settle(self)
        if later:  # the window counted the bytes asked for: the next read goes on from here
            self._streak -= end - start - written
            self._streak_end = start + written
        elif written != end - start:
            raise TorrentError(f"{self.name}: got {written} bytes of {end - start} (short piece)")
        self._pos = start + written
        return written

    def readall(self) -> bytes:
        """The rest of the file in one read (RawIOBase would loop in 8 KiB steps)."""
        self._check_open()
        return self.read(max(0, self.file.size - self._pos))

    def close(self) -> None:
        if self.closed:
            return
        try:
            probe = time.monotonic() - self._opened < PROBE_SECONDS
            self._fetcher.release(self)
            if self._pinned:
                self._fetcher.unpin(self._pins, keep=probe)
            self._window = {}
            self._on_close()
        finally:
            super().close()

    # ---- helpers --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def _span(self, start: int, end: int) -> range:
        """Pieces holding file bytes [start, end); offsets are mapped by hand (map_file
        overflows for large sizes)."""
        if end <= start:
            return range(0)
        first = (self.file.offset + start) // self._plen
        last = (self.file.offset + end - 1) // self._plen
        return range(first, last + 1)

    def _pieces(self, start: int, end: int) -> set[int]:
        return set(self._span(start, end))

    def _move_window(self, start: int, end: int, awaited: set[int]) -> None:
        # The window grows with what this reader has read in a row: a probe or a seek that
        # reads 64 KiB and leaves must not queue 32 MiB of requests in front of the next seek.
        if start != self._streak_end:
            self._streak = 0
        self._streak += end - start
        self._streak_end = end
        ahead = min(self._readahead, 2 * self._streak)
        # what the read asked for but does not wait for (read_some) comes next
        window = {p: NEXT for p in self._span(start, end) if p not in awaited}
        near = ahead + NEAR_BYTES
        if self._background is not None:  # the disk budget bounds the background, NEAR too
            near = min(near, max(ahead, start + self._background - end))
        grades = (
            (NEXT, min(NEXT_BYTES, ahead)),
            (SOON, min(SOON_BYTES, ahead)),
            (AHEAD, ahead),
            (NEAR, near),
        )
        for grade, span in grades:
            for piece in self._span(end, min(end + span, self.file.size)):
                if piece not in awaited:
                    window.setdefault(piece, grade)
        if window != self._window:
            self._fetcher.set_window(self, window)
            self._window = window

    def _play(self, start: int) -> None:
        # the whole file, or with a disk budget the part ahead of the read that fits in it
        end = self.file.size if self._background is None else start + self._background
        first = 0 if self._background is None else start
        self._fetcher.play(self.file.index, self._span(first, min(end, self.file.size)))
