"""Benchmark: what the WebDAV share costs on top of the torrent reader, in one run.

    .venv/bin/python bench/share.py [--size 64] [--piece 1024] [--cap 0] [--folder 10000]

A loopback seeder serves one generated file. Three readers get the same figures, each from a
fresh torrent session so every read starts cold:
  reader  TorrentFileReader directly (the floor the share builds on)
  share   the full share over HTTP: POST assign, then GET with Range through WebDAV
  static  a plain cheroot static-file server over the seeder's copy on disk (HTTP's own cost)
Figures: time to first byte after add/assign, cold seeks (10 random offsets nobody fetched
yet, 64 KiB each: median and worst), sequential throughput cold (from the swarm) and warm
(pieces already here), the same seeks warm (what the share itself adds to a request). Then a
Depth-1 PROPFIND of a folder of --folder movies. HTTP figures come from curl when installed.
The share's first byte follows the assign call (~0.1 s after the metadata, time in which
libtorrent may already fetch the head), the reader's follows add() at once: the steady
figure for what the share adds to a request is the warm seek difference.
Targets: the share adds under 10 % to time to first byte, keeps at least 90 % of the reader's
throughput, and lists 10,000 movies in under 0.5 s. On a small machine warm throughput is
bound by CPU, where HTTP costs about as much per byte as the reader; the last ratio compares
the share with the two costs added.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.library.db import close_database, open_database  # noqa: E402
from app.library.repository import Library  # noqa: E402
from app.paths import Paths  # noqa: E402
from app.settings import ShareSettings, TorrentSettings  # noqa: E402
from app.share.auth import Credentials  # noqa: E402
from app.share.server import HttpServer, ShareServer, share_app  # noqa: E402
from app.share.tree import FileSpec, ShareTree  # noqa: E402
from app.torrents.service import TorrentService  # noqa: E402
from tests.support.swarm import KiB, MiB, Seeder  # noqa: E402

logger = logging.getLogger(__name__)

NAME = "Bench.Movie.2024.1080p.WEB-DL/Bench.Movie.2024.1080p.WEB-DL.mkv"
SEEK = 64 * KiB
CHUNK = 1 * MiB
USER, PASSWORD = "bench", "bench-password"
CURL = shutil.which("curl")


def torrent_settings() -> TorrentSettings:
    return TorrentSettings(
        listen_port=0,
        dht=False,
        lsd=False,
        upnp=False,
        natpmp=False,
        add_timeout=60,
        read_timeout=60,
    )


def session(root: Path) -> tuple[Paths, TorrentService]:
    paths = Paths.under(root)
    paths.ensure()
    service = TorrentService(torrent_settings(), paths, listen_interface="127.0.0.1")
    service.start()
    return paths, service


def offsets(size: int, count: int = 10) -> list[int]:
    rng = random.Random(7)
    # away from the pinned head and tail, so each one really is cold
    return [rng.randrange(12 * MiB, size - 8 * MiB) for _ in range(count)]


# ---- the three readers ----------------------------------------------------------------------


def bench_reader(seeder: Seeder, root: Path, size: int, *, full: bool = True) -> dict:
    _, service = session(root)
    try:
        started = time.perf_counter()
        info = service.add(seeder.magnet)
        added = time.perf_counter() - started
        index = seeder.file_index(NAME)
        started = time.perf_counter()
        with service.open_file(info.info_hash, index) as reader:
            reader.read(1)
            ttfb = time.perf_counter() - started
        if not full:
            return dict(setup=added, ttfb=ttfb)
        seeks = []
        for offset in offsets(size):
            started = time.perf_counter()
            with service.open_file(info.info_hash, index) as reader:
                reader.seek(offset)
                _read_exactly(reader, SEEK)
            seeks.append(time.perf_counter() - started)
        cold = _reader_throughput(service, info.info_hash, index, size)
        warm = _reader_throughput(service, info.info_hash, index, size)
        warm_seeks = []
        for offset in offsets(size):
            started = time.perf_counter()
            with service.open_file(info.info_hash, index) as reader:
                reader.seek(offset)
                _read_exactly(reader, SEEK)
            warm_seeks.append(time.perf_counter() - started)
        return dict(
            setup=added, ttfb=ttfb, seeks=seeks, cold=cold, warm=warm, warm_seeks=warm_seeks
        )
    finally:
        service.stop()


def _read_exactly(reader, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = reader.read(count - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _reader_throughput(service, info_hash: str, index: int, size: int) -> float:
    started = time.perf_counter()
    done = 0
    with service.open_file(info_hash, index) as reader:
        while chunk := reader.read(CHUNK):
            done += len(chunk)
    assert done == size, (done, size)
    return size / (time.perf_counter() - started)


def bench_share(seeder: Seeder, root: Path, size: int, *, full: bool = True) -> dict:
    paths, service = session(root)
    library = Library(open_database(paths.database_file))
    settings = ShareSettings(bind_address="127.0.0.1", port=0, username=USER)
    share = ShareServer(settings, library, service, password=PASSWORD)
    share.start()
    base = f"http://127.0.0.1:{share.port}"
    try:
        with httpx.Client(base_url=base, auth=(USER, PASSWORD), timeout=120) as client:
            movie = client.post("/api/movies", json={"title": "Bench Movie", "year": 2024}).json()
            started = time.perf_counter()
            reply = client.post(
                f"/api/movies/{movie['id']}/assign", json={"magnet_uri": seeder.magnet}
            )
            assigned = time.perf_counter() - started
            assert reply.status_code == 201, reply.text
            url = quote(reply.json()["share_path"])
            if not full:
                return dict(setup=assigned, ttfb=_fetch(client, url, "0-0")[0])
            return _http_figures(client, url, size, setup=assigned)
    finally:
        share.stop()
        service.stop()
        close_database(library.db)


def bench_static(path: Path, size: int) -> dict:
    server = HttpServer(_static_app(path), "127.0.0.1", 0, threads=8)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=120) as client:
            return _http_figures(client, "/file", size, setup=0.0)
    finally:
        server.stop()


def _http_figures(client: httpx.Client, url: str, size: int, *, setup: float) -> dict:
    ttfb, _, _ = _fetch(client, url, "0-0")
    seeks = []
    for offset in offsets(size):
        _, total, count = _fetch(client, url, f"{offset}-{offset + SEEK - 1}")
        assert count == SEEK, count
        seeks.append(total)
    cold = _fetch(client, url)
    warm = _fetch(client, url)
    assert cold[2] == warm[2] == size, (cold, warm)
    warm_seeks = [_fetch(client, url, f"{o}-{o + SEEK - 1}")[1] for o in offsets(size)]
    return dict(
        setup=setup,
        ttfb=ttfb,
        seeks=seeks,
        cold=size / cold[1],
        warm=size / warm[1],
        warm_seeks=warm_seeks,
    )


def _fetch(client: httpx.Client, url: str, span: str | None = None) -> tuple[float, float, int]:
    """(time to first byte, total time, bytes) of one GET.

    curl does the fetching when it is installed: a client in another process measures the
    server alone, not the GIL it would share with an in-process client.
    """
    full = str(client.base_url).rstrip("/") + url
    if CURL:
        args = [
            CURL,
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{time_starttransfer} %{time_total} %{size_download}",
            "-u",
            f"{USER}:{PASSWORD}",
            full,
        ]
        if span:
            args[1:1] = ["-r", span]
        out = subprocess.run(args, capture_output=True, check=True, text=True).stdout.split()
        return float(out[0]), float(out[1]), int(out[2])
    headers = {"Range": f"bytes={span}"} if span else {}
    started = time.perf_counter()
    count = 0
    first = None
    with client.stream("GET", url, headers=headers) as reply:
        for chunk in reply.iter_raw(CHUNK):
            first = first or time.perf_counter() - started
            count += len(chunk)
    return first or 0.0, time.perf_counter() - started, count


def _static_app(path: Path):
    """The plainest ranged file server: what HTTP over cheroot costs with no WebDAV."""
    size = path.stat().st_size

    def app(environ, start_response):
        start, end, status = 0, size - 1, "200 OK"
        header = environ.get("HTTP_RANGE", "")
        if header.startswith("bytes="):
            first, _, last = header[6:].partition("-")
            start, end, status = int(first), min(int(last or size - 1), size - 1), "206 Partial"
        headers = [("Content-Length", str(end - start + 1)), ("Content-Type", "video/x-matroska")]
        if status.startswith("206"):
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        start_response(status, headers)
        return _chunks(path, start, end - start + 1)

    return app


def _chunks(path: Path, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


# ---- PROPFIND of a big folder -----------------------------------------------------------------


def bench_propfind(count: int) -> tuple[float, float]:
    specs = [
        FileSpec(
            f"Movies/Movie {i} ({1950 + i % 70})/Movie {i} ({1950 + i % 70}).mkv",
            2 * 10**9 + i,
            1.7e9 + i,
            f"{i:040x}",
            0,
            i,
        )
        for i in range(count)
    ]
    started = time.perf_counter()
    tree = ShareTree.from_files(specs)
    built = time.perf_counter() - started
    app = share_app(lambda: tree, None, Credentials(USER, PASSWORD), block_size=CHUNK)
    server = HttpServer(app, "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(auth=(USER, PASSWORD), timeout=60) as client:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                reply = client.request(
                    "PROPFIND", f"http://127.0.0.1:{server.port}/Movies/", headers={"Depth": "1"}
                )
                times.append(time.perf_counter() - started)
                assert reply.status_code == 207
    finally:
        server.stop()
    return built, statistics.median(times)


# ---- report ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64, help="file size in MiB")
    parser.add_argument("--piece", type=int, default=1024, help="piece length in KiB")
    parser.add_argument("--cap", type=float, default=0, help="seeder upload cap in MB/s (0: none)")
    parser.add_argument("--rounds", type=int, default=5, help="fresh sessions for first byte")
    parser.add_argument("--folder", type=int, default=10_000, help="movies in the PROPFIND folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    size = args.size * MiB
    with tempfile.TemporaryDirectory(prefix="reelbox-bench-") as tmp:
        root = Path(tmp)
        upload_kib = int(args.cap * 1_000_000 / KiB)
        with Seeder(
            root / "seeder", {NAME: size}, piece_length=args.piece * KiB, upload_kib=upload_kib
        ) as seeder:
            figures = {
                "reader": bench_reader(seeder, root / "reader", size),
                "share": bench_share(seeder, root / "share", size),
                "static": bench_static(seeder.paths[NAME], size),
            }
            # first bytes are cold fetches from the swarm and vary a lot: take the median of
            # several fresh sessions, alternating reader and share
            for name in ("reader", "share"):
                figures[name]["ttfbs"] = [figures[name]["ttfb"]]
            for n in range(args.rounds - 1):
                for name, bench in (("reader", bench_reader), ("share", bench_share)):
                    again = bench(seeder, root / f"{name}{n}", size, full=False)
                    figures[name]["ttfbs"].append(again["ttfb"])
            for name in ("reader", "share"):
                figures[name]["ttfb"] = statistics.median(figures[name]["ttfbs"])
    cap = f"{args.cap:g} MB/s" if args.cap else "unlimited"
    client = "curl" if CURL else "httpx (in-process)"
    print(
        f"\nShare benchmark: {args.size} MiB file, {args.piece} KiB pieces, seeder {cap}, "
        f"HTTP client {client}, first byte median of {args.rounds}\n"
    )
    print(
        f"{'':8} {'add/assign':>11} {'first byte':>11} {'seek med':>9} {'seek max':>9} "
        f"{'warm seek':>10} {'cold MB/s':>10} {'warm MB/s':>10}"
    )
    for name, f in figures.items():
        print(
            f"{name:8} {f['setup'] * 1000:9.0f}ms {f['ttfb'] * 1000:9.1f}ms "
            f"{statistics.median(f['seeks']) * 1000:7.1f}ms {max(f['seeks']) * 1000:7.1f}ms "
            f"{statistics.median(f['warm_seeks']) * 1000:8.2f}ms "
            f"{f['cold'] / 1e6:10.1f} {f['warm'] / 1e6:10.1f}"
        )
    for name in ("reader", "share"):
        each = ", ".join(f"{t * 1000:.0f}" for t in figures[name]["ttfbs"])
        print(f"{name} first bytes (ms): {each}")
    reader, share = figures["reader"], figures["share"]
    print("\nshare / reader:")
    _ratio("first byte (lower is better, target < 1.10)", share["ttfb"], reader["ttfb"])
    _ratio(
        "median cold seek", statistics.median(share["seeks"]), statistics.median(reader["seeks"])
    )
    added = statistics.median(share["warm_seeks"]) - statistics.median(reader["warm_seeks"])
    print(f"  {'added to a 64 KiB read of local data (ms)':48} {added * 1000:6.2f}")
    _ratio("cold throughput (target >= 0.90)", share["cold"], reader["cold"])
    _ratio("warm throughput (target >= 0.90)", share["warm"], reader["warm"])
    print("share / static file server:")
    _ratio("warm throughput", share["warm"], figures["static"]["warm"])
    # With local data the work is CPU: the reader's copies plus HTTP's. If the two simply add
    # up, the share does nothing beyond them.
    both = 1 / (1 / reader["warm"] + 1 / figures["static"]["warm"])
    _ratio("warm throughput / (reader + static costs added)", share["warm"], both)
    built, listed = bench_propfind(args.folder)
    verdict = "ok" if listed < 0.5 else "SLOW"
    print(
        f"\nPROPFIND Depth 1 of {args.folder} movies: {listed * 1000:.0f} ms median "
        f"(target < 500 ms: {verdict}); tree built in {built * 1000:.0f} ms"
    )
    return 0


def _ratio(label: str, value: float, base: float) -> None:
    print(f"  {label:48} {value / base:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
