"""Benchmark: streaming a real video from a real BitTorrent client through the share.

    .venv/bin/python bench/real_swarm.py [--seeder aria2|transmission|libtorrent] [--cap MIB]
        [--settle S] [--hint] [--only first,open,seeks,ranges,seq,parallel,ffmpeg,quiet,play]
        [--rounds N] [--quiet 60,300] [--idle-timeout S] [--idle-pause-timeout S] [--budget MIB]
        [--video PATH] [--peerflix PATH]

Everything runs on 127.0.0.1. A 180 s H.264/AAC Matroska video (1280x720, 12 Mbit/s, a
keyframe every 2 s, ~270 MB) is made once with ffmpeg into ~/.cache/reelbox-bench/ (or
--video PATH is used). A third-party client seeds it (aria2c by default, transmission-daemon,
or libtorrent with stock settings), as a torrent with 2 MiB pieces, found through an
opentracker tracker (magnet without x.pe; --hint adds x.pe=127.0.0.1:PORT). --cap limits the
seeder's upload in MiB/s (0: none). A capped seeder then rests --settle seconds (11 by default)
between two sessions: aria2 caps its average over the last 10 s of its traffic, so a session
started sooner first gets a burst over the cap and then a hold as long as the pause, which
measures the session before it (--settle 0 shows it).

Reelbox runs in a child process (TorrentService + Library + ShareServer, as bench/share.py
builds them; DHT, LSD, UPnP and NAT-PMP off, listening on 127.0.0.1), a FRESH one with a fresh
data folder for every scenario, so each scenario starts cold. The baseline is the plain cheroot
static-file server of bench/share.py over the same file, in a child process too, measured in
the same round just before each Reelbox scenario: the machine is shared and noisy, so compare
the two columns, not figures from different runs. The client is httpx in this process (the
servers being in other processes, it does not share their GIL), with Basic auth, reading as
players read; every byte read is checked against the file, and a wrong byte aborts the run.

Scenarios (each a fresh Reelbox session) and figures, times in seconds:
  (a) right after the assign, in this order:
      first    1. start -> first byte: from the assign POST to the first byte of
                  GET Range: bytes=0- (then the connection is dropped)
      open     2. player open: head probe (bytes=0-, 64 KiB, drop), tail probe
                  (bytes=size-1MiB-, to the end), jump (bytes=X- at 40 % of the file, 1 MiB, drop)
      seeks    3. 20 seeks at random offsets (fixed seed, one in each 20th of the file, in random
                  order): a new connection each, Range: bytes=N-, 256 KiB read, then dropped.
                  TTFB (to the first body byte) and time to the 256 KiB: p50, p90, max
      ranges   4. 10 closed ranges bytes=N-(N+256KiB-1) at other random offsets: p50, p90, max
  (b) seq      5. one sequential GET of the whole file (bytes=0-, 64 KiB chunks): MB/s (1 MB =
                  10^6 bytes, from the request to the last byte) and the longest stall (the
                  longest gap between two consecutive chunks, the wait for the first excluded)
  (c) parallel 6. 4 readers at once (threads), each an 8 MiB closed range at 1/8, 3/8, 5/8 and
                  7/8 of the file: aggregate MB/s (32 MiB over the wall time of all four)
  (d) ffmpeg   7. ffmpeg -ss 120 -i http://user:password@.../file -t 2 -f null -: wall time
                  (a non-zero exit code aborts the run)
  (e) quiet    8. one session per --quiet duration Q: first byte, then nothing for Q seconds,
                  then the TTFB of a 64 KiB read at a cold random offset. --idle-timeout and
                  --idle-pause-timeout (TorrentSettings, min 5 s, passed to every session)
                  shorten the idle stages to simulate a long pause; the static server's figure
                  is the same read without the wait. A played file is fetched whole in the
                  background, so give a --budget (MiB) smaller than the file: the background then
                  stays within half of it and the read after the pause needs the swarm.
  (f) play     9. seeks while playing: a player reads from the start at 1.5 times the video's
                  bitrate for 10 s, then seeks 10 times (one in each tenth of the file, fixed
                  seed), playing 2 s after each: TTFB p50, p90 (with 10 seeks, the second
                  slowest), max. Only with --only play, and give it a long --video (a few GB):
                  the bench's own is fetched whole within seconds, and then every seek is
                  served from disk.
--only picks scenarios by figure name; --rounds N repeats every scenario with fresh sessions and
reports the median of each figure. p90 is the nearest-rank percentile (18th of 20 values).

--peerflix PATH also measures peerflix 0.39 (the issue's reference streamer: `npm install
peerflix@0.39.0`, then node_modules/.bin/peerflix) on every scenario, a fresh one each time, as
a third column; the ratio and the verdict stay Reelbox's. Its "first" figure counts from its
start (it is given the magnet on its command line), not from an assign. It is told the seeder's
address (--peer): through the tracker alone it never connected once a Reelbox session had used
the same tracker and seeder.

Targets (the last column; "ok" or "MISS"): unlimited seeder: seek TTFB p90 <= 0.15 s and max
<= 0.5 s, sequential >= 150 MB/s with no stall over 0.5 s, 4 parallel readers >= 100 MB/s;
capped seeder (set for 20 MiB/s, applied to any cap): seek TTFB p90 <= 0.3 s, longest stall
<= 1 s, ffmpeg -ss 120 -t 2 <= 1.2 s; first byte after a quiet period <= 2 s (any seeder).
"""

from __future__ import annotations

import argparse
import dataclasses
import faulthandler
import json
import logging
import math
import mmap
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.peers import (  # noqa: E402
    Aria2Seeder,
    StockLibtorrentSeeder,
    ThirdPartySeeder,
    Tracker,
    TransmissionSeeder,
    free_port,
)
from tests.support.swarm import KiB, MiB, wait_until  # noqa: E402

