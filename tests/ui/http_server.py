"""A real local HTTP server for link downloads: a .torrent, a redirect, a 404, one too big
(declared and undeclared) and a slow one. Used through the `server` fixture in conftest.py."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ui import drops

TORRENT = b"d4:infod4:name4:testee"
# /slow.torrent answers once released (or after 10 s) and says when it did: tests check that a
# client gave up before the answer, by order, not by the clock
SLOW_RELEASE = threading.Event()
SLOW_ANSWERED = threading.Event()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/movie.torrent":
            self._send(200, TORRENT)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/movie.torrent")
            self.end_headers()
        elif self.path == "/huge.torrent":
            self._send(200, b"x" * (drops.MAX_TORRENT_BYTES + 1))
        elif self.path == "/endless.torrent":  # no Content-Length, more than the limit
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(drops.MAX_TORRENT_BYTES // len(chunk) + 2):
                try:
                    self.wfile.write(chunk)
                except OSError:
                    return
        elif self.path == "/slow.torrent":
            SLOW_RELEASE.wait(10)
            SLOW_ANSWERED.set()
            self._send(200, TORRENT)
        else:
            self._send(404, b"not here")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client gives up early on purpose when a body is over the limit.
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve() -> Iterator[str]:
    SLOW_RELEASE.clear()
    SLOW_ANSWERED.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    SLOW_RELEASE.set()
    httpd.shutdown()
    httpd.server_close()
