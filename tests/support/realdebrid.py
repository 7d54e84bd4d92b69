"""A loopback Real-Debrid: its REST API (v1, with the device login) and a file host ("CDN").

RealDebrid is a real HTTP server on 127.0.0.1 that keeps an account of torrents (newest
first) and answers as the service documents: pages with X-Total-Count (204 past the end),
activeCount, info with one link per selected file, addMagnet/selectFiles/delete, unrestrict,
errors as {"error", "error_code"} (401 for a bad token). A test scripts failures with
answer_next() (a 429 with Retry-After, a 503, an error code) and wrong empty pages with
empty_once(); `latency` delays every answer (the bench). Every request is recorded.

Cdn serves each unrestricted file's bytes (content_of() tells a test which) with Range and
HEAD; refuse(n) answers the next n requests 403, as a file host does for an expired link.

Magnets (addMagnet, selectFiles): offer() tells the service what a magnet holds and whether
it is cached. An offered magnet waits for its files to be chosen; the choice is recorded
(`chosen`), a cached torrent is downloaded at once, another is queued until the test moves it
on with set_status() (downloading with a progress, downloaded, or virus, dead...). A magnet
nobody offered holds one file, downloaded when selected.

The device login is the documented one: device/code hands out a code (interval and lifetime
as set on the service), device/credentials answers 403 authorization_pending until approve(),
then the code's client id and secret; token grants (device code, or a refresh token, which
serves once) hand out an access token that expires after `token_lifetime` seconds or at
expire_access(), after which the REST API answers it 401 bad_token. The account's own API
token (`token`) never expires.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "loopback-token"
ACTIVE = {"magnet_conversion", "queued", "downloading", "compressing", "uploading"}
_PATTERN = bytes(range(256)) * 256  # 64 KiB


def content_of(key: str, start: int, length: int) -> bytes:
    """Bytes start..start+length of the file `key` (deterministic, differs per file)."""
    shift = int(hashlib.sha1(key.encode()).hexdigest()[:4], 16)
    out = bytearray()
    position = start
    while len(out) < length:
        offset = (position + shift) % len(_PATTERN)
        take = min(length - len(out), len(_PATTERN) - offset)
        out += _PATTERN[offset : offset + take]
        position += take
    return bytes(out)


@dataclass
class Torrent:
    id: str
    filename: str
    hash: str
    files: list[tuple[str, int]]  # (path "/Folder/file.mkv", bytes)
    status: str = "downloaded"
    selected: set[int] = field(default_factory=set)  # 1-based file ids
    added: str = "2026-01-01T00:00:00.000Z"
    packed: bool = False  # the service packed the selected files into one archive link
    progress: float | None = None  # set_status(); else 100 when downloaded, 0 before

    def item(self) -> dict:
        size = sum(size for i, (_, size) in enumerate(self.files, 1) if i in self.selected)
        return {
            "id": self.id,
            "filename": self.filename,
            "hash": self.hash,
            "bytes": size,
            "host": "real-debrid.com",
            "split": 2000,
            "progress": self.progress
            if self.progress is not None
            else (100 if self.status == "downloaded" else 0),
            "status": self.status,
            "added": self.added,
            "links": [self.link(0)]
            if self.packed
            else [self.link(i) for i in sorted(self.selected)],
        }

    def link(self, file_id: int) -> str:
        return f"https://real-debrid.com/d/{self.id}{file_id:03d}"


@dataclass(frozen=True)
class Offer:
    """What a magnet holds on the service (offer())."""

    filename: str
    files: list[tuple[str, int]]
    cached: bool


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: RealDebrid | Cdn

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        self.owner.handle(self)

    def do_POST(self) -> None:  # noqa: N802
        self.owner.handle(self)

    def do_DELETE(self) -> None:  # noqa: N802
        self.owner.handle(self)

    def do_HEAD(self) -> None:  # noqa: N802
        self.owner.handle(self)

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


def _serve(owner: RealDebrid | Cdn) -> tuple[_Server, threading.Thread]:
    handler = type("Handler", (_Handler,), {"owner": owner})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


class Cdn:
    """The file host: GET/HEAD /dl/<generation>/<key>/<name>, with Range."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        self.lock = threading.Lock()
        self._refuse = 0
        self.http, self._thread = _serve(self)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def refuse(self, count: int = 1, status: int = 403) -> None:
        with self.lock:
            self._refuse, self._refuse_status = count, status

    def handle(self, request: _Handler) -> None:
        path = unquote(urlsplit(request.path).path)
        with self.lock:
            self.requests.append((request.command, path, request.headers.get("Range")))
            refused = self._refuse > 0
            self._refuse -= refused
        parts = path.split("/")
        if refused:
            request.answer(self._refuse_status, b"link expired")
            return
        if len(parts) < 4 or parts[3] not in self.sizes:
            request.answer(404, b"no such file")
            return
        key, size = parts[3], self.sizes[parts[3]]
        start, end, status = 0, size - 1, 200
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range") or "")
        if match:
            start = int(match[1])
            end = min(size - 1, int(match[2])) if match[2] else size - 1
            if start >= size:
                request.answer(416, b"", {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        request.send_response(status)
        request.send_header("Content-Length", str(end - start + 1))
        request.send_header("Accept-Ranges", "bytes")
        if status == 206:
            request.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        request.end_headers()
        if request.command == "HEAD":
            return
        try:
            position = start
            while position <= end:
                chunk = min(256 * 1024, end + 1 - position)
                request.wfile.write(content_of(key, position, chunk))
                position += chunk
        except (BrokenPipeError, ConnectionResetError):
            request.close_connection = True  # the reader stopped (a seek): fine

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self._thread.join(5)


class RealDebrid:
    """The REST API at `url` + "/rest/1.0" and the device login at `url` + "/oauth/v2"."""

    def __init__(self, cdn: Cdn, *, latency: float = 0.0) -> None:
        self.cdn = cdn
        self.latency = latency
        self.token = TOKEN
        self.torrents: list[Torrent] = []  # newest first
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._scripted: deque[tuple[str, int, dict, dict[str, str]]] = deque()
        self._empty_once: set[int] = set()
        self._next_id = 0
        self._generation = 0
        self.approved = False  # the device login: has the user entered the code?
        self.offers: dict[str, Offer] = {}  # info hash -> what its magnet holds
        self.chosen: dict[str, list[int]] = {}  # torrent id -> the file ids selectFiles chose
        self.device_interval = 5  # seconds between polls, as device/code says
        self.device_expires_in = 600  # a code's lifetime in seconds
        self.token_lifetime = 3600  # an access token's, in seconds
        self.access: dict[str, float] = {}  # live OAuth access tokens -> expiry (monotonic)
        self.refresh_tokens: set[str] = set()  # each serves once
        self._devices: dict[str, float] = {}  # device code -> expiry (monotonic)
        self._grants = 0
        self.http, self._thread = _serve(self)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.api_url = self.url + "/rest/1.0"
        self.oauth_url = self.url + "/oauth/v2"

    # ---- the account, as a test sets it up ------------------------------------------------

    def add(
        self, filename: str, files: list[tuple[str, int]], status: str = "downloaded"
    ) -> Torrent:
        """A torrent at the top of the list, every file selected."""
        with self.lock:
            self._next_id += 1
            torrent = Torrent(
                id=f"T{self._next_id:06d}",
                filename=filename,
                hash=hashlib.sha1(f"{filename}{self._next_id}".encode()).hexdigest(),
                files=files,
                status=status,
                selected=set(range(1, len(files) + 1)),
            )
            self.torrents.insert(0, torrent)
            for file_id in torrent.selected:
                self.cdn.sizes[_key(torrent, file_id)] = files[file_id - 1][1]
        return torrent

    def remove(self, torrent_id: str) -> None:
        with self.lock:
            self.torrents = [t for t in self.torrents if t.id != torrent_id]

    def answer_next(
        self,
        path: str,
        status: int,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next request whose path starts with `path` gets this answer instead."""
        with self.lock:
            self._scripted.append((path, status, body or {}, headers or {}))

    def empty_once(self, page: int) -> None:
        """The next request for `page` answers [] as if the list ended there."""
        with self.lock:
            self._empty_once.add(page)

    def requests_to(self, path: str, method: str = "GET") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and s.path == path]

    def approve(self) -> None:
        """The user entered the code on the website."""
        with self.lock:
            self.approved = True

    def expire_access(self) -> None:
        """Every access token handed out so far expires now."""
        with self.lock:
            self.access = dict.fromkeys(self.access, 0.0)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()
            self.cdn.requests.clear()

    # ---- serving -----------------------------------------------------------------------------

    def handle(self, request: _Handler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = parse_qs(request.rfile.read(length).decode()) if length else {}
        query = parse_qs(parts.query)
        path = parts.path
        with self.lock:
            self.seen.append(Seen(request.command, path, query, form))
            scripted = next((s for s in self._scripted if path.startswith(s[0])), None)
            if scripted is not None:
                self._scripted.remove(scripted)
        if self.latency:
            time.sleep(self.latency)
        if scripted is not None:
            _, status, body, headers = scripted
            request.answer(status, json.dumps(body).encode(), headers)
            return
        if path.startswith("/oauth/v2/"):
            self._oauth(request, path[len("/oauth/v2") :], query, form)
            return
        with self.lock:
            if not self._authorized(request.headers.get("Authorization", "")):
                _error(request, 401, "bad_token", 8)
                return
            self._rest(request, request.command, path[len("/rest/1.0") :], query, form)

    def _rest(self, request: _Handler, method: str, path: str, query: dict, form: dict):
        if method == "GET" and path == "/user":
            _json(request, 200, {"id": 1, "username": "loopback", "email": "me@example.org",
                                 "premium": 86400 * 30, "expiration": "2027-01-01T00:00:00.000Z",
                                 "type": "premium"})  # fmt: skip
        elif method == "GET" and path == "/torrents":
            page = int(query.get("page", ["1"])[0])
            limit = int(query.get("limit", ["100"])[0])
            items = [t.item() for t in self.torrents[(page - 1) * limit : page * limit]]
            total = {"X-Total-Count": str(len(self.torrents))}
            if page in self._empty_once:
                self._empty_once.discard(page)
                items = []
            if not items and (page - 1) * limit >= len(self.torrents):
                request.answer(204, b"", total)
            else:
                _json(request, 200, items, total)
        elif method == "GET" and path == "/torrents/activeCount":
            active = sum(t.status in ACTIVE for t in self.torrents)
            _json(request, 200, {"nb": active, "limit": 25})
        elif method == "GET" and path.startswith("/torrents/info/"):
            torrent = self._find(path.rsplit("/", 1)[1])
            if torrent is None:
                _error(request, 404, "unknown_ressource", 7)
                return
            item = torrent.item()
            item.update(
                original_filename=torrent.filename,
                original_bytes=sum(size for _, size in torrent.files),
                files=[
                    {"id": i, "path": p, "bytes": s, "selected": int(i in torrent.selected)}
                    for i, (p, s) in enumerate(torrent.files, 1)
                ],
            )
            _json(request, 200, item)
        elif method == "POST" and path == "/unrestrict/link":
            link = form.get("link", [""])[0]
            found = self._by_link(link)
            if found is None:
                _error(request, 503, "unavailable_file", 19)
                return
            torrent, file_id = found
            self._generation += 1
            name = torrent.files[file_id - 1][0].rsplit("/", 1)[-1]
            _json(request, 200, {
                "id": f"U{self._generation}", "filename": name, "mimeType": "video/x-matroska",
                "filesize": torrent.files[file_id - 1][1], "link": link, "host": "real-debrid.com",
                "chunks": 32, "streamable": 1,
                "download": f"{self.cdn.url}/dl/{self._generation}/{_key(torrent, file_id)}/{name}",
            })  # fmt: skip
        elif method == "POST" and path == "/torrents/addMagnet":
            self._add_magnet(request, form.get("magnet", [""])[0])
        elif method == "POST" and path.startswith("/torrents/selectFiles/"):
            self._select_files(request, path.rsplit("/", 1)[1], form.get("files", [""])[0])
        elif method == "DELETE" and path.startswith("/torrents/delete/"):
            self.torrents = [t for t in self.torrents if t.id != path.rsplit("/", 1)[1]]
            request.answer(204)
        else:
            _error(request, 404, "unknown_ressource", 7)

    # ---- magnets: what a test offers, then addMagnet, selectFiles, set_status ---------------

    def offer(
        self, info_hash: str, filename: str, files: list[tuple[str, int]], *, cached: bool = True
    ) -> None:
        """A magnet with this hash holds `files`; `cached` ones are downloaded once selected."""
        with self.lock:
            self.offers[info_hash.lower()] = Offer(filename, files, cached)

    def set_status(self, torrent_id: str, status: str, progress: float | None = None) -> None:
        """Move a torrent on: "downloading" with a progress, "downloaded", "virus", "dead"..."""
        with self.lock:
            torrent = self._find(torrent_id)
            assert torrent is not None, f"no torrent {torrent_id}"
            torrent.status, torrent.progress = status, progress
            if status == "downloaded":
                torrent.progress = 100
                for file_id in torrent.selected:
                    self.cdn.sizes[_key(torrent, file_id)] = torrent.files[file_id - 1][1]

    def with_hash(self, info_hash: str) -> list[Torrent]:
        with self.lock:
            return [t for t in self.torrents if t.hash == info_hash.lower()]

    def _add_magnet(self, request: _Handler, magnet: str) -> None:
        found = re.search(r"xt=urn:btih:([0-9a-fA-F]{40})", magnet)
        if found is None:
            _error(request, 400, "parameter_invalid_value", 2)
            return
        info_hash = found[1].lower()
        offer = self.offers.get(info_hash, Offer(magnet, [("/a.mkv", 1)], True))
        self._next_id += 1
        torrent = Torrent(f"T{self._next_id:06d}", offer.filename, info_hash, list(offer.files))
        torrent.status, torrent.selected = "waiting_files_selection", set()
        self.torrents.insert(0, torrent)
        _json(request, 201, {"id": torrent.id, "uri": f"{self.api_url}/torrents/info/{torrent.id}"})

    def _select_files(self, request: _Handler, torrent_id: str, wanted: str) -> None:
        torrent = self._find(torrent_id)
        if torrent is None:
            _error(request, 404, "unknown_ressource", 7)
            return
        ids = range(1, len(torrent.files) + 1) if wanted == "all" else wanted.split(",")
        torrent.selected = {int(i) for i in ids}
        self.chosen[torrent.id] = sorted(torrent.selected)
        offer = self.offers.get(torrent.hash)
        if offer is None or offer.cached:
            torrent.status, torrent.progress = "downloaded", 100
            for file_id in torrent.selected:
                self.cdn.sizes[_key(torrent, file_id)] = torrent.files[file_id - 1][1]
        else:
            torrent.status, torrent.progress = "queued", 0
        request.answer(204)

    def _authorized(self, header: str) -> bool:
        token = header.removeprefix("Bearer ")
        return token == self.token or self.access.get(token, 0.0) > time.monotonic()

    def _oauth(self, request: _Handler, path: str, query: dict, form: dict) -> None:
        with self.lock:
            answer = self._oauth_answer(path, query, form)
        if answer[0] == 200:
            _json(request, *answer)
        else:
            _error(request, *answer)

    def _oauth_answer(self, path: str, query: dict, form: dict) -> tuple:
        now = time.monotonic()
        if path == "/device/code":
            number = len(self._devices) + 1
            code = "DEVICE" if number == 1 else f"DEVICE-{number}"
            self._devices[code] = now + self.device_expires_in
            user_code = "ABCD1234" if number == 1 else f"ABCD{number:04d}"
            return 200, {"device_code": code, "user_code": user_code,
                         "interval": self.device_interval, "expires_in": self.device_expires_in,
                         "verification_url": "https://real-debrid.com/device"}  # fmt: skip
        if path == "/device/credentials":
            code = query.get("code", [""])[0]
            if self._devices.get(code, 0.0) <= now:
                return 403, "expired_token", 2
            if not self.approved:
                return 403, "authorization_pending", 10
            return 200, {"client_id": "CID", "client_secret": "SECRET"}
        if path != "/token" or form.get("client_secret") != ["SECRET"]:
            return 400, "bad_request", 1
        code = form.get("code", [""])[0]
        if code in self.refresh_tokens:
            self.refresh_tokens.discard(code)
        elif not (self.approved and self._devices.get(code, 0.0) > now):
            return 400, "invalid_grant", 2
        self._grants += 1
        access = f"ACCESS-{self._grants}"
        refresh = "REFRESH" if self._grants == 1 else f"REFRESH-{self._grants}"
        self.access[access] = now + self.token_lifetime
        self.refresh_tokens.add(refresh)
        return 200, {"access_token": access, "expires_in": self.token_lifetime,
                     "refresh_token": refresh, "token_type": "Bearer"}  # fmt: skip

    def _find(self, torrent_id: str) -> Torrent | None:
        return next((t for t in self.torrents if t.id == torrent_id), None)

    def _by_link(self, link: str) -> tuple[Torrent, int] | None:
        for torrent in self.torrents:
            for file_id in torrent.selected:
                if torrent.link(file_id) == link:
                    return torrent, file_id
        return None

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self._thread.join(5)


def _key(torrent: Torrent, file_id: int) -> str:
    return f"{torrent.id}-{file_id}"


def _json(request: _Handler, status: int, body, headers: dict[str, str] | None = None) -> None:
    request.answer(
        status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def _error(request: _Handler, status: int, error: str, code: int) -> None:
    _json(request, status, {"error": error, "error_code": code})


def file_key(torrent: Torrent, file_id: int) -> str:
    """The CDN's name of a torrent's file, for content_of()."""
    return _key(torrent, file_id)


@contextmanager
def serve(*, latency: float = 0.0) -> Iterator[RealDebrid]:
    """A loopback Real-Debrid and its file host (at `.cdn`), closed after the block."""
    cdn = Cdn()
    service = RealDebrid(cdn, latency=latency)
    try:
        yield service
    finally:
        service.close()
        cdn.close()
