"""Waking a capped aria2 that holds our requests (app/torrents/holds.py), against real peers.

An aria2 over its upload cap sends again only when it reads a message from us or a second
later; a read that waits while it holds has it woken with a CANCEL and REQUEST round. The
wake must reach aria2 only: Transmission 3.00 never answers a CANCEL, and its cancelled
requests would clog our queue for 60 s. Which piece the wake's deadline goes on is checked
last, on a stand-in for the handle: the choice depends on piece states real peers would only
reach by chance.
"""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import libtorrent as lt
import pytest

from app.torrents.engine import session_settings
from app.torrents.holds import QUIET, HoldWaker, _decoy, is_aria2
from app.torrents.pieces import NOW, SKIP
from app.torrents.service import TorrentService
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.peer_log import record_peer_log
from tests.support.swarm import KiB, MiB

MOVIE = "Movie/movie.mkv"


def seek_and_read(service: TorrentService, info_hash: str, data: bytes, seeks: int) -> None:
    rng = random.Random(5)
    for _ in range(seeks):
        offset = rng.randrange(0, len(data) - 256 * KiB)
        with service.open_file(info_hash, 0) as reader:
            reader.seek(offset)
            assert reader.read(256 * KiB) == data[offset : offset + 256 * KiB]


def test_reads_that_wait_on_a_holding_aria2_wake_it(make_service, make_peer):
    # capped, so that aria2 sends in bursts and holds in between; reads land in the holds
    service = make_service(loopback_torrent_settings(read_timeout=8, stall_timeout=60))
    seeder = make_peer("aria2", {MOVIE: 96 * MiB}, piece_length=MiB, upload_kib=4 * 1024)
    log = record_peer_log(service)
    info = service.add(seeder.magnet_with_peer)
    seek_and_read(service, info.info_hash, seeder.data(MOVIE), seeks=8)
    torrent = service.torrent(info.info_hash)
    assert torrent.waker.wakes > 0
    # each wake raised and cleared a deadline on some piece: libtorrent must end up with the
    # priorities the piece fetcher gave, not a cleared deadline's 1
    assert torrent.handle.get_piece_priorities() == torrent.fetcher.applied()
    cancels = [m for m in log if "==> CANCEL" in m]
    assert cancels, "no read was woken"
    # aria2 answers every CANCEL (a REJECT, or the block when it was already on its way), keeps
    # us unchoked and keeps the connection: the wake costs nothing but the messages
    assert [m for m in log if "<== REJECT" in m]
    assert not [m for m in log if "<== CHOKE" in m]
    assert service.status(info.info_hash).peers == 1


def test_a_wake_cancels_when_the_awaited_piece_is_all_we_asked_for(make_peer, tmp_path):
    # A 2 MiB piece fills the whole 128-block request queue. A deadline on the awaited piece
    # itself would cancel nothing (libtorrent keeps a deadline piece's requests), so aria2 would
    # hear nothing and hold on: the wake's deadline goes on another piece. Each wake must reach
    # aria2, and leave every priority as it found it.
    # 8 MiB pieces at 1 MiB/s: the awaited piece takes ~8 s, time for three holds and wakes
    seeder = make_peer("aria2", {MOVIE: 32 * MiB}, piece_length=8 * MiB, upload_kib=1024)
    settings = session_settings(loopback_torrent_settings(), "127.0.0.1")
    settings["alert_mask"] |= lt.alert.category_t.peer_log_notification
    session = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = seeder.info
    params.save_path = str(tmp_path / "download")
    handle = session.add_torrent(params)
    awaited = 1
    priorities = [SKIP] * seeder.info.num_pieces()
    priorities[awaited] = NOW  # the only piece wanted: all our requests are its blocks
    handle.prioritize_pieces(priorities)
    handle.connect_peer(("127.0.0.1", seeder.port))
    waker = HoldWaker()
    log: list[str] = []

    def messages() -> list[str]:
        log.extend(a.message() for a in session.pop_alerts() if isinstance(a, lt.peer_log_alert))
        return log

    for wake in range(3):
        deadline = time.monotonic() + 30
        while True:
            seen = len(messages())  # the wake's CANCELs come after these
            if waker.wake_if_held(handle, awaited, lambda p: handle.piece_priority(p, SKIP)):
                break
            assert not handle.have_piece(awaited), f"piece {awaited} came after {wake} wakes"
            assert time.monotonic() < deadline, f"aria2 at 1 MiB/s never held ({wake} wakes)"
            time.sleep(QUIET / 2)
        deadline = time.monotonic() + 5
        while not [m for m in messages()[seen:] if f"==> CANCEL [ piece: {awaited} " in m]:
            assert time.monotonic() < deadline, f"wake {wake + 1} sent aria2 no CANCEL"
            time.sleep(0.05)
        assert handle.get_piece_priorities() == priorities
    assert [m for m in messages() if "<== REJECT" in m]
    assert [is_aria2(p) for p in handle.get_peer_info()] == [True]


