"""Has a request's client hung up? Asked by a share read that waits for torrent data.

Players drop their connection at every seek, often while the read behind it waits for a piece.
cheroot learns of it only when it next writes, which for a waiting read is when that piece has
come: until then the read's demand comes before the next seek's piece. So the server puts a
`hung_up()` for the request's socket in the WSGI environ, and a waiting read asks it as it
waits (see pieces.PieceFetcher.get).

A closed connection reads as end of file (or an error after a reset), while a client that is
still there sends nothing during a GET. A client that only shut down its sending side counts
as gone, as in Go's net/http, which cancels a request's context on the same signal. Bytes the
client sent before it left (a request it pipelined) hide the end of file: such a read ends
when it writes again, as before. cheroot's stop() shuts the sockets it could not wait for,
which reads as a hang-up too, so a read waiting for a piece does not hold the stop.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Callable

HUNG_UP = "reelbox.hung_up"  # the environ key


def never() -> bool:
    return False


def watch(sock: socket.socket) -> Callable[[], bool]:
    """A check, cheap enough to call many times a second, that the peer of sock is gone.

    Not for TLS sockets (the share has none): their control records make them readable, and
    they refuse a peek."""
    if isinstance(sock, ssl.SSLSocket):
        return never

    def hung_up() -> bool:
        try:
            if not _readable(sock):
                return False
            # readable: returns at once, without taking the byte off a pipelined request
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError, TimeoutError):
            return False
        except (OSError, ValueError):  # reset by the peer, or closed here: nobody reads
            return True

    return hung_up


def _readable(sock: socket.socket) -> bool:
    # poll has no limit on descriptor numbers (select stops at 1024); Windows has no poll, and
    # its select has no such limit
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])
