"""Reading request heads off the worker threads, so that slow clients cannot occupy them.

cheroot hands a connection to a worker as soon as it is accepted (and a kept-alive one as soon
as a byte arrives); the worker then blocks reading the request line and headers under the
socket's timeout, which is long (300 s) because a paused player's stream needs it, and which
starts again with every byte. So about as many clients as workers, each sending a header
slowly, stopped the share for everyone. Here a connection reaches a worker only once its whole
head has arrived: HeadGate reads heads on one selector thread, answers 408 to a head not
complete within its timeout and 431 to one larger than its limit, and hands complete ones to
cheroot with the bytes it read, which GatedConnection's reader serves first. Once a request is
under way, nothing changes: the socket timeout applies to its body and its response.
"""

from __future__ import annotations

import _pyio
import contextlib
import io
import logging
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cheroot.makefile import MakeFile, StreamReader
from cheroot.server import HTTPConnection

logger = logging.getLogger(__name__)

_HEAD_END = re.compile(rb"\n\r?\n")
DRAIN_TIME = 2.0  # after refusing a head, read (and drop) what the client still sends...
DRAIN_BYTES = 1024 * 1024  # ...up to this much, so that it gets the answer, not a reset


class _PrereadSocketIO(socket.SocketIO):
    """A socket's raw reader that first returns the bytes the gate already read from it."""

    def __init__(self, sock: socket.socket, mode: str) -> None:
        super().__init__(sock, mode)
        self.pending = bytearray()

    def readinto(self, buffer) -> int | None:
        if self.pending:
            size = min(len(buffer), len(self.pending))
            buffer[:size] = self.pending[:size]
            del self.pending[:size]
            return size
        return super().readinto(buffer)


class _Reader(StreamReader):
    """cheroot's socket reader over _PrereadSocketIO."""

    def __init__(self, sock: socket.socket, mode: str = "rb", bufsize: int = 8192) -> None:
        # StreamReader.__init__ would wrap a plain SocketIO; this is all else it does
        _pyio.BufferedReader.__init__(self, _PrereadSocketIO(sock, mode), bufsize)
        self.bytes_read = 0

    def has_data(self) -> bool:
        return super().has_data() or bool(self.raw.pending)

    def take_buffered(self) -> bytearray:
        """All bytes read from the socket but not yet consumed, without reading more."""
        # read1 serves from the buffer without touching the socket while it holds data
        data = bytearray(self.read1(self.buffer_size) if super().has_data() else b"")
        data += self.raw.pending
        self.raw.pending.clear()
        return data

    def give_back(self, data: bytearray) -> None:
        """Bytes taken with take_buffered (or read by the gate), to be read next."""
        self.raw.pending[:0] = data


def _make_file(sock: socket.socket, mode: str = "r", bufsize: int = io.DEFAULT_BUFFER_SIZE):
    return _Reader(sock, mode, bufsize) if "r" in mode else MakeFile(sock, mode, bufsize)


class GatedConnection(HTTPConnection):
    """cheroot's connection, reading through _Reader (its makefile argument is cheroot's)."""

    def __init__(self, server, sock: socket.socket, makefile=MakeFile) -> None:
        super().__init__(server, sock, _make_file)


@dataclass
class _Waiting:
    deadline: float
    head: bytearray = field(default_factory=bytearray)
    refused: bool = False  # answered; now draining until the client stops or the limits
    drained: int = 0


