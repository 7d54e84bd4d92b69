"""Waking a capped aria2 that holds our requests while a read waits.

aria2 over its upload cap stops sending and looks at a connection again only when it reads a
message from the peer, or at its once-a-second refresh. libtorrent has nothing to say while its
request queue is full, so a capped aria2 sends in bursts with ~1 s holds, and a read that lands
in a hold waits for it (README, "A capped aria2 is woken"; bench/aria2_holds.py).

libtorrent has no call that sends a peer a message, but one that makes it send some: the first
piece deadline on a torrent makes it CANCEL every outstanding request but those of the piece
with the deadline, and re-request them as the peer answers each CANCEL with a REJECT (the fast
extension). The deadline goes on a missing piece with no request out while there is one: the
awaited piece's blocks are often all we have out (a 2 MiB piece is the whole 128-block queue),
and libtorrent usually runs its cancel before our clear, so a deadline on it usually cancelled
nothing and sent nothing. Clearing the deadline at once (and giving that piece back its
priority, which clearing lowers to 1) leaves the engine's deadline-free picking as it was
(pieces.py says why it has none), and the re-requests go out in priority order, the awaited
piece first: unless libtorrent has more than 1.5 started pieces per peer, when it fills those
first, whatever their priority (its piece picker's rule; the cancel itself leaves some).

Transmission 3.00 answers a CANCEL with neither the block nor a REJECT: each cancelled request
would stay in our queue until it times out, 60 s. Only aria2 holds like this, so the wake is
sent only when every peer we have requests out with is aria2.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import chain

import libtorrent as lt

# Seconds without a payload byte, while a read waits, that count as a hold. At a 20 MiB/s cap
# aria2 earns a 2 MiB piece's allowance every 0.1 s: a piece that comes in two bursts waits one
# quiet spell between them (0.05 s against 0.1 s: seek p90 0.25 s against 0.28 s; README).
QUIET = 0.05
LOOK_EVERY = QUIET / 2  # how often waiting reads call, and the waker asks libtorrent
# After a wake that brought nothing, the next waits this long, doubling up to MAX_BACKOFF times
# (0.8 s; aria2 looks every 1 s): a wake's bytes need two round trips (CANCEL, REJECT, REQUEST,
# PIECE), and a wake before they come would cancel the re-requests it sent.
REWAKE = 2 * QUIET
MAX_BACKOFF = 3
# A swarm with other peers than aria2 is not asked again for this long (get_peer_info() builds
# every peer's record, and a waiting read looks every LOOK_EVERY)
MIXED_FOR = 1.0
REQUESTED = 1  # a block's state in get_download_queue(): asked for, not here yet
ARIA2_PEER_ID_PREFIX = b"A2-"  # A2-<major>-<minor>-<patch>-


def is_aria2(peer: lt.peer_info) -> bool:
    return peer.pid.to_bytes().startswith(ARIA2_PEER_ID_PREFIX) or peer.client.startswith(b"aria2/")


class HoldWaker:
    """Tells, for one torrent, whether its peers hold, and wakes them; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_look = float("-inf")
        self._received = -1  # the torrent's payload bytes at the last look
        self._quiet_since = 0.0  # monotonic time they last changed (or the look after a pause)
        self._last_wake = float("-inf")
        self._fruitless = 0  # wakes in a row that brought no byte
        self._mixed_until = float("-inf")  # no wake before this: a peer that is not aria2 asked
        self.wakes = 0

    def wake_if_held(
        self, handle: lt.torrent_handle, piece: int, restore: Callable[[int], None]
    ) -> bool:
        """A read waits for `piece`: wake the peers if they all hold it back (see above).

        `restore(decoy)` sends the piece the wake's deadline went on the priority its owner
        wants, after the clear (in the engine, PieceFetcher.reapply: a priority read back from
        libtorrent before the wake could be older than the fetcher's). Returns whether it woke
        the peers. Waiting reads call it every LOOK_EVERY seconds."""
        if not self._lock.acquire(blocking=False):
            return False  # another read of this torrent is looking, for both
        try:
            return self._look(handle, piece, restore)
        except RuntimeError:
            return False  # the torrent was removed meanwhile: the read fails on its own
        finally:
            self._lock.release()

    def _look(self, handle: lt.torrent_handle, piece: int, restore: Callable[[int], None]) -> bool:
        now = time.monotonic()
        since = now - self._last_look
        if since < LOOK_EVERY / 2:  # slack: Windows' monotonic clock ticks every ~16 ms
            return False
        self._last_look = now
        received = handle.status(0).total_payload_download
        if received != self._received or since > 1.0:
            # bytes came, or no read waited a second ago (its requests may be just out): the
            # silence counts from now
            self._received, self._quiet_since = received, now
            return False
        # A wake that brought nothing yet doubles the wait for the next one (REWAKE): aria2 may
        # still be over its cap, or a distant one's bytes still on their way (libtorrent knows
        # no round trip for TCP peers), and a CANCEL for bytes already sent has them come twice.
        fruitless = self._last_wake > self._quiet_since
        wait = REWAKE * 2**self._fruitless if fruitless else QUIET
        if now - max(self._quiet_since, self._last_wake) < wait or now < self._mixed_until:
            return False
        asked = [p for p in handle.get_peer_info() if p.download_queue_length > 0]
        if not asked:
            return False
        if not all(is_aria2(p) for p in asked):
            self._mixed_until = now + MIXED_FOR
            return False
        decoy = _decoy(handle, piece)
        if decoy is None:
            return False  # the piece is here: the read has it
        # The cancel runs on libtorrent's thread, before or after the clear: either way it
        # cancels every request out but the decoy's, which has none unless nothing else would
        # do (see _decoy).
        # A peer that connects between the check above and the cancel gets it too: rare, and
        # harmless unless it is a Transmission.
        handle.set_piece_deadline(decoy, 0)
        handle.clear_piece_deadlines()  # this also lowers the decoy to priority 1
        restore(decoy)
        self._fruitless = min(self._fruitless + 1, MAX_BACKOFF) if fruitless else 0
        self._last_wake = now
        self.wakes += 1
        return True


def _decoy(handle: lt.torrent_handle, piece: int) -> int | None:
    """The piece to put the wake's deadline on; None when `piece` is here already.

    A missing piece after `piece` (wrapping round) that is wanted and not started: a deadline
    keeps a started piece's requests in aria2's queue, ahead of the awaited piece's
    re-requests, and raising an unwanted piece to the top for a moment can flip our interest
    in other peers. Failing those, an unwanted one; then a started one with no request out,
    `piece` included, so that the cancel still hits every request we have out (near the end
    of a torrent every missing piece is started: traced, a wake with its deadline on the other
    one cancelled nothing, and the read waited for aria2's one-second look); then any started
    one, and last `piece` itself, the torrent's only missing piece: the wake then cancels
    something only when libtorrent runs its cancel after our clear."""
    have = handle.status(lt.torrent_handle.query_pieces).pieces
    if piece >= len(have) or have[piece]:
        return None
    queue = handle.get_download_queue()
    started = {entry["piece_index"] for entry in queue}
    asked = {
        entry["piece_index"]
        for entry in queue
        if any(block["state"] == REQUESTED for block in entry["blocks"])
    }
    wanted = handle.get_piece_priorities()
    missing = [p for p in (*range(piece + 1, len(have)), *range(piece)) if not have[p]]
    fresh = [p for p in missing if p not in started]
    idle = [p for p in (*missing, piece) if p not in asked]
    return next(chain((p for p in fresh if wanted[p] > 0), fresh, idle, missing), piece)