def test_transmission_is_never_sent_a_cancel(make_service, make_peer, tracker):
    # Transmission sends in 500 ms steps, so reads wait through quiet spells just as they do
    # on a holding aria2; none may become a CANCEL
    service = make_service(loopback_torrent_settings(read_timeout=15, stall_timeout=60))
    seeder = make_peer(
        "transmission", {MOVIE: 48 * MiB}, piece_length=MiB, upload_kib=4 * 1024, tracker=tracker
    )
    log = record_peer_log(service)
    info = service.add(seeder.magnet_with_peer)
    seek_and_read(service, info.info_hash, seeder.data(MOVIE), seeks=4)
    assert [m for m in log if "==> REQUEST" in m], "the peer log recorded nothing"
    assert not [m for m in log if "==> CANCEL" in m]
    assert service.torrent(info.info_hash).waker.wakes == 0


class _Pieces:
    """What _decoy asks of a torrent handle."""

    def __init__(
        self,
        have: str,
        started: set[int] = frozenset(),
        wanted: str = "",
        idle: set[int] = frozenset(),
    ) -> None:
        self.have = [c == "x" for c in have]  # "x": had, ".": missing
        self.started = started
        self.idle = idle  # started pieces with no request out (their blocks done or free)
        self.wanted = [int(c) for c in wanted] if wanted else [1] * len(have)

    def status(self, flags: int) -> SimpleNamespace:
        return SimpleNamespace(pieces=self.have)

    def get_download_queue(self) -> list[dict]:
        # block states as libtorrent gives them: 0 free, 1 requested, 3 finished
        return [
            {"piece_index": p, "blocks": [{"state": 3}, {"state": 0 if p in self.idle else 1}]}
            for p in sorted(self.started)
        ]

    def get_piece_priorities(self) -> list[int]:
        return self.wanted


@pytest.mark.parametrize(
    ("pieces", "awaited", "decoy"),
    [
        (_Pieces("....", {1}), 1, 2),  # the next piece
        (_Pieces("..xx", {1}), 1, 0),  # wrapping round
        (_Pieces(".....", {1, 2, 3}), 1, 4),  # not one whose requests would stay ahead
        (_Pieces(".....", {1}, wanted="17001"), 1, 4),  # a wanted one before unwanted ones
        (_Pieces("x...", {1, 2}, wanted="0770"), 1, 3),  # an unwanted one before a started one
        (_Pieces("x..", {1, 2}), 1, 2),  # a started one before the awaited piece itself
        # a started one with no request out, so that the cancel hits all we have out
        (_Pieces("x...", {1, 2, 3}, idle={3}), 1, 3),
        # the awaited piece itself before one whose requests its deadline would keep
        (_Pieces("x..", {1, 2}, idle={1}), 1, 1),
        (_Pieces("x.x", {1}), 1, 1),  # the only missing piece
        (_Pieces("xx"), 1, None),  # here already: no wake
        (_Pieces(""), 0, None),  # no metadata yet
    ],
)
def test_the_decoy_is_the_next_wanted_piece_not_started(pieces, awaited, decoy):
    assert _decoy(pieces, awaited) == decoy
