"""Loopback stand-ins for Jellyfin, Emby and Plex that record every request they get.

Each is a real HTTP server on 127.0.0.1 answering the calls Reelbox makes as the real
server does (204 for /Library/Media/Updated, XML for Plex's /library/sections, 200 for a
refresh), or with `status` when a test wants it to fail; with a `gate` set, each request is
recorded at once and answered only when the gate opens (a slow server).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# What a Plex server with a movie and a TV library on the mounted share answers.
PLEX_SECTIONS = """<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="3" allowSync="0" title1="Plex Library">
  <Directory allowSync="1" art="/:/resources/movie-fanart.jpg" composite="/library/sections/1/composite/1"
      filters="1" refreshing="0" thumb="/:/resources/movie.png" key="1" type="movie" title="Movies"
      agent="tv.plex.agents.movie" scanner="Plex Movie" language="en-US"
      uuid="5b8c2e0a-0d55-4a4b-9a4f-3c2d9a1f0e11" updatedAt="1700000000" createdAt="1690000000">
    <Location id="1" path="/mnt/reelbox/Movies" />
  </Directory>
  <Directory allowSync="1" key="2" type="show" title="TV Shows" agent="tv.plex.agents.series"
      scanner="Plex TV Series" language="en-US" uuid="9e1d7c44-2b3a-4e5f-8a6b-1c0d2e3f4a5b">
    <Location id="2" path="/mnt/reelbox/TV Shows" />
    <Location id="3" path="/srv/other/TV" />
  </Directory>
  <Directory allowSync="1" key="3" type="artist" title="Music" agent="tv.plex.agents.music">
    <Location id="4" path="/srv/music" />
  </Directory>
</MediaContainer>
"""


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class MediaServer:
    """A recording server; `status` (when set) is every answer's status."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.status: int | None = None
        self.gate: threading.Event | None = None
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                owner._answer(self)

            def do_POST(self) -> None:  # noqa: N802
                owner._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def of(self, method: str, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        with self.lock:
            self.requests.append(
                Recorded(
                    handler.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in handler.headers.items()},
                    body,
                )
            )
        if self.gate is not None:
            self.gate.wait(30)
        status, payload = self._reply(handler.command, parts.path)
        handler.send_response(self.status or status)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _reply(self, method: str, path: str) -> tuple[int, bytes]:
        if self.kind == "plex":
            if method == "GET" and path == "/library/sections":
                return 200, PLEX_SECTIONS.encode()
            if method == "GET" and path.endswith("/refresh"):
                return 200, b""
        elif method == "POST" and path == "/Library/Media/Updated":
            return 204, b""
        return 404, b"not here"


@contextmanager
def serve(kind: str) -> Iterator[MediaServer]:
    server = MediaServer(kind)
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()
        thread.join(5)
