"""The share's reads of a debrid file: its link unrestricted, its bytes proxied from the host.

DebridOpener turns a share node (source kind "debrid": the torrent's hash and the file's id)
into a DebridStream. The service's link comes from the saved list (store.link_of) and is
unrestricted into a direct URL once, then cached for `link_ttl` seconds. A stream reads the
file host with HTTP Range requests over one pooled httpx.Client, streaming: wsgidav seeks and
reads block by block, a read continues the open response, and a seek elsewhere closes it and
opens a new range, so nothing is buffered beyond a block. A host that answers 403, 404, 410
or 503 (an expired link) gets the link unrestricted again, once. Runs on the share's worker
threads; `unrestrict` hops onto the app's loop, where the paced client lives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import httpx
from wsgidav.dav_error import HTTP_NOT_FOUND, HTTP_SERVICE_UNAVAILABLE

from app.debrid.base import DebridError, Unrestricted
from app.share.tree import FileNode
from app.share.webdav import OpenFailed

logger = logging.getLogger(__name__)

EXPIRED = frozenset({403, 404, 410, 503})
HTTP_BAD_GATEWAY = 502
LINK_TTL = 3 * 3600.0  # the service's direct links last longer; a stale one is retried anyway
CHUNK = 256 * 1024


class DebridOpener:
    """The share's opener for debrid nodes; thread-safe."""

    def __init__(
        self,
        unrestrict: Callable[[str], Unrestricted],
        link_of: Callable[[str, int], str | None],
        *,
        link_ttl: float = LINK_TTL,
        http: httpx.Client | None = None,
    ) -> None:
        self._unrestrict = unrestrict
        self._link_of = link_of
        self._ttl = link_ttl
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(30.0, read=60.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            follow_redirects=True,
        )
        self._urls: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.unrestricted = 0  # links unrestricted (tests count them)

    def __call__(self, node: FileNode) -> DebridStream:
        link = self._link_of(node.info_hash, node.file_index)
        if link is None:
            raise OpenFailed(
                f"{node.name} is no longer in the debrid account; sync it again", HTTP_NOT_FOUND
            )
        return DebridStream(self, link, node.size)

    def close(self) -> None:
        self.http.close()

    def open_range(self, link: str, start: int, end: int) -> httpx.Response:
        """A streaming response for bytes start..end of the link's file."""
        for attempt in (1, 2):
            url = self._url(link, fresh=attempt == 2)
            request = self.http.build_request("GET", url, headers={"Range": f"bytes={start}-{end}"})
            try:
                response = self.http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise OpenFailed(f"the debrid file host cannot be reached: {exc}") from None
            if response.status_code in EXPIRED and attempt == 1:
                response.close()
                logger.info(
                    "Debrid host answered %d; unrestricting the link again", response.status_code
                )
                continue
            if response.status_code != 206 and not (response.status_code == 200 and start == 0):
                response.close()
                raise OpenFailed(
                    f"the debrid file host answered HTTP {response.status_code}", HTTP_BAD_GATEWAY
                )
            return response
        raise AssertionError("unreachable")

    def _url(self, link: str, *, fresh: bool) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._urls.get(link)
        if cached is not None and not fresh and now - cached[1] < self._ttl:
            return cached[0]
        try:
            url = self._unrestrict(link).url
        except DebridError as exc:
            raise OpenFailed(
                f"the debrid link cannot be opened: {exc}", HTTP_SERVICE_UNAVAILABLE
            ) from None
        with self._lock:
            self._urls[link] = (url, now)
            self.unrestricted += 1
        return url


class DebridStream:
    """One debrid file as wsgidav reads it: seek, read, close."""

    def __init__(self, opener: DebridOpener, link: str, size: int) -> None:
        self._opener = opener
        self._link = link
        self._size = size
        self._position = 0
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._at = 0  # where the open response is
        self._left = b""

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self._size if size < 0 else min(self._size, self._position + size)
        if end <= self._position:
            return b""
        if self._response is None or self._at != self._position:
            self._reopen()
        out = bytearray()
        want = end - self._position
        try:
            while len(out) < want:
                if not self._left:
                    self._left = next(self._chunks, b"")
                    if not self._left:
                        raise OpenFailed(
                            "the debrid file host ended the file early", HTTP_BAD_GATEWAY
                        )
                take = self._left[: want - len(out)]
                self._left = self._left[len(take) :]
                out += take
        except httpx.HTTPError as exc:
            self.close()
            raise OpenFailed(
                f"reading from the debrid file host failed: {exc}", HTTP_BAD_GATEWAY
            ) from None
        self._position += len(out)
        self._at = self._position
        return bytes(out)

    def close(self) -> None:
        response, self._response, self._chunks, self._left = self._response, None, None, b""
        if response is not None:
            response.close()

    def _reopen(self) -> None:
        self.close()
        self._response = self._opener.open_range(self._link, self._position, self._size - 1)
        self._chunks = self._response.iter_raw(CHUNK)
        self._at = self._position
