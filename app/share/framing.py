"""Request framing cheroot lets through and the share refuses: where does a body end?

cheroot keeps the last of several Content-Length headers and, given both Content-Length and
Transfer-Encoding, reads the body as chunked. A client (or a proxy in front) may have meant the
other length, so the server and it disagree on where this request ends and the next begins.
Such a request gets 400 and the connection is closed; nothing of it reaches the app.
"""

from __future__ import annotations

import logging

from cheroot.server import HeaderReader, HTTPRequest

logger = logging.getLogger(__name__)


class StrictHeaderReader(HeaderReader):
    """cheroot's header reader, refusing repeated or conflicting body lengths."""

    def __call__(self, rfile, hdict=None):
        read = _CountingHeaders()
        super().__call__(rfile, read)
        if read.stored.get(b"Content-Length", 0) > 1:
            raise ValueError("Several Content-Length headers: send one.")
        if b"Content-Length" in read and b"Transfer-Encoding" in read:
            raise ValueError("Content-Length and Transfer-Encoding together: send one.")
        hdict = {} if hdict is None else hdict
        hdict.update(read)
        return hdict


class _CountingHeaders(dict):
    """The headers read so far, counting how often each was stored (each repeat is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[bytes, int] = {}

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.stored[key] = self.stored.get(key, 0) + 1
        super().__setitem__(key, value)


class StrictRequest(HTTPRequest):
    header_reader = StrictHeaderReader()

    def send_headers(self) -> None:
        # cheroot reads a body the app left unread before it answers, to keep the connection;
        # an answer that says "Connection: close" (a refused login, see auth.py) ends it
        # instead, so a client trickling a body cannot hold a worker for the socket timeout
        if any(k.lower() == b"connection" and v.lower() == b"close" for k, v in self.outheaders):
            self.close_connection = True
        super().send_headers()
