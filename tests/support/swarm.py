"""A loopback seeder for tests and benchmarks: real files, a real .torrent, a real libtorrent peer.

    with Seeder(tmp_path, files={"Movie/movie.mkv": 32 * MiB}, piece_length=512 * KiB) as seeder:
        service.add(seeder.magnet)             # magnet carries x.pe=127.0.0.1:PORT
        seeder.data("Movie/movie.mkv")         # the exact bytes a reader must return

The seeder is a second `lt.session` bound to 127.0.0.1 on a random port with DHT, LSD, UPnP
and NAT-PMP off. `upload_kib` caps its upload (also towards loopback peers, which libtorrent
would otherwise exempt), `tcp_only` refuses uTP like aria2 and many seedboxes do. `stop()` and
`start()` take the peer away and bring it back on the same port, for stall and timeout tests.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import libtorrent as lt

logger = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB

_QUIET = {
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
}


def loopback_settings(port: int = 0, **extra: object) -> dict:
    """Session settings for a loopback-only libtorrent peer (used by the seeder and by tests)."""
    return {**_QUIET, "listen_interfaces": f"127.0.0.1:{port}", **extra}


def make_files(root: Path, files: dict[str, int], seed: int = 0) -> dict[str, Path]:
    """Write files of random bytes under root; the same seed gives the same bytes."""
    import random

    rng = random.Random(seed)
    written = {}
    for name, size in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            left = size
            while left:
                chunk = min(left, 4 * MiB)
                handle.write(rng.randbytes(chunk))
                left -= chunk
        written[name] = path
    return written


def make_torrent(
    content_root: Path, name: str, piece_length: int, announce: str | None = None
) -> bytes:
    """Create a v1 .torrent for content_root/name (a file or a folder).

    announce, when given, is a tracker URL written into the torrent's announce field.
    """
    files = lt.list_files(str(content_root / name))
    creator = lt.create_torrent(files, piece_length, lt.create_torrent.v1_only)
    if announce is not None:
        creator.add_tracker(announce)
    lt.set_piece_hashes(creator, str(content_root))
    return lt.bencode(creator.generate())


class SeededFiles:
    """What tests read of any seeder's content: its files' bytes and their index in the torrent."""

    paths: dict[str, Path]
    info: lt.torrent_info

    def data(self, name: str) -> bytes:
        return self.paths[name].read_bytes()

    def file_index(self, name: str) -> int:
        storage = self.info.layout()
        for index in range(storage.num_files()):
            if Path(storage.file_path(index)) == Path(name):
                return index
        raise KeyError(name)


class Seeder(SeededFiles):
    """Seeds generated files from its own libtorrent session on 127.0.0.1 (a context manager).

    files maps relative paths to sizes. One entry gives a single-file torrent; several entries
    must share a top folder ("Show/a.mkv", "Show/b.mkv") and give a multi-file torrent.
    """

    def __init__(
        self,
        root: Path,
        files: dict[str, int],
        *,
        piece_length: int = 512 * KiB,
        upload_kib: int = 0,
        tcp_only: bool = False,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        self.root = Path(root)
        self.content_root = self.root / "seed"
        self.content_root.mkdir(parents=True, exist_ok=True)
        self.paths = make_files(self.content_root, files, seed)
        tops = {Path(name).parts[0] for name in files}
        if len(tops) != 1:
            raise ValueError("all seeded files must share one top-level name")
        self.name = tops.pop()
        self.torrent_bytes = make_torrent(self.content_root, self.name, piece_length)
        self.info = lt.torrent_info(lt.bdecode(self.torrent_bytes))
        self.info_hash = str(self.info.info_hashes().v1)
        self.upload_kib = upload_kib
        self.tcp_only = tcp_only
        self.port = port
        self._session: lt.session | None = None
        self._handle: lt.torrent_handle | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> Seeder:
        """Start seeding; after a stop() the seeder comes back on the same port."""
        settings = loopback_settings(
            self.port,
            upload_rate_limit=self.upload_kib * KiB,
            ignore_limits_on_local_network=False,
            enable_incoming_utp=not self.tcp_only,
            enable_outgoing_utp=not self.tcp_only,
            # the rate limiter hands out quota per tick: 500 ms ticks make a capped seeder
            # answer in 0.5 s steps, unlike a shaped link; 100 ms is closer to one
            tick_interval=100,
        )
        self._session = lt.session(settings)
        deadline = time.monotonic() + 10
        while not self._session.listen_port() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.port = self._session.listen_port()
        if not self.port:
            raise RuntimeError("seeder could not listen on 127.0.0.1")
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(lt.bdecode(self.torrent_bytes))
        params.save_path = str(self.content_root)
        params.flags = lt.torrent_flags.seed_mode
        self._handle = self._session.add_torrent(params)
        return self

    def stop(self) -> None:
        """Take the peer away (connections drop at once); start() brings it back."""
        if self._session is not None:
            self._session.pause()
            self._session = None
            self._handle = None

    def __enter__(self) -> Seeder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what tests need ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def magnet(self) -> str:
        """A magnet with the seeder as its only peer (x.pe) and no trackers."""
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={self.name}&x.pe={self.endpoint}"

    def uploaded(self) -> int:
        """Payload bytes sent so far (0 when stopped)."""
        return self._handle.status().total_payload_upload if self._handle else 0


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll predicate until it is true or the timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return bool(value)
        time.sleep(interval)


__all__ = [
    "KiB",
    "MiB",
    "SeededFiles",
    "Seeder",
    "loopback_settings",
    "make_files",
    "make_torrent",
    "wait_until",
]
