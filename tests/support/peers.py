"""Third-party BitTorrent peers on 127.0.0.1 for tests and benchmarks: a tracker and seeders.

`swarm.Seeder` is a libtorrent peer that we tuned ourselves (fast ticks, no redundant-connection
closing...), so tests seeded only by it hide how real clients behave. This module runs the real
thing, on loopback only, with DHT, LSD, UPnP, NAT-PMP and PEX off:

    with Tracker(tmp_path) as tracker, Aria2Seeder(tmp_path, files, tracker=tracker) as seeder:
        service.add(seeder.magnet)            # found through the tracker only
        service.add(seeder.magnet_with_peer)  # or told where the peer is (x.pe)

`Tracker` is opentracker. The seeders share the surface of `swarm.Seeder`:

- `Aria2Seeder`: aria2c (TCP only, aria2 has no uTP).
- `TransmissionSeeder`: transmission-daemon (TCP and uTP, its defaults).
- `StockLibtorrentSeeder`: libtorrent with its stock settings, as qBittorrent and Deluge ship it.

start() returns once the peer really seeds: the client reports the torrent verified and
complete, its port accepts connections and, with a tracker, the tracker lists it. stop() kills
the peer (its connections drop); start() brings it back on the same port. Every process is
killed on stop(), on leaving the context manager and, as a last resort, at interpreter exit.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import httpx
import libtorrent as lt

from tests.support.swarm import KiB, SeededFiles, make_files, make_torrent, wait_until

LOOPBACK = "127.0.0.1"

# ---- processes and ports ------------------------------------------------------------------------

_LIVE: set[subprocess.Popen[bytes]] = set()


def _reap(process: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """Stop a child: SIGTERM, then SIGKILL if it lingers (aria2 and transmission shut down
    gracefully on SIGTERM, in about a second; a hung shutdown must not hold a test up)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _LIVE.discard(process)


@atexit.register
def _reap_all() -> None:
    # last resort when a test run is interrupted before the context managers ran
    for process in list(_LIVE):
        _reap(process, grace=0.5)


