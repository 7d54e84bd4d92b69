"""Real-Debrid as a source, against the loopback service with 200 ms per request.

Measures, for an account of 5,000 torrents (by default): the requests and time of an
unchanged check, of a sync after one new torrent (page 1 spliced onto the cache, one info),
and of a cold fetch of the whole list (every page); one /torrents/info request (a cold sync
asks it once per downloaded torrent, paced under 240 a minute). Then reads a file through
the share (unrestrict, range proxy) against the loopback file host directly: sequential
throughput and the latency of random seeks (64 KiB each).

    .venv/bin/python bench/debrid.py [--torrents 5000] [--latency 0.2] [--size-mib 512]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.debrid import store  # noqa: E402
from app.debrid.listing import Listing  # noqa: E402
from app.debrid.realdebrid import RealDebridClient  # noqa: E402
from app.debrid.source import DebridSource  # noqa: E402
from app.debrid.stream import DebridOpener  # noqa: E402
from app.library.db import close_database, open_database  # noqa: E402
from app.library.repository import Library  # noqa: E402
from app.settings import ShareSettings  # noqa: E402
from app.share.server import ShareServer  # noqa: E402
from app.share.streams import TorrentOpener  # noqa: E402
from tests.support import realdebrid  # noqa: E402
from tests.support.loop_thread import LoopThread  # noqa: E402

MiB = 1024 * 1024
USER, PASSWORD = "bench", "bench"
PATH = "/Movies/Heat (1995)/Heat (1995).mkv"


def client(rd: realdebrid.RealDebrid) -> RealDebridClient:
    # no pacing limit here: the bench measures the emulated latency, not our own pacing
    return RealDebridClient(
        realdebrid.TOKEN, api_url=rd.api_url, oauth_url=rd.oauth_url, per_minute=100_000
    )


async def listing_figures(rd: realdebrid.RealDebrid) -> None:
    account = client(rd)
    listing = Listing(account)
    try:
        started, before = time.perf_counter(), account.requests
        cold = await listing.fetch([])
        print_row("cold fetch of the list", account.requests - before, started, len(cold.torrents))
        listing.known = await account.probe()

        started, before = time.perf_counter(), account.requests
        changed = await listing.check()
        print_row("unchanged check", account.requests - before, started, changed is not None)

        rd.add("New.Movie.2026.1080p", [("/New.Movie.2026.1080p.mkv", MiB)])
        started, before = time.perf_counter(), account.requests
        probe = await listing.check()
        fetched = await listing.fetch(cold.torrents)
        await account.info(fetched.torrents[0].id)
        print_row(
            "one new torrent (check, page 1 spliced, info)",
            account.requests - before,
            started,
            f"spliced={fetched.spliced} changed={probe is not None}",
        )
        started, before = time.perf_counter(), account.requests
        await account.info(cold.torrents[-1].id)
        print_row("one /torrents/info", account.requests - before, started, "")
        per_minute = 240
        print(
            f"  a cold sync asks info once per downloaded torrent: {len(cold.torrents)} at "
            f"{per_minute}/min take at least {len(cold.torrents) / per_minute:.0f} min, once "
            "(cached in the library afterwards)"
        )
    finally:
        await account.aclose()


def print_row(what: str, requests: int, started: float, note) -> None:
    print(f"  {what:48} {requests:5d} requests {time.perf_counter() - started:7.2f} s  {note}")


def read_figures(rd: realdebrid.RealDebrid, size: int, seeks: int) -> None:
    torrent = rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", size)])
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "library.db")
        library = Library(db)
        library.add_movie("Heat", 1995)
        loop = LoopThread()
        source = loop.run(_source(library, rd))
        loop.run(source.sync())
        opener = DebridOpener(lambda link: loop.run(source.account.unrestrict(link)), store.link_of)
        share = ShareServer(
            ShareSettings(bind_address="127.0.0.1", port=0, username=USER, threads=8),
            library,
            None,
            password=PASSWORD,
            opener=TorrentOpener(library, None, debrid=opener),
        )
        share.start()
        direct = loop.run(source.account.unrestrict(torrent.link(1))).url
        try:
            with httpx.Client(auth=(USER, PASSWORD), timeout=60) as http:
                via_share = f"http://127.0.0.1:{share.port}{PATH}"
                for label, url in (
                    ("file host directly", direct),
                    ("through the share", via_share),
                ):
                    rate = throughput(http, url, size)
                    waits = seek_latencies(http, url, size, seeks)
                    print(
                        f"  {label:20} {rate:8.1f} MiB/s sequential;  seek + 64 KiB: median "
                        f"{statistics.median(waits) * 1000:6.1f} ms, p90 "
                        f"{sorted(waits)[int(len(waits) * 0.9)] * 1000:6.1f} ms"
                    )
        finally:
            share.stop()
            opener.close()
            loop.run(source.account.aclose())
            loop.close()
            close_database(db)


async def _source(library, rd) -> DebridSource:
    return DebridSource(library, client(rd))


def throughput(http: httpx.Client, url: str, size: int) -> float:
    started, got = time.perf_counter(), 0
    with http.stream("GET", url) as response:
        for chunk in response.iter_raw(MiB):
            got += len(chunk)
    assert got == size, (got, size)
    return size / MiB / (time.perf_counter() - started)


def seek_latencies(http: httpx.Client, url: str, size: int, count: int) -> list[float]:
    rng = random.Random(7)
    waits = []
    for _ in range(count):
        start = rng.randrange(0, size - 65536)
        began = time.perf_counter()
        response = http.get(url, headers={"Range": f"bytes={start}-{start + 65535}"})
        assert response.status_code == 206 and len(response.content) == 65536
        waits.append(time.perf_counter() - began)
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torrents", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per API request")
    parser.add_argument("--size-mib", type=int, default=512, help="the file read")
    parser.add_argument("--seeks", type=int, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with realdebrid.serve(latency=args.latency) as rd:
        for number in range(args.torrents):
            rd.add(f"Some.Release.{number}.1080p", [(f"/Some.Release.{number}.mkv", MiB)])
        print(f"Account of {args.torrents} torrents, {args.latency * 1000:.0f} ms per request:")
        asyncio.run(listing_figures(rd))
    with realdebrid.serve(latency=args.latency) as rd:
        print(f"Reading a {args.size_mib} MiB file (the file host adds no latency):")
        read_figures(rd, args.size_mib * MiB, args.seeks)


if __name__ == "__main__":
    main()
