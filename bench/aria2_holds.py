"""Benchmark: what makes a capped aria2 hold for a second, and what wakes it.

    .venv/bin/python bench/aria2_holds.py [--cap MIB] [--seconds S] [--every MS]
        [--modes relay,keepalive,have,cancel] [--rounds N]

This bench shows why a capped aria2 made Reelbox's reads wait ~1 s, and what wakes it; only
the "cancel" mode runs the engine's own wake.

aria2c seeds 400 MiB of random bytes (2 MiB pieces), its upload capped at --cap MiB/s (20). A
libtorrent session with the engine's settings (app/torrents/engine.py) downloads the whole file.
It reaches aria2 only through a relay on 127.0.0.1, so encryption is off: the relay must read the
message framing. The relay forwards both directions unchanged, and forwards our side a whole
message at a time. Each mode gets a fresh aria2 and a fresh session:

  relay      the relay only, and no read waits: the engine's session without its wake
  keepalive  the relay also sends aria2 a keep-alive every --every ms (100) on our connection
  have       the relay also repeats, every --every ms, the last HAVE our side sent
  cancel     the relay only, and the engine's own wake (app/torrents/holds.py): a read waits
             for the first missing piece, at the priority of a waiting read, and the session
             CANCELs and re-REQUESTs its requests after 0.05 s of silence (holds.py)

Figures are over --seconds (12) after a 3 s warm-up:
- the rate (MiB/s);
- gaps over 150 ms between two arrivals from aria2: how many, and the longest;
- when aria2 first ended our connection (seconds into the window; "-": it kept it).

What it shows: over its cap, aria2 stops sending until it reads a message from us, or until its
one-second timer. libtorrent has nothing to say while its request queue is full, so arrivals
come in bursts with 1 s holds. A HAVE every 100 ms removes all but one hold every 10 s (when
a slot leaves aria2's 10 s speed window, its average jumps over the cap). Keep-alives would wake
it too, but aria2 counts two keep-alives within 5 s as flooding and ends the connection. The
engine's CANCEL round wakes it as well as the HAVE does, without a relay.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import libtorrent as lt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.settings import TorrentSettings  # noqa: E402
from app.torrents.engine import session_settings  # noqa: E402
from app.torrents.holds import QUIET, HoldWaker  # noqa: E402
from app.torrents.pieces import NOW  # noqa: E402
from tests.support.peers import Aria2Seeder  # noqa: E402
from tests.support.swarm import MiB  # noqa: E402

LOOPBACK = "127.0.0.1"
HANDSHAKE = 68  # pstrlen, "BitTorrent protocol", reserved, info-hash, peer id
KEEP_ALIVE = b"\0\0\0\0"
HAVE_ID = 4
WARM_UP = 3.0
GAP = 0.15
MODES = ("relay", "keepalive", "have", "cancel")
DEFAULT = 4  # libtorrent's priority for a piece no one set


@dataclass
class Connection:
    """What the relay saw between the session and aria2, over every connection."""

    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, bytes)
    closed: list[float] = field(default_factory=list)  # when aria2 ended a connection
    last_have: bytes | None = None
    wakes: int = 0


class Relay:
    """A TCP relay to aria2 in its own thread; optionally sends aria2 a message every period."""

    def __init__(self, target_port: int, mode: str, every: float) -> None:
        self.target_port = target_port
        self.mode = mode
        self.every = every
        self.seen = Connection()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._handlers: set[asyncio.Task] = set()
        self._writers: list[asyncio.StreamWriter] = []
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        async def serve() -> None:
            self._stopping = asyncio.Event()
            server = await asyncio.start_server(self._handle, LOOPBACK, 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            await self._stopping.wait()
            server.close()
            for writer in self._writers:
                writer.transport.abort()  # ends every pump of every connection
            await asyncio.gather(*self._handlers, return_exceptions=True)

        self._loop.run_until_complete(serve())

    def stop(self) -> None:
        assert self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    async def _handle(self, ours_r: asyncio.StreamReader, ours_w: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())
        theirs_r, theirs_w = await asyncio.open_connection(LOOPBACK, self.target_port)
        self._writers += [ours_w, theirs_w]
        tasks = [self._down(theirs_r, ours_w), self._up(ours_r, theirs_w)]
        if self.mode in ("keepalive", "have"):
            tasks.append(self._wake(theirs_w))
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for writer in (ours_w, theirs_w):
                writer.close()

    async def _down(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """aria2 -> session, unchanged; every read is an arrival."""
        while data := await reader.read(256 * 1024):
            self.seen.arrivals.append((time.monotonic(), len(data)))
            writer.write(data)
            await writer.drain()
        self.seen.closed.append(time.monotonic())
        writer.close()

    async def _up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Session -> aria2, a whole message at a time, so that a wake never splits one."""
        writer.write(await reader.readexactly(HANDSHAKE))
        while True:
            head = await reader.readexactly(4)
            (length,) = struct.unpack(">I", head)
            message = head + await reader.readexactly(length)
            if length == 5 and message[4] == HAVE_ID:
                self.seen.last_have = message
            writer.write(message)
            await writer.drain()

    async def _wake(self, writer: asyncio.StreamWriter) -> None:
        """Wake aria2 every period, from a second after it started sending."""
        while not self.seen.arrivals:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)
        while not writer.is_closing():
            await asyncio.sleep(self.every)
            message = KEEP_ALIVE if self.mode == "keepalive" else self.seen.last_have
            if message is not None:
                writer.write(message)
                self.seen.wakes += 1


