"""Share fixtures: a tree over real files on disk, a counting opener, a running server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest

from app.share.auth import Credentials
from app.share.server import HttpServer, share_app
from app.share.tree import FileNode, FileSpec, ShareTree
from app.share.webdav import OpenFailed

USER, PASSWORD = "reelbox", "s3cret-pw"
D = "{DAV:}"
MiB = 1024 * 1024


class DiskOpener:
    """Opens share files from disk, as TorrentOpener does from torrents; counts open readers.

    `delay` slows each read (a slow swarm); `stall_after` makes reads past that offset wait
    `stall_for` seconds and then fail like a torrent read timeout.
    """

    def __init__(self, files: dict[int, Path]) -> None:
        self.files = files
        self.lock = threading.Lock()
        self.opened = 0
        self.closed = 0
        self.delay = 0.0
        self.stall_after: int | None = None
        self.stall_for = 0.0

    @property
    def open_now(self) -> int:
        with self.lock:
            return self.opened - self.closed

    def __call__(self, node: FileNode, hung_up: Callable[[], bool]):
        path = self.files.get(node.file_index)
        if path is None:
            raise OpenFailed("no such torrent file", 404)
        with self.lock:
            self.opened += 1
        return _CountingFile(self, open(path, "rb"))


class _CountingFile:
    def __init__(self, owner: DiskOpener, handle) -> None:
        self.owner = owner
        self.handle = handle
        self.closed = False

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        if self.owner.delay:
            time.sleep(self.owner.delay)
        stall = self.owner.stall_after
        if stall is not None and self.handle.tell() >= stall:
            time.sleep(self.owner.stall_for)
            raise TimeoutError("timed out waiting for pieces")
        return self.handle.read(size)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.handle.close()
            with self.owner.lock:
                self.owner.closed += 1


def write_file(path: Path, size: int, seed: int = 1) -> Path:
    import random

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


class DiskShare:
    """A share over real files: `paths` maps share paths to the files served there."""

    def __init__(
        self,
        tmp_path: Path,
        files: dict[str, int],
        *,
        anonymous: bool = False,
        block_size: int = 256 * 1024,
        threads: int = 16,
        socket_timeout: int = 60,
    ) -> None:
        self.sources: dict[str, Path] = {}
        by_index: dict[int, Path] = {}
        specs = []
        for index, (share_path, size) in enumerate(sorted(files.items())):
            source = write_file(tmp_path / "src" / f"{index}.bin", size, seed=index + 1)
            self.sources[share_path] = source
            by_index[index] = source
            specs.append(
                FileSpec(share_path, size, 1_700_000_000.0 + index, "ab" * 20, index, index + 1)
            )
        self.tree = ShareTree.from_files(specs)
        self.opener = DiskOpener(by_index)
        self.credentials = Credentials(USER, PASSWORD, api_token="tok-123", anonymous=anonymous)
        app = share_app(lambda: self.tree, self.opener, self.credentials, block_size=block_size)
        self.server = HttpServer(
            app, "127.0.0.1", 0, threads=threads, socket_timeout=socket_timeout
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def client(self, **kwargs) -> httpx.Client:
        kwargs.setdefault("auth", (USER, PASSWORD))
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base, **kwargs)

    def data(self, share_path: str) -> bytes:
        return self.sources[share_path].read_bytes()


@contextlib.contextmanager
def running(share: DiskShare):
    share.server.start()
    try:
        yield share
    finally:
        share.server.stop()


def propfind(client, path: str, depth: str | None = "1", body: bytes | None = None):
    headers = {"Depth": depth} if depth is not None else {}
    return client.request("PROPFIND", quote(path), headers=headers, content=body)


def responses(text: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == f"{D}multistatus"
    found = {}
    for response in root.findall(f"{D}response"):
        href = unquote(response.findtext(f"{D}href"))
        found[href] = response
    return found


def props(response: ET.Element) -> dict[str, ET.Element]:
    stats = response.findall(f"{D}propstat")
    ok = [s for s in stats if s.findtext(f"{D}status").endswith("200 OK")]
    assert len(ok) == 1, ET.tostring(response)
    return {child.tag: child for child in ok[0].find(f"{D}prop")}


STANDARD_FILES = {
    "Movies/Heat (1995)/Heat (1995).mkv": 3 * MiB + 123,
    "Movies/Amélie (2001)/Amélie (2001).mp4": 1 * MiB,
    "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E01 - Secrets.avi": 512 * 1024,
    "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E01 - Secrets.srt": 2000,
    "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02 - Lies.ts": 70000,
    "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E03 - Past.m4v": 0,
}


@pytest.fixture(scope="module")
def disk_share(tmp_path_factory):
    """Shared by a module's tests: they only read (write attempts must change nothing)."""
    share = DiskShare(tmp_path_factory.mktemp("share"), STANDARD_FILES)
    with running(share):
        yield share


# ---- the real stack: library, torrent service, share server, loopback seeders ---------------


class Stack:
    """A library, a started TorrentService and a running ShareServer on 127.0.0.1."""

    def __init__(
        self,
        paths,
        *,
        tmdb_movie=None,
        tmdb_show=None,
        anonymous=False,
        artwork=None,
        metadata_files=True,
        **torrent_settings,
    ) -> None:
        from app.library.db import open_database
        from app.library.repository import Library
        from app.settings import ShareSettings
        from app.share.server import ShareServer
        from app.torrents.service import TorrentService
        from tests.app.torrents.conftest import loopback_torrent_settings

        self.paths = paths
        self.library = Library(open_database(paths.database_file))
        self.torrents = TorrentService(
            loopback_torrent_settings(**torrent_settings), paths, listen_interface="127.0.0.1"
        )
        self.torrents.start()
        settings = ShareSettings(
            bind_address="127.0.0.1",
            port=0,
            username=USER,
            anonymous=anonymous,
            threads=16,
            block_size_kib=256,
            metadata_files=metadata_files,
        )
        # port 0 is for tests only (a free port); settings validation asks for 1-65535
        self.share = ShareServer(
            settings,
            self.library,
            self.torrents,
            password=PASSWORD,
            api_token="tok-123",
            tmdb_movie=tmdb_movie,
            tmdb_show=tmdb_show,
            artwork=artwork,
        )
        self.share.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.share.port}"

    def client(self, **kwargs) -> httpx.Client:
        kwargs.setdefault("auth", (USER, PASSWORD))
        kwargs.setdefault("timeout", 60)
        return httpx.Client(base_url=self.base, **kwargs)

    def close(self) -> None:
        from app.library.db import close_database

        self.share.stop()
        self.torrents.stop()
        close_database(self.library.db)


@pytest.fixture
def stack(paths):
    built = Stack(paths)
    yield built
    built.close()


@pytest.fixture
def make_seeder(tmp_path):
    """make_seeder(files, **Seeder options) -> a started loopback Seeder, stopped at the end."""
    from tests.support.swarm import KiB, Seeder

    started = []

    def factory(files: dict[str, int], **options):
        options.setdefault("piece_length", 256 * KiB)
        seeder = Seeder(tmp_path / f"seeder{len(started)}", files, **options).start()
        started.append(seeder)
        return seeder

    yield factory
    for seeder in started:
        seeder.stop()