LOOPBACK = "127.0.0.1"
NAME = "Bench.Movie.2024.1080p.WEB-DL/Bench.Movie.2024.1080p.WEB-DL.mkv"
USER, PASSWORD = "bench", "bench-password"
PIECE = 2 * MiB
CHUNK = 64 * KiB
SETTLE = 11.0  # seconds a capped seeder rests between sessions: aria2's rate window is 10 s
HEAD_PROBE = 64 * KiB
TAIL_PROBE = 1 * MiB
JUMP_READ = 1 * MiB
SEEK_READ = 256 * KiB
SEEKS = 20
RANGES = 10
PARALLEL = 4
PARALLEL_READ = 8 * MiB
QUIET_READ = 64 * KiB
PLAY_WARMUP = 10.0  # seconds played from the start before the first seek
PLAY_SEEKS = 10
PLAY_SECONDS = 2.0  # seconds played after each seek
PLAY_SPEED = 1.5  # a player reads this many times the video's bitrate (it keeps a buffer)
HTTP_TIMEOUT = 90.0  # above the share's read_timeout (60 s), so its own 504 shows
VIDEO_SECONDS = 180
CACHE = Path.home() / ".cache" / "reelbox-bench"
SEEDERS: dict[str, type[ThirdPartySeeder]] = {
    "aria2": Aria2Seeder,
    "transmission": TransmissionSeeder,
    "libtorrent": StockLibtorrentSeeder,
}
SCENARIOS = {
    "a": ("first", "open", "seeks", "ranges"),
    "b": ("seq",),
    "c": ("parallel",),
    "d": ("ffmpeg",),
    "e": ("quiet",),
    "f": ("play",),
}
FIGURES = [name for names in SCENARIOS.values() for name in names]
# play needs a long --video (on the bench's own every seek is served from disk): asked for only
DEFAULT_FIGURES = [name for name in FIGURES if name != "play"]


class BenchError(RuntimeError):
    """A figure could not be measured: wrong bytes, an HTTP error, a failed ffmpeg..."""


# ---- the video ----------------------------------------------------------------------------------


def ensure_video(path: Path | None) -> tuple[Path, float]:
    """The cached test video (made once with ffmpeg), or the given one, checked with ffprobe;
    and its duration in seconds."""
    if path is None:
        path = CACHE / f"testsrc2-720p30-{VIDEO_SECONDS}s-12M-g60.mkv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial.mkv")
            print(f"making the test video {path} with ffmpeg ...", flush=True)
            started = time.perf_counter()
            subprocess.run(
                [
                    "ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine",
                    "-t", str(VIDEO_SECONDS),
                    "-c:v", "libx264", "-preset", "ultrafast",
                    "-b:v", "12M", "-maxrate", "12M", "-bufsize", "24M", "-g", "60",
                    "-c:a", "aac", "-shortest", str(partial),
                ],
                check=True,
            )  # fmt: skip
            partial.rename(path)
            print(f"  made in {time.perf_counter() - started:.1f} s", flush=True)
    return path, check_video(path)


