"""Waking a capped aria2 that holds our requests while a read waits.

aria2 over its upload cap stops sending and looks at a connection again only when it reads a
message from the peer, or at its once-a-second refresh. libtorrent has nothing to say while its
request queue is full, so a capped aria2 sends in bursts with ~1 s holds, and a read that lands
in a hold waits for it (README, "A capped aria2 is woken"; bench/aria2_holds.py).

libtorrent has no call that sends a peer a message, but one that makes it send some: the first
piece deadline on a torrent makes it CANCEL every outstanding request, and re-request them as
the peer answers each CANCEL with a REJECT (the fast extension). Clearing that deadline at once
(and giving the piece back its priority, which clearing lowers to 1) leaves the engine's
deadline-free picking as it was (pieces.py says why it has none), and the re-requests go out in
priority order, so the awaited piece comes first in aria2's queue.

Transmission 3.00 answers a CANCEL with neither the block nor a REJECT: each cancelled request
would stay in our queue until it times out, 60 s. Only aria2 holds like this, so the wake is
sent only when every peer we have requests out with is aria2.
"""

from __future__ import annotations

import threading
import time

import libtorrent as lt

QUIET = 0.1  # seconds without a byte from any peer, while a read waits, that count as a hold
ARIA2_PEER_ID = b"A2-"  # aria2's peer-id prefix (A2-<major>-<minor>-<patch>-)


def is_aria2(peer: lt.peer_info) -> bool:
    return peer.pid.to_bytes().startswith(ARIA2_PEER_ID) or peer.client.startswith(b"aria2/")


class HoldWaker:
    """Tells, for one torrent, whether its peers hold, and wakes them; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_look = float("-inf")
        self._received = -1  # payload bytes from all peers at the last look
        self._quiet_since = 0.0  # monotonic time those bytes last changed
        self._last_wake = float("-inf")
        self.wakes = 0

    def wake_if_held(self, handle: lt.torrent_handle, piece: int) -> bool:
        """A read waits for `piece`: wake the peers if they all hold it back (see above).

        Returns whether it woke them. Call it often (every ~QUIET / 2 s) while the read waits."""
        with self._lock:
            now = time.monotonic()
            if now - self._last_look < QUIET / 2:
                return False  # every waiting read calls: ask libtorrent at most this often
            self._last_look = now
            peers = handle.get_peer_info()
            received = sum(p.total_download for p in peers)  # payload bytes
            if received != self._received:
                self._received, self._quiet_since = received, now
                return False
            if now - max(self._quiet_since, self._last_wake) < QUIET:
                return False
            asked = [p for p in peers if p.download_queue_length > 0]
            if not asked or not all(is_aria2(p) for p in asked):
                return False
            if handle.have_piece(piece):
                return False  # a deadline on a piece we have cancels nothing
            priority = handle.piece_priority(piece)
            handle.set_piece_deadline(piece, 0)
            handle.clear_piece_deadlines()  # this also sets the piece's priority to 1
            handle.piece_priority(piece, priority)
            self._last_wake = now
            self.wakes += 1
            return True
