"""The order libtorrent sends our requests in: what a read waits for goes out first.

A seeder serves requests in the order they arrive, so whatever we have already asked for is
what a seek's piece waits behind. libtorrent's default "whole pieces" mode (whole_pieces_threshold)
picks up to 8 MiB of contiguous pieces at a time for a fast peer, whatever their priority, and
queues them before anything picked later: measured against a 20 MiB/s seeder, a seek's piece
waited behind four background pieces (~0.4 s). These tests read the peer log.
"""

from __future__ import annotations

import re
import threading

import libtorrent as lt

from app.torrents import engine
from app.torrents.service import TorrentService
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, wait_until

MOVIE = "Movie/movie.mkv"
PIECE = 1 * MiB
REQUEST = re.compile(r"==> REQUEST \[ piece: (\d+)")


def requests_log(service: TorrentService) -> list[int]:
    """The pieces of our REQUEST messages, in the order libtorrent sent them."""
    sent: list[int] = []
    lock = threading.Lock()
    service.engine.session.apply_settings(
        {"alert_mask": engine._ALERTS | lt.alert.category_t.peer_log_notification}
    )
    handle_alerts = service.engine._on_alerts

    def on_alerts(alerts: list) -> None:
        with lock:
            for alert in alerts:
                if isinstance(alert, lt.peer_log_alert):
                    match = REQUEST.search(alert.message())
                    if match:
                        sent.append(int(match.group(1)))
        handle_alerts(alerts)

    service.engine._on_alerts = on_alerts
    return sent


def test_a_seeks_piece_is_requested_before_more_background(make_service, make_seeder):
    # a seeder slow enough that the played file is still coming in the background when we seek
    service = make_service(loopback_torrent_settings(read_timeout=60, stall_timeout=60))
    seeder = make_seeder({MOVIE: 96 * MiB}, piece_length=PIECE, upload_kib=4 * 1024)
    data = seeder.data(MOVIE)
    sent = requests_log(service)
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        reader.read(64 * KiB)  # starts the background fetch of the whole file
        assert wait_until(lambda: len(sent) > 2000, timeout=60)  # it is flowing (~32 MiB)
        handle = service.torrent(info.info_hash).handle
        have = handle.status().pieces
        started = {partial["piece_index"] for partial in handle.get_download_queue()}
        # a piece the background has not reached, away from the head and the tail pins
        target = max(p for p in range(48, 88) if not have[p] and p not in started)
        before = len(sent)
        reader.seek(target * PIECE)
        assert reader.read(64 * KiB) == data[target * PIECE : target * PIECE + 64 * KiB]
    after = sent[before:]
    ahead = after.index(target)
    # at most about one queue's worth (the engine's 128 blocks) may go out before the seek's
    # piece (what was picked, and log lines still on their way), not several whole pieces more
    assert ahead <= 128, f"{ahead} blocks of other pieces were requested before piece {target}"


def test_a_new_torrents_pins_are_requested_before_the_background(make_service, make_seeder):
    # libtorrent's default: until a torrent has 4 pieces, started pieces are finished first,
    # whatever their priority, so random background pieces went before the tail a player
    # probes right after the first read
    service = make_service(loopback_torrent_settings(read_timeout=60, stall_timeout=60))
    seeder = make_seeder({MOVIE: 96 * MiB}, piece_length=PIECE, upload_kib=4 * 1024)
    sent = requests_log(service)
    info = service.add(seeder.magnet)
    head = set(range(10 * MiB // PIECE))
    tail = set(range(info.num_pieces - 5 * MiB // PIECE, info.num_pieces))
    with service.open_file(info.info_hash, 0) as reader:
        reader.read(64 * KiB)  # pins the head and the tail, starts the background
        assert wait_until(lambda: tail <= set(sent), timeout=30)
    first = [piece for piece in dict.fromkeys(sent) if piece not in head]
    before = first[: first.index(max(tail, key=first.index))]
    # one or two may go first: a libtorrent seeder lets a peer it chokes ask for a few
    # "allowed fast" pieces (libtorrent's default put 6-9 background pieces first here)
    assert len(set(before) - tail) <= 2, f"requested before the last tail pin: {before}"