def check_video(path: Path) -> float:
    """Check the video suits the figures; its duration in seconds."""
    probe = subprocess.run(
        [
            "ffprobe", "-v", "error", "-show_entries", "format=format_name,duration",
            "-of", "json", str(path),
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    fmt = json.loads(probe.stdout)["format"]
    if "matroska" not in fmt["format_name"]:
        raise BenchError(f"{path} is {fmt['format_name']}, not Matroska")
    if float(fmt["duration"]) < 125:
        raise BenchError(f"{path} lasts {fmt['duration']} s: ffmpeg -ss 120 -t 2 needs 122 s")
    packets = subprocess.run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v:0",
            "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", str(path),
        ],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    keys = [float(p.split(",")[0]) for p in packets if "K" in p.split(",")[-1]]
    gap = max(b - a for a, b in zip(keys, keys[1:], strict=False)) if len(keys) > 1 else math.inf
    size = path.stat().st_size
    print(
        f"video: {path} ({size / 1e6:.0f} MB, {float(fmt['duration']):.0f} s, "
        f"{len(keys)} keyframes, widest keyframe gap {gap:.2f} s)"
    )
    if gap > 5:
        raise BenchError(f"{path}: keyframes up to {gap:.1f} s apart, seeks would be coarse")
    return float(fmt["duration"])


# ---- the servers, each in a child process -------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    """Child process: run a share (or the static server), print its port, stop at stdin's EOF."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
    )
    faulthandler.enable()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the parent's stack dump on failure
    stops: list[Callable[[], None]] = []
    try:
        if args.serve == "static":
            from app.share.server import HttpServer
            from bench.share import _static_app

            server = HttpServer(_static_app(Path(args.serve_file)), LOOPBACK, 0, threads=8)
            server.start()
            stops.append(server.stop)
            port = server.port
        else:
            port = _start_share(args, stops)
        print(f"PORT {port}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception:
                logging.exception("stopping")
    return 0


def _start_share(args: argparse.Namespace, stops: list[Callable[[], None]]) -> int:
    from app.library.db import close_database, open_database
    from app.library.repository import Library
    from app.paths import Paths
    from app.settings import ShareSettings
    from app.share.server import ShareServer
    from app.torrents.service import TorrentService
    from bench.share import torrent_settings

    paths = Paths.under(Path(args.serve_root))
    paths.ensure()
    extra = {}
    if args.idle_timeout:
        extra["idle_timeout"] = args.idle_timeout
    if args.idle_pause_timeout:
        extra["idle_pause_timeout"] = args.idle_pause_timeout
    if args.budget:
        extra["cache_budget_mib"] = args.budget
    settings = dataclasses.replace(torrent_settings(), **extra)
    service = TorrentService(settings, paths, listen_interface=LOOPBACK)
    service.start()
    stops.append(service.stop)
    library = Library(open_database(paths.database_file))
    stops.append(lambda: close_database(library.db))
    share = ShareServer(
        ShareSettings(bind_address=LOOPBACK, port=0, username=USER),
        library,
        service,
        password=PASSWORD,
    )
    share.start()
    stops.append(share.stop)
    return share.port


class Server:
    """A child process running a share or the static server; stop() always ends it."""

    def __init__(self, kind: str, log: Path, argv: list[str]) -> None:
        self.kind = kind
        self.log = log
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", kind, *argv]
        with open(log, "ab") as sink:
            self.process = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sink, cwd=_repo()
            )
        _CHILDREN.add(self.process)
        line = self.process.stdout.readline().decode() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise BenchError(f"{kind} server did not start:\n{self.log_tail()}")
        self.port = int(line.split()[1])
        self.base = f"http://{LOOPBACK}:{self.port}"

    def dump_stacks(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(0.5)

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        _stop_child(self.process, grace=20)


@dataclass
class Listening:
    """A server we did not start through Server (peerflix): where it listens."""

    port: int

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


_CHILDREN: set[subprocess.Popen] = set()


def _stop_child(process: subprocess.Popen, grace: float) -> None:
    if process.poll() is None:
        with suppress(OSError):
            if process.stdin:
                process.stdin.close()  # the child stops its share cleanly at EOF
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _CHILDREN.discard(process)


def _stop_all_children() -> None:
    for process in list(_CHILDREN):
        _stop_child(process, grace=2)


def _repo() -> Path:
    return Path(__file__).resolve().parents[1]


# ---- targets: what the figures read from --------------------------------------------------------


@dataclass
class Video:
    path: Path
    size: int
    data: mmap.mmap
    seconds: float

    def check(self, offset: int, chunk: bytes, what: str) -> None:
        """Raise unless chunk is exactly the file's bytes at offset."""
        expected = self.data[offset : offset + len(chunk)]
        if expected != chunk:
            bad = next(
                (i for i, (a, b) in enumerate(zip(chunk, expected, strict=False)) if a != b),
                len(expected),
            )
            raise BenchError(
                f"WRONG BYTES in {what}: {len(chunk)} bytes at offset {offset}, first "
                f"difference at offset {offset + bad} (file size {self.size})"
            )


@dataclass
class Target:
    """Where a figure reads: the static server, or a fresh share after its assign."""

    name: str
    server: Server | Listening
    path: str = "/file"
    auth: tuple[str, str] | None = None
    magnet: str = ""
    assign_time: float = 0.0
    launched: float = 0.0  # perf_counter() when a streamer given the magnet at start began

    @property
    def url(self) -> str:
        return self.server.base + self.path

    def client(self) -> httpx.Client:
        # a new client per request: a new connection, closed when we stop reading
        return httpx.Client(auth=self.auth, timeout=HTTP_TIMEOUT)

    def assign(self) -> None:
        """For a share: make a movie and assign the magnet, as the UI does (no-op if static)."""
        if not self.magnet:
            return
        with httpx.Client(base_url=self.server.base, auth=self.auth, timeout=120) as client:
            movie = client.post("/api/movies", json={"title": "Bench Movie", "year": 2024})
            if movie.status_code >= 300:
                raise BenchError(f"POST /api/movies: {movie.status_code} {movie.text}")
            started = time.perf_counter()
            reply = client.post(
                f"/api/movies/{movie.json()['id']}/assign", json={"magnet_uri": self.magnet}
            )
            self.assign_time = time.perf_counter() - started
            if reply.status_code != 201:
                raise BenchError(f"assign: {reply.status_code} {reply.text}")
            self.path = quote(reply.json()["share_path"])

    def torrent_json(self) -> dict:
        """The share's view of the torrent: GET /api/torrents/HASH (a status snapshot only)."""
        info_hash = self.magnet.split("btih:")[1].split("&")[0]
        with httpx.Client(base_url=self.server.base, auth=self.auth, timeout=30) as client:
            reply = client.get(f"/api/torrents/{info_hash}")
        if reply.status_code != 200:
            raise BenchError(f"GET /api/torrents/{info_hash}: {reply.status_code} {reply.text}")
        return reply.json()

    def torrent(self) -> str:
        """A line on the share's torrent, for the notes."""
        if not self.magnet:
            return ""
        t = self.torrent_json()
        line = (
            f"{t['pieces_done']}/{t['num_pieces']} pieces, state {t['state']}"
            f"{', paused' if t['paused'] else ''}, {t['peers']} peers"
        )
        events = [f"{e['kind']}: {e['message']}" for e in t.get("health") or []][-4:]
        return line + (f"; health: {' | '.join(events)}" if events else "")

    def ffmpeg_url(self) -> str:
        creds = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@" if self.auth else ""
        return f"http://{creds}{LOOPBACK}:{self.server.port}{self.path}"


@dataclass
class Read:
    ttfb: float  # request sent -> first body byte
    total: float  # request sent -> last byte we wanted
    count: int
    gaps: list[float] = field(default_factory=list)  # between consecutive chunks
    started: float = 0.0
    first_at: float = 0.0


def read(
    target: Target,
    video: Video,
    start: int,
    *,
    end: int | None = None,
    want: int | None = None,
    what: str,
    gaps: bool = False,
) -> Read:
    """GET bytes=start-[end] on a new connection, read `want` bytes (all when None), drop.

    Every chunk is checked against the file; the status and Content-Range must fit.
    """
    header = f"bytes={start}-" + ("" if end is None else str(end))
    last = end if end is not None else video.size - 1
    expected = last - start + 1
    want = expected if want is None else min(want, expected)
    got = 0
    first_at = 0.0
    chunk_gaps: list[float] = []
    with target.client() as client:
        started = time.perf_counter()
        with client.stream("GET", target.url, headers={"Range": header}) as reply:
            check_partial(reply, start, header, what)
            previous = 0.0
            # as it arrives (for the first byte), or in 64 KiB chunks when timing the gaps
            for chunk in reply.iter_raw(CHUNK if gaps else None):
                now = time.perf_counter()
                if not first_at:
                    first_at = now
                elif gaps:
                    chunk_gaps.append(now - previous)
                previous = now
                chunk = chunk[: want - got]
                video.check(start + got, chunk, what)
                got += len(chunk)
                if got >= want:
                    break
            done = time.perf_counter()
            # leaving the block closes the response: with bytes left, httpx drops the connection
    if got != want:
        raise BenchError(f"{what}: Range {header}: got {got} bytes, wanted {want}")
    return Read(first_at - started, done - started, got, chunk_gaps, started, first_at)


def check_partial(reply: httpx.Response, start: int, header: str, what: str) -> None:
    """Raise unless the reply is a 206 whose Content-Range starts at `start`."""
    if reply.status_code != 206:
        reply.read()
        raise BenchError(f"{what}: GET Range {header} -> {reply.status_code} {reply.text[:500]!r}")
    content_range = reply.headers.get("content-range", "")
    if not content_range.startswith(f"bytes {start}-"):
        raise BenchError(f"{what}: Range {header} -> Content-Range {content_range!r}")


# ---- the figures ----------------------------------------------------------------------------


def fig_first(target: Target, video: Video) -> dict[str, float]:
    """1. From the assign POST to the first byte of GET bytes=0- (the connection dropped)."""
    started = target.launched or time.perf_counter()
    target.assign()
    first = read(target, video, 0, want=1, what="first byte")
    out = {"first": first.first_at - started}
    if target.magnet:
        out["assign"] = target.assign_time
    return out


def fig_open(target: Target, video: Video) -> dict[str, float]:
    """2. A player opening the file: head probe, tail probe, jump to 40 %."""
    head = read(target, video, 0, want=HEAD_PROBE, what="head probe")
    tail = read(target, video, video.size - TAIL_PROBE, what="tail probe")
    jump_at = video.size * 40 // 100
    jump = read(target, video, jump_at, want=JUMP_READ, what="jump to 40 %")
    return {"open.head": head.total, "open.tail": tail.total, "open.jump": jump.total}


def spread_offsets(size: int, count: int, seed: int, length: int) -> list[int]:
    """One random offset in each count-th of the file, in random order (fixed seed)."""
    rng = random.Random(seed)
    span = (size - length) // count
    offsets = [i * span + rng.randrange(span) for i in range(count)]
    rng.shuffle(offsets)
    return offsets


def fig_seeks(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """3. 20 seeks: bytes=N-, 256 KiB read, then the connection dropped."""
    ttfbs, totals = [], []
    for offset in spread_offsets(video.size, SEEKS, seed=20, length=SEEK_READ):
        done = read(target, video, offset, want=SEEK_READ, what=f"seek to {offset}")
        ttfbs.append(done.ttfb)
        totals.append(done.total)
        if target.magnet and done.ttfb > 0.5:
            notes.append(
                f"{target.name}: seek to {offset} ({offset / video.size:.0%}) "
                f"waited {done.ttfb:.2f} s for its first byte"
            )
    return {
        **percentiles("seek.ttfb", ttfbs),
        **percentiles("seek.256k", totals),
    }


def fig_ranges(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """4. 10 closed ranges bytes=N-(N+256KiB-1), read whole."""
    totals = []
    for offset in spread_offsets(video.size, RANGES, seed=40, length=SEEK_READ):
        done = read(target, video, offset, end=offset + SEEK_READ - 1, what=f"range at {offset}")
        totals.append(done.total)
        if target.magnet and done.total > 0.5:
            notes.append(
                f"{target.name}: range at {offset} ({offset / video.size:.0%}) "
                f"took {done.total:.2f} s"
            )
    return percentiles("range", totals)


def fig_seq(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """5. The whole file in one GET: MB/s and the longest gap between two 64 KiB chunks."""
    target.assign()
    done = read(target, video, 0, what="sequential read", gaps=True)
    stall = max(done.gaps, default=0.0)
    if target.magnet and done.gaps:
        where = done.gaps.index(stall) + 1  # gap i ends chunk i + 1
        # the long gaps with the time each began (after the first byte): a capped seeder's
        # holds show their rhythm (aria2 pays a burst back when its 10 s window moves on)
        elapsed, long_gaps = 0.0, []
        for gap in done.gaps:
            elapsed += gap
            if gap > 0.25:
                long_gaps.append(f"{gap:.2f} s at {elapsed - gap:.1f} s")
        shown = ", ".join(long_gaps[:12]) or "none"
        if len(long_gaps) > 12:
            shown += f" and {len(long_gaps) - 12} more"
        notes.append(
            f"{target.name}: sequential: first byte after {done.ttfb:.2f} s, longest stall "
            f"{stall:.2f} s before the chunk at {where * CHUNK / 1e6:.0f} MB "
            f"({where * CHUNK / video.size:.0%}); gaps over 0.25 s: {shown}"
        )
    if target.magnet:
        notes.append(f"{target.name}: after the sequential read: {target.torrent()}")
    return {"seq.mbs": video.size / done.total / 1e6, "seq.stall": stall, "seq.first": done.ttfb}


def fig_parallel(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """6. 4 readers at once, each an 8 MiB range at 1/8, 3/8, 5/8, 7/8 of the file."""
    target.assign()
    offsets = [video.size * (2 * i + 1) // (2 * PARALLEL) for i in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    results: list[Read | BaseException | None] = [None] * PARALLEL

    def reader(i: int) -> None:
        try:
            barrier.wait(30)
            start = offsets[i]
            results[i] = read(
                target, video, start, end=start + PARALLEL_READ - 1, what=f"parallel reader {i}"
            )
        except BaseException as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HTTP_TIMEOUT * 2)
    for i, result in enumerate(results):
        if isinstance(result, BaseException):
            raise BenchError(f"parallel reader {i}: {result}") from result
        if result is None:
            raise BenchError(f"parallel reader {i} did not finish")
    reads = [r for r in results if isinstance(r, Read)]
    begin = min(r.started for r in reads)
    wall = max(r.started + r.total for r in reads) - begin
    if target.magnet:
        each = ", ".join(
            f"at {o / video.size:.0%}: first byte {r.first_at - begin:.2f} s, "
            f"done {r.started + r.total - begin:.2f} s"
            for o, r in zip(offsets, reads, strict=True)
        )
        notes.append(f"{target.name}: parallel readers {each}")
    return {"parallel.mbs": PARALLEL * PARALLEL_READ / wall / 1e6}


def fig_ffmpeg(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """7. ffmpeg -ss 120 -i URL -t 2 -f null - : wall time; it must exit 0."""
    target.assign()
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-ss", "120", "-i", target.ffmpeg_url(),
            "-t", "2", "-f", "null", "-"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(
            f"{target.name}: ffmpeg exited {done.returncode} after {wall:.2f} s:\n{done.stderr}"
        )
    if done.stderr.strip():
        notes.append(f"{target.name}: ffmpeg said: {done.stderr.strip()[:300]}")
    return {"ffmpeg": wall}


def fig_quiet(
    target: Target, video: Video, quiet: float, seed: int, notes: list[str]
) -> dict[str, float]:
    """8. First byte, Q seconds without reads, then the TTFB of 64 KiB at a cold offset."""
    target.assign()
    read(target, video, 0, want=1, what="first byte before the quiet period")
    if target.magnet:
        time.sleep(quiet)
    # in the middle half, away from the head, the tail and their readahead, and in a piece the
    # share does not have yet if there is one (with a fast seeder the whole file may be here)
    rng = random.Random(seed)
    offset = rng.randrange(video.size // 4, video.size * 3 // 4)
    if target.magnet:
        pieces = target.torrent_json().get("pieces") or ""
        middle = range(video.size // 4 // PIECE, video.size * 3 // 4 // PIECE)
        missing = [i for i in middle if i < len(pieces) and pieces[i] == "0"]
        if missing:
            offset = rng.choice(missing) * PIECE + rng.randrange(PIECE - QUIET_READ)
        notes.append(
            f"{target.name}: after {quiet:g} s quiet: {pieces.count('1')}/{len(pieces)} pieces "
            f"here, {len(missing)} missing in the middle half"
        )
    done = read(target, video, offset, want=QUIET_READ, what=f"read after {quiet:g} s quiet")
    if target.magnet:
        notes.append(
            f"{target.name}: after {quiet:g} s quiet, 64 KiB at {offset}: first byte in "
            f"{done.ttfb:.3f} s, all in {done.total:.3f} s; then {target.torrent()}"
        )
    return {f"quiet.{quiet:g}": done.ttfb}


def fig_play(target: Target, video: Video, notes: list[str]) -> dict[str, float]:
    """9. Seeks while playing: a player plays from the start for PLAY_WARMUP s, then seeks
    PLAY_SEEKS times, playing PLAY_SECONDS s after each: TTFB of each seek."""
    target.assign()
    play(target, video, 0, PLAY_WARMUP, "playback from the start")
    ttfbs = []
    for offset in spread_offsets(video.size, PLAY_SEEKS, seed=30, length=PIECE):
        ttfb = play(target, video, offset, PLAY_SECONDS, f"playback from {offset}")
        ttfbs.append(ttfb)
        if target.magnet and ttfb > 0.3:
            notes.append(
                f"{target.name}: seek while playing to {offset} ({offset / video.size:.0%}) "
                f"waited {ttfb:.2f} s for its first byte"
            )
    return percentiles("play.ttfb", ttfbs)


def play(target: Target, video: Video, start: int, seconds: float, what: str) -> float:
    """GET bytes=start- and read it as a player that keeps PLAY_SPEED times ahead of the video's
    bitrate, for `seconds`, then drop the connection; the TTFB."""
    rate = PLAY_SPEED * video.size / video.seconds
    got = 0
    played = 0.0
    with target.client() as client:
        started = time.perf_counter()
        header = f"bytes={start}-"
        with client.stream("GET", target.url, headers={"Range": header}) as reply:
            check_partial(reply, start, header, what)
            ttfb = 0.0
            for chunk in reply.iter_raw():  # as it arrives, for the first byte
                if not ttfb:
                    ttfb = time.perf_counter() - started
                video.check(start + got, chunk, what)
                got += len(chunk)
                played = time.perf_counter() - started - ttfb
                if played >= seconds or start + got >= video.size:
                    break
                ahead = got / rate - played  # how far the reads are ahead of the pace
                if ahead > 0:
                    time.sleep(ahead)
    if not got or (played < seconds and start + got < video.size):
        raise BenchError(f"{what}: the body ended after {got} bytes")
    return ttfb


def percentiles(name: str, values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {
        f"{name}.p50": statistics.median(ordered),
        f"{name}.p90": p90,
        f"{name}.max": ordered[-1],
    }


# ---- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    root: Path
    rounds: list[dict[str, dict[str, float]]] = field(default_factory=list)  # per round
    notes: list[str] = field(default_factory=list)
    sessions: int = 0
    last_session: float = float("-inf")  # monotonic time the last share or peerflix ended
    video: Video = field(init=False)
    seeder: ThirdPartySeeder = field(init=False)
    static: Server = field(init=False)

    def go(self, path: Path, seconds: float) -> None:
        """Tracker, seeder and static server for the whole run, then the rounds; all of them
        are stopped on the way out, whatever happens."""
        size = path.stat().st_size
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
            Tracker(self.root) as tracker,
        ):
            self.video = Video(path, size, data, seconds)
            self.seeder = SEEDERS[self.args.seeder](
                self.root / "seeder", {NAME: size}, piece_length=PIECE,
                upload_kib=round(self.args.cap * 1024), tracker=tracker, existing={NAME: path},
            )  # fmt: skip
            self.seeder.start_timeout = 300
            started = time.perf_counter()
            with self.seeder:
                print(
                    f"{self.args.seeder} seeding on {self.seeder.endpoint} after "
                    f"{time.perf_counter() - started:.1f} s (hashing included)",
                    flush=True,
                )
                self.static = Server(
                    "static", self.root / "static.log", ["--serve-file", str(path)]
                )
                try:
                    for number in range(1, self.args.rounds + 1):
                        self.round(number)
                finally:
                    self.static.stop()

    @property
    def magnet(self) -> str:
        return self.seeder.magnet_with_peer if self.args.hint else self.seeder.magnet

    @contextmanager
    def share(self, label: str) -> Iterator[Target]:
        self.restart_transmission()
        self.settle()
        root = self.root / f"share{self.sessions}-{label}"
        root.mkdir()
        argv = ["--serve-root", str(root)]
        if self.args.idle_timeout:
            argv += ["--idle-timeout", str(self.args.idle_timeout)]
        if self.args.idle_pause_timeout:
            argv += ["--idle-pause-timeout", str(self.args.idle_pause_timeout)]
        if self.args.budget:
            argv += ["--budget", str(self.args.budget)]
        server = Server("share", root / "share.log", argv)
        try:
            yield Target(f"share {label}", server, auth=(USER, PASSWORD), magnet=self.magnet)
        except BaseException:
            server.dump_stacks()
            print(
                f"\n---- log of the share ({server.log}) ----\n{server.log_tail()}\n----",
                file=sys.stderr,
            )
            raise
        finally:
            server.stop()
            self.last_session = time.monotonic()
        text = server.log_tail(60)
        if text.strip() and text != "(empty log)":
            # the share logs at WARNING and above only: anything here is worth a look
            self.notes.append(f"share {label} logged warnings or errors (printed above)")
            print(f"\n---- the share's log ({server.log}) ----\n{text}\n----", flush=True)

    def static_target(self) -> Target:
        return Target("static", self.static)

    def measure(
        self,
        out: dict[str, dict[str, float]],
        label: str,
        body: Callable[[Target], dict],
        *,
        peerflix: bool = True,
    ) -> None:
        """Run a scenario on the static server, then on a fresh share (and a fresh peerflix
        when asked for and `peerflix`)."""
        out["static"].update(body(self.static_target()))
        with self.share(label) as target:
            out["reelbox"].update(body(target))
        if self.args.peerflix and peerflix:
            with self.peerflix(label) as target:
                out["peerflix"].update(body(target))

    def settle(self) -> None:
        """Let a capped seeder rest --settle seconds since the last session ended.

        aria2 limits its upload by its average over the last 10 s of its own traffic: a
        session that starts sooner after the last one first gets a burst over the cap (the
        pause lowered the average) and then a hold as long as the pause, once the last
        session's bytes leave that window. Measured without it: a sequential read's longest
        stall was 3.3 s in every round, as long as the pause between two sessions: that hold
        measures the session before, not this one."""
        wait = self.args.settle - (time.monotonic() - self.last_session)
        if wait > 0:
            time.sleep(wait)

    def restart_transmission(self) -> None:
        """Transmission 3.00 keeps one record per peer IP address and marks an address that
        once had every piece as a seed until it restarts: the next fresh session from
        127.0.0.1 was refused as seed-to-seed ("no peer sent the metadata"). A restart gives
        every session the seeder a new peer on another address would meet."""
        self.sessions += 1
        if self.sessions > 1 and self.args.seeder == "transmission":
            self.seeder.stop()
            self.seeder.start()

    @contextmanager
    def peerflix(self, label: str) -> Iterator[Target]:
        """A fresh peerflix (its own folder and torrent cache) given the same magnet; the
        reference streamer of the issue. It serves the file at /0 once it has the metadata."""
        self.restart_transmission()
        self.settle()
        root = self.root / f"peerflix{self.sessions}-{label}"
        root.mkdir()
        argv = [self.args.peerflix, self.seeder.magnet, "--port", str(free_port()), "--path",
                str(root / "data"), "--hostname", LOOPBACK, "--quiet", "--no-dht",
                "--peer", self.seeder.endpoint]  # fmt: skip
        log = root / "peerflix.log"
        launched = time.perf_counter()
        with open(log, "wb") as sink:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                env={**os.environ, "TMPDIR": str(root)},  # its torrent cache: fresh each time
            )  # fmt: skip
        _CHILDREN.add(process)

        def listening() -> int | None:
            # it listens once it has the metadata, on a free port if ours was taken meanwhile
            found = re.search(rb"listening on http://[^:]+:(\d+)", log.read_bytes())
            return int(found.group(1)) if found else None

        try:
            if not wait_until(lambda: listening() or process.poll() is not None, 120):
                raise BenchError(f"peerflix did not start in 120 s; see {log}")
            port = listening()
            if port is None:
                raise BenchError(f"peerflix exited ({process.poll()}); see {log}")
            yield Target(f"peerflix {label}", Listening(port), path="/0", launched=launched)
        finally:
            process.terminate()  # it has no stdin to close: _stop_child waits, then kills
            _stop_child(process, grace=5)
            self.last_session = time.monotonic()

    def round(self, number: int) -> None:
        only = set(self.args.only)
        out: dict[str, dict[str, float]] = {"static": {}, "reelbox": {}, "peerflix": {}}
        self.rounds.append(out)
        video, notes = self.video, self.notes
        say = lambda what: print(f"round {number}: {what} ...", flush=True)  # noqa: E731
        if only & set(SCENARIOS["a"]):

            def cold(target: Target) -> dict[str, float]:
                res = fig_first(target, video)
                figures = {k: v for k, v in res.items() if "first" in only or k != "first"}
                if "open" in only:
                    figures.update(fig_open(target, video))
                if target.magnet:
                    notes.append(f"share a{number}, before the seeks: {target.torrent()}")
                if "seeks" in only:
                    figures.update(fig_seeks(target, video, notes))
                if "ranges" in only:
                    figures.update(fig_ranges(target, video, notes))
                if target.magnet:
                    notes.append(f"share a{number}, at the end: {target.torrent()}")
                return figures

            say("(a) " + ", ".join(n for n in SCENARIOS["a"] if n in only))
            self.measure(out, "a", cold)
        if "seq" in only:
            say("(b) sequential")
            self.measure(out, "b", lambda t: fig_seq(t, video, notes))
        if "parallel" in only:
            say("(c) parallel readers")
            self.measure(out, "c", lambda t: fig_parallel(t, video, notes))
        if "ffmpeg" in only:
            say("(d) ffmpeg")
            self.measure(out, "d", lambda t: fig_ffmpeg(t, video, notes))
        if "play" in only:
            say("(f) seeks while playing")
            self.measure(out, "f", lambda t: fig_play(t, video, notes))
        if "quiet" in only:
            for quiet in self.args.quiet:
                say(f"(e) {quiet:g} s quiet")
                self.measure(
                    out,
                    f"e{quiet:g}",
                    lambda t, q=quiet: fig_quiet(t, video, q, seed=number, notes=notes),
                    peerflix=False,  # it has no idle stages to measure
                )


# ---- the report -----------------------------------------------------------------------------


def rows(args: argparse.Namespace) -> list[tuple[str, str, str, float | None, str]]:
    """(key, label, unit, target, direction) for each line of the table."""
    capped = args.cap > 0
    seek_p90 = 0.3 if capped else 0.15
    table = [
        ("first", "1 assign -> first byte", "s", None, "<"),
        ("assign", "  of which the assign POST", "s", None, "<"),
        ("open.head", "2 head probe (64 KiB)", "s", None, "<"),
        ("open.tail", "2 tail probe (last 1 MiB)", "s", None, "<"),
        ("open.jump", "2 jump to 40 % (1 MiB)", "s", None, "<"),
        ("seek.ttfb.p50", "3 seek TTFB p50", "s", None, "<"),
        ("seek.ttfb.p90", "3 seek TTFB p90", "s", seek_p90, "<"),
        ("seek.ttfb.max", "3 seek TTFB max", "s", None if capped else 0.5, "<"),
        ("seek.256k.p50", "3 seek to 256 KiB p50", "s", None, "<"),
        ("seek.256k.p90", "3 seek to 256 KiB p90", "s", None, "<"),
        ("seek.256k.max", "3 seek to 256 KiB max", "s", None, "<"),
        ("range.p50", "4 closed 256 KiB range p50", "s", None, "<"),
        ("range.p90", "4 closed 256 KiB range p90", "s", None, "<"),
        ("range.max", "4 closed 256 KiB range max", "s", None, "<"),
        ("seq.mbs", "5 sequential read", "MB/s", None if capped else 150, ">"),
        ("seq.stall", "5 longest stall", "s", 1.0 if capped else 0.5, "<"),
        ("seq.first", "  its first byte", "s", None, "<"),
        ("parallel.mbs", "6 4 parallel readers", "MB/s", None if capped else 100, ">"),
        ("ffmpeg", "7 ffmpeg -ss 120 -t 2", "s", 1.2 if capped else None, "<"),
        ("play.ttfb.p50", "9 seek while playing TTFB p50", "s", None, "<"),
        ("play.ttfb.p90", "9 seek while playing TTFB p90", "s", None, "<"),
        ("play.ttfb.max", "9 seek while playing TTFB max", "s", None, "<"),
    ]
    for quiet in args.quiet:
        table.append((f"quiet.{quiet:g}", f"8 first byte after {quiet:g} s quiet", "s", 2.0, "<"))
    return table


def median_of(rounds: list[dict[str, dict[str, float]]], side: str, key: str) -> float | None:
    values = [r[side][key] for r in rounds if key in r[side]]
    return statistics.median(values) if values else None


def report(run: Run) -> None:
    args = run.args
    cap = f"upload capped at {args.cap:g} MiB/s" if args.cap else "no upload cap"
    if args.settle:
        cap += f" (resting {args.settle:g} s between sessions)"
    found = "tracker + x.pe hint" if args.hint else "tracker only (no x.pe)"
    idle = ""
    if args.idle_timeout or args.idle_pause_timeout:
        idle = (
            f", idle_timeout {args.idle_timeout or 'default'}"
            f" / idle_pause_timeout {args.idle_pause_timeout or 'default'}"
        )
    if args.budget:
        idle += f", disk budget {args.budget} MiB"
    print(
        f"\nStreaming from a real swarm: {args.seeder} seeder, {cap}, peer found via {found}; "
        f"{run.video.size / 1e6:.0f} MB MKV, {PIECE // MiB} MiB pieces; "
        f"median of {len(run.rounds)} round(s){idle}\n"
    )
    width = 34
    extra = f" {'peerflix':>9}" if args.peerflix else ""
    print(
        f"{'figure':{width}} {'static':>9} {'Reelbox':>9}{extra} {'ratio':>7}  {'target':>11}  "
        "verdict"
    )
    print("-" * (width + 50 + len(extra)))
    for key, label, unit, target, direction in rows(args):
        static = median_of(run.rounds, "static", key)
        reelbox = median_of(run.rounds, "reelbox", key)
        if static is None and reelbox is None:
            continue
        fmt = "{:9.1f}" if unit == "MB/s" else "{:9.3f}"
        cell = lambda v, f=fmt: "-".rjust(9) if v is None else f.format(v)  # noqa: E731
        reference = median_of(run.rounds, "peerflix", key)
        columns = f"{cell(static)} {cell(reelbox)}" + (f" {cell(reference)}" if extra else "")
        ratio = f"{reelbox / static:7.1f}" if reelbox and static else "-".rjust(7)
        goal, verdict = "-".rjust(11), ""
        if target is not None:
            goal = f"{direction}= {target:g} {unit}".rjust(11)
            if reelbox is not None:
                good = reelbox <= target if direction == "<" else reelbox >= target
                verdict = "ok" if good else "MISS"
        unit_label = f"{label} ({unit})"
        print(f"{unit_label:{width}} {columns} {ratio}  {goal}  {verdict}")
    if len(run.rounds) > 1:
        print("\nReelbox per round:")
        for key, label, unit, _, _ in rows(args):
            values = [r["reelbox"].get(key) for r in run.rounds]
            if any(v is not None for v in values):
                shown = ", ".join("-" if v is None else f"{v:.3f}" for v in values)
                print(f"  {label} ({unit}): {shown}")
    if run.notes:
        print("\nnotes:")
        for note in run.notes:
            print(f"  {note}")


# ---- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeder", choices=sorted(SEEDERS), default="aria2")
    parser.add_argument("--cap", type=float, default=0, help="seeder upload cap, MiB/s (0: none)")
    parser.add_argument("--hint", action="store_true", help="magnet with x.pe=seeder")
    parser.add_argument(
        "--settle",
        type=float,
        help="seconds a capped seeder rests between sessions (default: 11 with --cap, else 0); "
        "aria2's rate window is 10 s",
    )
    parser.add_argument(
        "--only",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=list(DEFAULT_FIGURES),
        help=f"figures to measure, comma-separated: {','.join(FIGURES)}",
    )
    parser.add_argument("--rounds", type=int, default=1, help="fresh rounds; medians reported")
    parser.add_argument(
        "--quiet",
        type=lambda s: [float(x) for x in s.split(",") if x.strip()],
        default=[],
        help="quiet periods in seconds, comma-separated (figure 8; none by default)",
    )
    parser.add_argument("--idle-timeout", type=int, default=0, help="TorrentSettings, >= 5")
    parser.add_argument("--idle-pause-timeout", type=int, default=0, help="TorrentSettings, >= 5")
    parser.add_argument(
        "--budget",
        type=int,
        default=0,
        help="disk budget in MiB (TorrentSettings.cache_budget_mib): the background fetch then "
        "stays within half of it, so a quiet torrent still has pieces to fetch",
    )
    parser.add_argument(
        "--peerflix",
        metavar="PATH",
        help="also measure peerflix (npm install peerflix@0.39.0; the issue's reference "
        "streamer), a fresh one per scenario, as a third column",
    )
    parser.add_argument("--video", type=Path, help="an MKV to use instead of the generated one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    # internal: the child processes that run the servers
    parser.add_argument("--serve", choices=("share", "static"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-root", help=argparse.SUPPRESS)
    parser.add_argument("--serve-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; pick from {FIGURES}")
    if "quiet" in args.only and not args.quiet and "--only" in (argv or sys.argv):
        parser.error("--only quiet needs --quiet SECONDS[,SECONDS...]")
    for name in ("idle_timeout", "idle_pause_timeout"):
        if getattr(args, name) and getattr(args, name) < 5:
            parser.error(f"--{name.replace('_', '-')} must be at least 5")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.settle is None:
        args.settle = SETTLE if args.cap else 0.0
    elif args.settle < 0:
        parser.error("--settle must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args)

    def terminate(signum, frame):  # SIGTERM/SIGHUP: unwind so every finally block runs
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    for program in ("ffmpeg", "ffprobe", "opentracker", SEEDERS[args.seeder].program):
        if program and shutil.which(program) is None:
            print(f"{program} is not installed", file=sys.stderr)
            return 2
    path, seconds = ensure_video(args.video)
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-real-swarm-"))
    run: Run | None = None
    failed = False
    try:
        run = Run(args, tmp)
        run.go(path, seconds)
    except BenchError as exc:
        failed = True
        if run is not None and run.rounds:
            print("\n(partial results: the run failed)")
            report(run)
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    except BaseException:
        failed = True
        raise
    finally:
        _stop_all_children()
        if args.keep or failed:
            print(f"logs and data kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