def _spawn(argv: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Run a program with stdout and stderr going to a log file, never to the test console."""
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd
        )
    _LIVE.add(process)
    return process


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def accepts(port: int, host: str = LOOPBACK) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _copy_existing(source: Path, target: Path, size: int) -> Path:
    """Copy a file to seed into the seeder's folder, checking it has the announced size."""
    if source.stat().st_size != size:
        raise ValueError(f"{source} has {source.stat().st_size} bytes, not {size}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


# ---- tracker ------------------------------------------------------------------------------------


class Tracker:
    """opentracker on 127.0.0.1 (HTTP and UDP on one random port), a context manager.

    Debian builds opentracker in whitelist mode: it refuses every info hash that is not listed
    in its whitelist file. Seeders built with `tracker=` call `allow()` for their hash; call it
    yourself for torrents you make elsewhere. No config file is read (only -f would load one).

    Announce interval: compiled in (trackerlogic.h, OT_CLIENT_REQUEST_INTERVAL 30 min with a
    random spread of 6 min), so replies say `interval` 1620-1979 s and `min interval` half of
    that. Clients therefore hear about peers that arrive later only after ~27 minutes: start the
    seeders before the downloaders that should find them.

    opentracker also lists a peer back to itself (clients then try to connect to themselves)
    and keeps a peer that vanished without a 'stopped' announce for its peer timeout (~45 min).
    Seeders of the same files, sizes and seed share one info hash, so they share one swarm.
    """

    def __init__(self, root: Path, *, port: int = 0) -> None:
        self.dir = Path(root) / "tracker"
        self.dir.mkdir(parents=True, exist_ok=True)
        # as root opentracker chroots into -d and drops to "nobody": keep the whitelist readable
        self.dir.chmod(0o755)
        self.whitelist = self.dir / "whitelist.txt"
        self.log = self.dir / "opentracker.log"
        self.port = port or free_port()
        self._hashes: set[str] = set()
        self._write_whitelist()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def announce(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/announce"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def argv(self) -> list[str]:
        # -d: chroot (root) or chdir (other users) there; -w is resolved inside it
        return [
            "opentracker",
            "-i", LOOPBACK,
            "-p", str(self.port),
            "-P", str(self.port),
            "-d", str(self.dir),
            "-u", "nobody",
            "-w", self.whitelist.name,
        ]  # fmt: skip

    def start(self) -> Self:
        if self.running:
            return self
        self._process = _spawn(self.argv(), self.log, cwd=self.dir)
        if not wait_until(lambda: accepts(self.port) or not self.running, timeout=10):
            self.stop()
            raise RuntimeError(f"opentracker did not listen on {self.port}:\n{_tail(self.log)}")
        if not self.running:
            self.stop()
            raise RuntimeError(f"opentracker exited:\n{_tail(self.log)}")
        for info_hash in self._hashes:
            self._wait_allowed(info_hash)
        return self

    def stop(self) -> None:
        if self._process is not None:
            _reap(self._process)
            self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def allow(self, info_hash: str) -> None:
        """Whitelist a v1 info hash (hex); a running tracker reloads its list on SIGHUP."""
        info_hash = info_hash.lower()
        if info_hash in self._hashes:
            return
        self._hashes.add(info_hash)
        self._write_whitelist()
        if self.running:
            assert self._process is not None
            self._process.send_signal(signal.SIGHUP)
            self._wait_allowed(info_hash)

    def peers(self, info_hash: str) -> set[tuple[str, int]] | None:
        """The peers the tracker lists for info_hash, or None when it refuses the hash.

        The tracker has no read-only peer listing, so this announces as a throwaway peer on a
        port nobody listens on and withdraws it at once (event=stopped).
        """
        ghost = {
            "info_hash": bytes.fromhex(info_hash),
            "peer_id": os.urandom(20),
            "port": free_port(),
            "uploaded": 0,
            "downloaded": 0,
            "left": 1,
            "compact": 1,
            "numwant": 1000,
        }
        reply = self._announce(ghost)
        self._announce({**ghost, "event": "stopped"})
        if b"failure reason" in reply:
            return None
        compact = reply.get(b"peers", b"")
        found = set()
        for offset in range(0, len(compact) - 5, 6):
            host = socket.inet_ntoa(compact[offset : offset + 4])
            found.add((host, int.from_bytes(compact[offset + 4 : offset + 6], "big")))
        return found - {(LOOPBACK, ghost["port"])}

    def _announce(self, params: dict[str, Any]) -> dict[bytes, Any]:
        query = urllib.parse.urlencode(params)  # bytes values are percent-encoded as-is
        response = httpx.get(f"{self.announce}?{query}", timeout=5)
        decoded = lt.bdecode(response.content)
        return decoded if isinstance(decoded, dict) else {}

    def _write_whitelist(self) -> None:
        self.whitelist.write_text("".join(f"{h}\n" for h in sorted(self._hashes)))
        self.whitelist.chmod(0o644)

    def _wait_allowed(self, info_hash: str) -> None:
        # the reload runs on a worker thread: poll until the tracker accepts the hash
        if not wait_until(lambda: self.peers(info_hash) is not None, timeout=10, interval=0.1):
            raise RuntimeError(f"opentracker still refuses {info_hash}:\n{_tail(self.log)}")


# ---- seeders ------------------------------------------------------------------------------------


class ThirdPartySeeder(SeededFiles, ABC):
    """What every third-party seeder shares: content, .torrent, magnets, lifecycle.

    files maps relative paths to sizes. One entry gives a single-file torrent; several entries
    must share a top folder ("Show/a.mkv", "Show/b.mkv") and give a multi-file torrent.
    upload_kib caps the upload in KiB/s (0: no cap), also towards loopback peers.
    existing maps some of those names to files on disk to seed instead of random bytes (a real
    video, say): each is copied into the seeder's folder (a copy, never a link, so a client
    that writes to its data cannot touch the original) and its size must match files.
    """

    kind: ClassVar[str]
    program: ClassVar[str]  # the executable the seeder needs (tests skip without it)
    #: seconds start() waits for verification and the tracker; raise it for huge files
    start_timeout: float = 60.0

    def __init__(
        self,
        root: Path,
        files: dict[str, int],
        *,
        piece_length: int = 512 * KiB,
        upload_kib: int = 0,
        tracker: Tracker | None = None,
        seed: int = 0,
        port: int = 0,
        existing: dict[str, Path] | None = None,
    ) -> None:
        self.root = Path(root)
        self.content_root = self.root / "seed"
        self.content_root.mkdir(parents=True, exist_ok=True)
        # the client's own state (config, logs) lives next to the content, one folder per kind
        self.state_dir = self.root / self.kind
        self.state_dir.mkdir(parents=True, exist_ok=True)
        existing = existing or {}
        generated = {name: size for name, size in files.items() if name not in existing}
        self.paths = make_files(self.content_root, generated, seed)
        for name, source in existing.items():
            self.paths[name] = _copy_existing(Path(source), self.content_root / name, files[name])
        tops = {Path(name).parts[0] for name in files}
        if len(tops) != 1:
            raise ValueError("all seeded files must share one top-level name")
        self.name = tops.pop()
        self.tracker = tracker
        announce = tracker.announce if tracker else None
        self.torrent_bytes = make_torrent(self.content_root, self.name, piece_length, announce)
        self.torrent_path = self.state_dir / f"{self.name}.torrent"
        self.torrent_path.write_bytes(self.torrent_bytes)
        self.info = lt.torrent_info(lt.bdecode(self.torrent_bytes))
        self.info_hash = str(self.info.info_hashes().v1)
        self.upload_kib = upload_kib
        # pick the port once so that start() after stop() comes back on the same one
        self.port = port or free_port()
        self.running = False
        if tracker is not None:
            tracker.allow(self.info_hash)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Start seeding and return once the peer is verified, listening and announced."""
        if self.running:
            return self
        if self.tracker is not None and not self.tracker.running:
            # the seeder announces once at start and then every ~30 min: start the tracker first
            raise RuntimeError("start the tracker before its seeders")
        self._launch()
        self.running = True
        deadline = time.monotonic() + self.start_timeout
        try:
            self._wait(deadline, lambda: self._seeding() and accepts(self.port), "seeding")
            if self.tracker is not None:
                self._wait(deadline, self._announced, "listed by the tracker")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Take the peer away (its connections drop); start() brings it back on the same port."""
        if self.running:
            self.running = False
            self._halt()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait(self, deadline: float, ready: Callable[[], bool], what: str) -> None:
        while not ready():
            if not self._alive():
                raise RuntimeError(f"{self.kind} exited before {what}:\n{self._diagnostics()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} not {what} in time:\n{self._diagnostics()}")
            time.sleep(0.1)

    def _announced(self) -> bool:
        assert self.tracker is not None
        return (LOOPBACK, self.port) in (self.tracker.peers(self.info_hash) or set())

    # ---- what each client implements --------------------------------------------------------

    @abstractmethod
    def _launch(self) -> None:
        """Start the client with the torrent and its data."""

    @abstractmethod
    def _halt(self) -> None:
        """Stop the client for good, closing its sockets."""

    @abstractmethod
    def _seeding(self) -> bool:
        """True once the client reports the torrent verified, complete and seeding."""

    def _alive(self) -> bool:
        return True

    def _diagnostics(self) -> str:
        return ""

    # ---- what tests need ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def magnet(self) -> str:
        """xt + dn (+ tr when there is a tracker) and no peer hint: found via the tracker only."""
        magnet = f"magnet:?xt=urn:btih:{self.info_hash}&dn={urllib.parse.quote(self.name)}"
        if self.tracker is not None:
            magnet += f"&tr={urllib.parse.quote(self.tracker.announce, safe='')}"
        return magnet

    @property
    def magnet_with_peer(self) -> str:
        """The magnet plus x.pe=127.0.0.1:PORT, so no tracker is needed to find the seeder."""
        return f"{self.magnet}&x.pe={self.endpoint}"


class _ProcessSeeder(ThirdPartySeeder):
    """A seeder that is an external program, with a log file and a loopback RPC port."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log = self.state_dir / f"{self.kind}.log"
        self.rpc_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line the client runs with."""

    def _launch(self) -> None:
        self._process = _spawn(self.argv(), self.log, cwd=self.state_dir)

    def _halt(self) -> None:
        if self._process is not None:
            _reap(self._process)
            self._process = None

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _diagnostics(self) -> str:
        return f"$ {' '.join(self.argv())}\n{_tail(self.log)}"


class Aria2Seeder(_ProcessSeeder):
    """aria2c seeding the generated files: TCP only (aria2 has no uTP), checked with -V.

    Readiness comes from aria2's JSON-RPC (aria2.tellActive) on a loopback port: more robust
    than scraping its log. aria2 opens its BitTorrent port only once verification is done.
    """

    kind = "aria2"
    program = "aria2c"

    def argv(self) -> list[str]:
        argv = [
            "aria2c",
            f"--dir={self.content_root}",
            # hash the data before seeding, like a client that was handed existing files
            "--check-integrity=true",
            # 0.0: seed forever, whatever the share ratio
            "--seed-ratio=0.0",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            # --interface binds the BitTorrent, RPC and outgoing sockets to loopback
            f"--interface={LOOPBACK}",
            "--disable-ipv6=true",
            f"--listen-port={self.port}",
            "--bt-max-peers=0",  # 0: no limit (the default is 55)
            # aria2's K is 1024 bytes
            f"--max-upload-limit={self.upload_kib}K",
            "--enable-rpc=true",
            "--rpc-listen-all=false",
            f"--rpc-listen-port={self.rpc_port}",
            "--quiet=true",
            f"--log={self.log}",
            "--log-level=info",
            "--auto-save-interval=0",
            str(self.torrent_path),
        ]
        return argv

    def _rpc(self, method: str, *params: Any) -> Any:
        payload = {"jsonrpc": "2.0", "id": "peers", "method": method, "params": list(params)}
        response = httpx.post(f"http://{LOOPBACK}:{self.rpc_port}/jsonrpc", json=payload, timeout=5)
        response.raise_for_status()
        return response.json()["result"]

    def _seeding(self) -> bool:
        try:
            active = self._rpc("aria2.tellActive")
        except httpx.HTTPError:
            return False  # RPC not up yet
        for item in active:
            if item.get("infoHash") == self.info_hash:
                return (
                    item.get("seeder") == "true"
                    and item.get("completedLength") == item.get("totalLength")
                    # present while aria2 still hashes the files
                    and "verifiedLength" not in item
                    and item.get("verifyIntegrityPending") != "true"
                )
        return False


class TransmissionSeeder(_ProcessSeeder):
    """transmission-daemon in the foreground, its config dir and settings.json under root.

    The torrent is added over RPC with download-dir set to the content, so transmission
    verifies the files and seeds them. uTP stays on (its default).
    """

    kind = "transmission"
    program = "transmission-daemon"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_id = ""  # the RPC's CSRF token, learnt from its first 409 reply
        self._added = False

    def argv(self) -> list[str]:
        return [
            "transmission-daemon",
            "--foreground",
            "--config-dir", str(self.state_dir / "config"),
            "--port", str(self.rpc_port),  # RPC
            "--rpc-bind-address", LOOPBACK,
            "--no-auth",
            "--allowed", LOOPBACK,
            "--peerport", str(self.port),
            "--bind-address-ipv4", LOOPBACK,
            "--bind-address-ipv6", "::1",
            "--no-dht",
            "--no-lpd",
            "--no-portmap",
            "--download-dir", str(self.content_root),
            "--logfile", str(self.log),
            "--log-info",
        ]  # fmt: skip

    def _settings(self) -> dict[str, Any]:
        # only what the command line cannot say; transmission rewrites this file on exit
        settings: dict[str, Any] = {
            "pex-enabled": False,
            "dht-enabled": False,
            "lpd-enabled": False,
            "port-forwarding-enabled": False,
            "peer-port-random-on-start": False,
            "bind-address-ipv4": LOOPBACK,
            "bind-address-ipv6": "::1",
            "rpc-whitelist-enabled": True,
            "rpc-whitelist": LOOPBACK,
            "ratio-limit-enabled": False,
            "idle-seeding-limit-enabled": False,
            "start-added-torrents": True,
            "speed-limit-up-enabled": bool(self.upload_kib),
        }
        if self.upload_kib:
            # transmission-daemon's speed "kB" is 1000 bytes (SPEED_K in daemon.c)
            settings["speed-limit-up"] = max(1, round(self.upload_kib * KiB / 1000))
        return settings

    def _launch(self) -> None:
        config = self.state_dir / "config"
        config.mkdir(exist_ok=True)
        (config / "settings.json").write_text(json.dumps(self._settings(), indent=2))
        self._session_id = ""
        self._added = False
        super()._launch()

    def _rpc(self, method: str, **arguments: Any) -> dict[str, Any]:
        url = f"http://{LOOPBACK}:{self.rpc_port}/transmission/rpc"
        payload = {"method": method, "arguments": arguments}
        for _ in range(2):
            headers = {"X-Transmission-Session-Id": self._session_id}
            response = httpx.post(url, json=payload, headers=headers, timeout=5)
            if response.status_code == 409:
                # CSRF guard: the first call is refused and tells us the session id to send
                self._session_id = response.headers["X-Transmission-Session-Id"]
                continue
            response.raise_for_status()
            reply = response.json()
            if reply.get("result") != "success":
                raise RuntimeError(f"transmission {method}: {reply.get('result')}")
            return reply["arguments"]
        raise RuntimeError("transmission kept refusing the session id")

    def _seeding(self) -> bool:
        try:
            if not self._added:
                # after a restart the torrent is already there: the reply is torrent-duplicate
                self._rpc(
                    "torrent-add",
                    metainfo=base64.b64encode(self.torrent_bytes).decode(),
                    **{"download-dir": str(self.content_root)},
                )
                self._added = True
            fields = ["hashString", "status", "percentDone", "error", "errorString"]
            torrents = self._rpc("torrent-get", fields=fields)["torrents"]
        except httpx.HTTPError:
            return False  # RPC not up yet
        for torrent in torrents:
            if torrent["hashString"] == self.info_hash:
                if torrent["error"]:
                    raise RuntimeError(f"transmission: {torrent['errorString']}")
                # status 6 = TR_STATUS_SEED (2 is verifying)
                return torrent["status"] == 6 and torrent["percentDone"] == 1
        return False


class StockLibtorrentSeeder(ThirdPartySeeder):
    """A libtorrent session with libtorrent's stock settings, as qBittorrent and Deluge ship.

    Only these differ from the defaults: listen on 127.0.0.1:PORT; DHT, LSD, UPnP and NAT-PMP
    off; PEX off (the ut_pex plugin is not loaded, ut_metadata and smart_ban are);
    allow_multiple_connections_per_ip on (see settings()); and, with a cap, upload_rate_limit
    plus ignore_limits_on_local_network=False (else loopback is exempt). Choking, uTP, ticks
    and close_redundant_connections stay stock. The torrent is added with its data and
    checked, not put in seed mode.

    libtorrent's ssrf_mitigation (on by default) only lets a tracker on localhost through
    when its path is /announce, which is what `Tracker.announce` is.
    """

    kind = "libtorrent"
    program = ""  # in-process, always available

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: lt.session | None = None
        self._handle: lt.torrent_handle | None = None

    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "listen_interfaces": f"{LOOPBACK}:{self.port}",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            # not stock, but needed: on loopback every peer has the same IP, and the stock
            # False lets only one of them in (the seeder's own self-connection attempt, made
            # because the tracker lists it back to itself, can take that one slot)
            "allow_multiple_connections_per_ip": True,
        }
        if self.upload_kib:
            settings["upload_rate_limit"] = self.upload_kib * KiB
            settings["ignore_limits_on_local_network"] = False
        return settings

    def _launch(self) -> None:
        # flags=0: no default plugins, so no ut_pex; add back the other two defaults
        session = lt.session(self.settings(), 0)
        session.add_extension("ut_metadata")
        session.add_extension("smart_ban")
        self._session = session
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(lt.bdecode(self.torrent_bytes))
        params.save_path = str(self.content_root)
        self._handle = session.add_torrent(params)

    def _halt(self) -> None:
        if self._session is not None:
            # pausing drops every connection now; the session closes when the object goes
            self._session.pause()
            self._session = None
            self._handle = None

    def _alive(self) -> bool:
        return self._session is not None

    def _seeding(self) -> bool:
        if self._session is None or self._handle is None:
            return False
        if self._session.listen_port() != self.port:
            return False
        status = self._handle.status()
        if status.errc.value():
            raise RuntimeError(f"libtorrent: {status.errc.message()}")
        return status.state == lt.torrent_status.seeding and status.is_seeding

    def _diagnostics(self) -> str:
        if self._handle is None:
            return ""
        status = self._handle.status()
        trackers = [
            {
                "url": t["url"],
                "endpoints": [
                    {k: h.get(k) for k in ("message", "last_error", "fails", "updating")}
                    for e in t["endpoints"]
                    for h in e["info_hashes"]
                ],
            }
            for t in self._handle.trackers()
        ]
        return f"state={status.state} progress={status.progress} trackers={trackers}"

    def uploaded(self) -> int:
        """Payload bytes sent so far (0 when stopped)."""
        return self._handle.status().total_payload_upload if self._handle else 0


SEEDERS: tuple[type[ThirdPartySeeder], ...] = (
    Aria2Seeder,
    TransmissionSeeder,
    StockLibtorrentSeeder,
)

__all__ = [
    "SEEDERS",
    "Aria2Seeder",
    "StockLibtorrentSeeder",
    "ThirdPartySeeder",
    "Tracker",
    "TransmissionSeeder",
    "accepts",
    "free_port",
]