class HeadGate:
    """Holds connections until their request head is complete, on one thread.

    `dispatch` gets each connection whose head is complete (cheroot's own process_conn);
    `socket_timeout` is restored on its socket then. At most `max_waiting` connections wait;
    beyond that the one waiting longest is closed (a slow client, or the least patient).
    """

    def __init__(
        self,
        dispatch: Callable[[GatedConnection], None],
        *,
        timeout: float,
        max_head: int,
        socket_timeout: float,
        max_waiting: int = 500,  # Windows' select() takes at most 512 sockets
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dispatch = dispatch
        self._timeout = timeout
        self._max_head = max_head
        self._socket_timeout = socket_timeout
        self._max_waiting = max_waiting
        self._clock = clock
        self._waiting: dict[GatedConnection, _Waiting] = {}
        self._incoming: list[GatedConnection] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="share-heads", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every waiting connection and end the thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake()
        self._thread.join(5)
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for conn in [*incoming, *self._waiting]:
            _close(conn)
        self._waiting.clear()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def admit(self, conn: GatedConnection) -> None:
        """Take a connection that is new or has bytes to read (called on cheroot's threads)."""
        buffered = conn.rfile.take_buffered()
        conn.rfile.give_back(buffered)
        if _HEAD_END.search(buffered):
            self._dispatch(conn)  # a pipelined request, already complete
            return
        with self._lock:
            if self._stopping:
                _close(conn)
                return
            self._incoming.append(conn)
        self._wake()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _wake(self) -> None:
        # a full pipe means a wake-up is pending anyway; a closed one that the gate stopped
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _run(self) -> None:
        # every request passes through this one thread: an error must never end it, and one
        # that repeats must not spin a core
        while not self._stopping:
            try:
                self._turn()
            except Exception:
                logger.exception("The share's request reader failed; going on")
                time.sleep(0.1)

    def _turn(self) -> None:
        now = self._clock()
        due = min((w.deadline for w in self._waiting.values()), default=now + 1.0)
        events = self._selector.select(timeout=max(0.0, min(due - now, 1.0)))
        for key, _ in events:
            if key.fileobj is self._wake_r:
                self._take_incoming()
                continue
            try:
                self._read(key.data)
            except Exception:
                logger.exception("Reading a request head from %s failed", key.data.remote_addr)
                self._forget(key.data)
        self._expire(self._clock())

    def _take_incoming(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for conn in incoming:
            head = conn.rfile.take_buffered()
            conn.socket.settimeout(0)  # the gate only reads what has arrived
            self._waiting[conn] = _Waiting(self._clock() + self._timeout, head)
            self._selector.register(conn.socket, selectors.EVENT_READ, conn)
            if len(self._waiting) > self._max_waiting:
                oldest = next(iter(self._waiting))
                logger.debug("Too many slow requests; dropping %s", oldest.remote_addr)
                self._forget(oldest)

    def _read(self, conn: GatedConnection) -> None:
        waiting = self._waiting[conn]
        limit = 65536 if waiting.refused else self._max_head + 1 - len(waiting.head)
        try:
            data = conn.socket.recv(min(65536, limit))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._forget(conn)  # the client is gone
        elif waiting.refused:
            waiting.drained += len(data)
            if waiting.drained >= DRAIN_BYTES:
                self._forget(conn)
        else:
            start = max(0, len(waiting.head) - 2)
            waiting.head += data
            if _HEAD_END.search(waiting.head, start):
                self._pass_on(conn, waiting)
            elif len(waiting.head) > self._max_head:
                self._refuse(conn, waiting, "431 Request Header Fields Too Large")

    def _expire(self, now: float) -> None:
        for conn, waiting in list(self._waiting.items()):
            if now < waiting.deadline:
                continue
            if waiting.refused:
                self._forget(conn)
            else:
                self._refuse(conn, waiting, "408 Request Timeout")

    def _pass_on(self, conn: GatedConnection, waiting: _Waiting) -> None:
        self._selector.unregister(conn.socket)
        del self._waiting[conn]
        conn.socket.settimeout(self._socket_timeout)
        conn.rfile.give_back(waiting.head)
        self._dispatch(conn)

    def _refuse(self, conn: GatedConnection, waiting: _Waiting, status: str) -> None:
        logger.debug("Refused a request head from %s: %s", conn.remote_addr, status)
        body = status[4:].encode() + b"\n"
        answer = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        try:
            conn.socket.send(answer)  # a fresh socket's send buffer takes it whole
            conn.socket.shutdown(socket.SHUT_WR)
        except OSError:
            self._forget(conn)
            return
        waiting.refused = True
        waiting.head.clear()
        waiting.deadline = self._clock() + DRAIN_TIME

    def _forget(self, conn: GatedConnection) -> None:
        self._waiting.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.socket)
        _close(conn)


def _close(conn: GatedConnection) -> None:
    with contextlib.suppress(OSError):
        conn.close()
