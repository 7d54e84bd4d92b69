"""Streaming benchmark: a loopback seeder, a TorrentService, and figures through the reader.

    .venv/bin/python bench/stream.py                 # unlimited seeder
    .venv/bin/python bench/stream.py --cap 10        # seeder uploads at most 10 MB/s
    .venv/bin/python bench/stream.py --tcp-only      # seeder refuses uTP (like aria2)

Measures the time from add(magnet) to the first byte, the median and worst time to first byte
of reads at random offsets nobody fetched yet (each through a new reader, as players do), the
sequential throughput of one reader, and a plain read of the same file from disk, with ratios.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.paths import Paths  # noqa: E402
from app.settings import TorrentSettings  # noqa: E402
from app.torrents.service import TorrentService  # noqa: E402
from tests.support.swarm import KiB, MiB, Seeder  # noqa: E402

logger = logging.getLogger(__name__)
MB = 1_000_000
PROBE = 64 * KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=0, help="seeder upload cap, MB/s (0: none)")
    parser.add_argument("--tcp-only", action="store_true", help="seeder refuses uTP")
    parser.add_argument("--size-mib", type=int, default=256, help="file size")
    parser.add_argument("--piece-kib", type=int, default=1024, help="piece size")
    parser.add_argument("--seq-mib", type=int, default=64, help="bytes read sequentially")
    parser.add_argument("--seeks", type=int, default=10, help="random cold reads")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="reelbox-bench-") as tmp:
        run(Path(tmp), args)


def run(tmp: Path, args) -> None:
    size, piece = args.size_mib * MiB, args.piece_kib * KiB
    upload_kib = int(args.cap * MB / KiB)
    print(
        f"file {args.size_mib} MiB, pieces {args.piece_kib} KiB, seeder cap "
        f"{f'{args.cap:g} MB/s' if args.cap else 'none'}, {'TCP only' if args.tcp_only else 'TCP+uTP'}"
    )
    seeder = Seeder(
        tmp / "seed",
        {"Movie/movie.mkv": size},
        piece_length=piece,
        upload_kib=upload_kib,
        tcp_only=args.tcp_only,
        seed=args.seed,
    ).start()
    paths = Paths.under(tmp / "home")
    paths.ensure()
    settings = TorrentSettings(
        listen_port=0, dht=False, lsd=False, upnp=False, natpmp=False, read_timeout=60
    )
    service = TorrentService(settings, paths, listen_interface="127.0.0.1")
    service.start()
    data = seeder.paths["Movie/movie.mkv"]
    try:
        started = time.monotonic()
        info = service.add(seeder.magnet)
        metadata = time.monotonic() - started
        reader = service.open_file(info.info_hash, 0)
        first = reader.read(PROBE)
        first_byte = time.monotonic() - started
        check(first, data, 0)
        reader.seek(size - PROBE)  # players read the index at the end next
        check(reader.read(PROBE), data, size - PROBE)
        reader.close()

        seek_times = cold_seeks(service, info, data, size, piece, args)
        # playback proper starts once the head and tail pins are in, as after a player's probe
        pins_started = time.monotonic()
        wait_for_pins(service, info, size, piece)
        pins_wait = time.monotonic() - pins_started
        seq_start = 16 * MiB
        seq_rate = sequential(service, info, data, seq_start, args.seq_mib * MiB)
        disk_rate = plain_read(data, seq_start, args.seq_mib * MiB)
    finally:
        service.stop()
        seeder.stop()

    print(f"metadata after            {metadata * 1000:8.0f} ms")
    print(f"first byte after add      {first_byte * 1000:8.0f} ms   (target < 1000 ms unlimited)")
    budget = 0.3 + (piece / (args.cap * MB) if args.cap else 0)
    seek_times = seek_times or [float("nan")]
    print(
        f"cold seek median          {statistics.median(seek_times) * 1000:8.0f} ms   "
        f"(target < {budget * 1000:.0f} ms)"
    )
    print(
        f"cold seek worst           {max(seek_times) * 1000:8.0f} ms   "
        f"(all: {' '.join(f'{t * 1000:.0f}' for t in seek_times)})"
    )
    print(f"pins done after seeks     {pins_wait * 1000:8.0f} ms")
    print(f"sequential through reader {seq_rate / MB:8.1f} MB/s")
    if args.cap:
        print(
            f"seeder cap                {args.cap:8.1f} MB/s   ratio {seq_rate / (args.cap * MB):.2f}"
            " (target >= 0.90)"
        )
    print(
        f"plain read from disk      {disk_rate / MB:8.1f} MB/s   ratio {seq_rate / disk_rate:.3f}"
    )


def cold_seeks(service, info, data, size, piece, args) -> list[float]:
    rng = random.Random(args.seed)
    low, high = (16 + args.seq_mib + 32) * MiB, size - 8 * MiB
    if high - low < args.seeks * 40 * MiB:
        low = 16 * MiB + args.seq_mib * MiB  # small file: accept closer offsets
    times = []
    for _ in range(args.seeks):
        for _attempt in range(100):
            offset = rng.randrange(low, high - PROBE)
            pieces = service.status(info.info_hash).pieces
            if pieces[offset // piece] == 0 and pieces[(offset + PROBE - 1) // piece] == 0:
                break
        with service.open_file(info.info_hash, 0) as reader:
            reader.seek(offset)
            started = time.monotonic()
            got = reader.read(PROBE)
            times.append(time.monotonic() - started)
        check(got, data, offset)
    return times


def wait_for_pins(service, info, size, piece) -> None:
    from app.torrents.reader import HEAD_PIN, TAIL_PIN
    from app.torrents.status import PIECE_HAVE

    pinned = [*range(0, HEAD_PIN // piece), *range((size - TAIL_PIN) // piece, size // piece)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        have = service.status(info.info_hash).pieces
        if all(have[p] == PIECE_HAVE for p in pinned):
            return
        time.sleep(0.02)
    raise SystemExit("the head and tail pins did not complete in 120 s")


def sequential(service, info, data, start, length) -> float:
    with service.open_file(info.info_hash, 0) as reader:
        reader.seek(start)
        started = time.monotonic()
        done = 0
        with open(data, "rb") as source:
            source.seek(start)
            while done < length:
                chunk = reader.read(MiB)
                if chunk != source.read(len(chunk)):
                    raise SystemExit(f"data differs near offset {start + done}")
                done += len(chunk)
        return done / (time.monotonic() - started)


def plain_read(path: Path, start: int, length: int) -> float:
    with open(path, "rb") as handle:
        handle.seek(start)
        started = time.monotonic()
        done = 0
        while done < length:
            done += len(handle.read(MiB))
        return done / (time.monotonic() - started)


def check(got: bytes, path: Path, offset: int) -> None:
    with open(path, "rb") as handle:
        handle.seek(offset)
        if got != handle.read(len(got)):
            raise SystemExit(f"data differs at offset {offset}")


if __name__ == "__main__":
    main()