def read_waits(handle: lt.torrent_handle, waker: HoldWaker) -> None:
    """A read waits for the first missing piece, as the engine's reads do (pieces.py)."""
    missing = next((p for p, have in enumerate(handle.status().pieces) if not have), None)
    if missing is not None:
        if handle.piece_priority(missing) != NOW:
            handle.piece_priority(missing, NOW)
        # the wake's decoy goes back to libtorrent's default, like every piece but this one
        waker.wake_if_held(handle, missing, lambda p: handle.piece_priority(p, DEFAULT))


@dataclass
class Figures:
    rate: float  # MiB/s
    gaps: int
    longest: float
    dropped: float | None  # seconds into the window when aria2 first ended our connection
    wakes: int


def measure(mode: str, cap: int, seconds: float, every: float) -> Figures:
    with tempfile.TemporaryDirectory(prefix="reelbox-aria2-holds-") as tmp:
        root = Path(tmp)
        seeder = Aria2Seeder(
            root, {"holds.bin": 400 * MiB}, piece_length=2 * MiB, upload_kib=cap * 1024
        )
        with seeder:
            relay = Relay(seeder.port, mode, every)
            pack = session_settings(TorrentSettings(), LOOPBACK)
            pack.update(
                enable_dht=False,
                enable_lsd=False,
                enable_upnp=False,
                enable_natpmp=False,
                listen_interfaces=f"{LOOPBACK}:0",
                out_enc_policy=int(lt.enc_policy.disabled),
                in_enc_policy=int(lt.enc_policy.disabled),
            )
            session = lt.session(pack)
            params = lt.add_torrent_params()
            params.ti = seeder.info
            params.save_path = str(root / "download")
            handle = session.add_torrent(params)
            handle.connect_peer((LOOPBACK, relay.port))
            start = time.monotonic()
            while not relay.seen.arrivals and time.monotonic() < start + 30:
                time.sleep(0.05)
            if not relay.seen.arrivals:
                raise SystemExit(f"{mode}: aria2 sent nothing in 30 s (log: {seeder.log})")
            begin = relay.seen.arrivals[0][0] + WARM_UP
            end = begin + seconds
            waker = HoldWaker()
            while time.monotonic() < end + 0.2:
                if mode == "cancel":
                    read_waits(handle, waker)
                time.sleep(QUIET / 2)
            relay.stop()
            del session
    arrivals = [(t, n) for t, n in relay.seen.arrivals if begin <= t < end]
    times = [begin] + [t for t, _ in arrivals] + [end]
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > GAP]
    return Figures(
        rate=sum(n for _, n in arrivals) / MiB / seconds,
        gaps=len(gaps),
        longest=max(gaps, default=0.0),
        dropped=min((t - begin for t in relay.seen.closed if t < end), default=None),
        wakes=relay.seen.wakes + waker.wakes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=20, help="aria2's upload cap, MiB/s")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--every", type=int, default=100, help="wake period, ms")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))} (known: {', '.join(MODES)})")
    print(
        f"aria2 capped at {args.cap} MiB/s, {args.seconds:g} s after {WARM_UP:g} s, "
        f"wake every {args.every} ms; medians of {args.rounds} round(s)"
    )
    print(f"{'mode':10} {'MiB/s':>6} {'gaps>150ms':>10} {'longest':>8} {'dropped':>8} {'wakes':>6}")
    for mode in modes:
        runs = [
            measure(mode, args.cap, args.seconds, args.every / 1000) for _ in range(args.rounds)
        ]
        print(
            f"{mode:10} {statistics.median(r.rate for r in runs):6.1f} "
            f"{statistics.median(r.gaps for r in runs):10g} "
            f"{statistics.median(r.longest for r in runs):7.2f}s "
            f"{when([r.dropped for r in runs]):>8} "
            f"{statistics.median(r.wakes for r in runs):6g}"
        )


def when(times: list[float | None]) -> str:
    """The median of the times when most rounds have one, else "-" (it did not happen)."""
    happened = [t for t in times if t is not None]
    return f"{statistics.median(happened):.2f} s" if len(happened) * 2 > len(times) else "-"


if __name__ == "__main__":
    main()
