"""Streaming from the clients real swarms are made of: aria2, Transmission, stock libtorrent.

Our own loopback seeder (tests/support/swarm.py) unchokes at once and never drops a peer, which
hid two failures. aria2 chokes a peer that says NOT_INTERESTED and unchokes it only at its next
10 s choke round, so on-demand fetching that loses interest between reads made every read wait
~11 s. A stock libtorrent seeder drops a peer that wants nothing, and a torrent found only
through a tracker then had no peer at all until the next announce (30 min with opentracker) or
the 60 s stall recovery. These tests fail on either: the read timeouts are set below both.
"""

from __future__ import annotations

import dataclasses
import random
import socket
import threading

from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.peer_log import record_peer_log
from tests.support.peers import LOOPBACK, free_port
from tests.support.swarm import KiB, MiB, wait_until
from ui.torrents.torrents_model import health_text

MOVIE = "Movie/movie.mkv"


def test_interest_in_aria2_never_drops_while_a_file_is_played(make_service, make_peer):
    # capped so that the played file is still incomplete when the seeks are done: until it is
    # complete we must stay interested, or aria2 chokes us for its 10 s round
    service = make_service(loopback_torrent_settings(read_timeout=8, stall_timeout=60))
    seeder = make_peer("aria2", {MOVIE: 96 * MiB}, piece_length=MiB, upload_kib=4 * 1024)
    data = seeder.data(MOVIE)
    log = record_peer_log(service)
    info = service.add(seeder.magnet_with_peer)
    rng = random.Random(3)
    for _ in range(8):
        offset = rng.randrange(0, len(data) - 256 * KiB)
        with service.open_file(info.info_hash, 0) as reader:
            reader.seek(offset)
            assert reader.read(256 * KiB) == data[offset : offset + 256 * KiB]
    assert not service.torrent(info.info_hash).handle.status().is_seeding
    assert not [m for m in log if "==> NOT_INTERESTED" in m], "we lost interest mid-play"
    assert not [m for m in log if "<== CHOKE" in m]


def test_a_quiet_torrent_found_only_through_a_tracker_reads_at_once(
    make_service, make_peer, tracker
):
    # stall recovery (60 s) and the tracker's next announce (30 min) are both far beyond the
    # read timeout: only asking the tracker the moment a read waits can make this read succeed
    service = make_service(loopback_torrent_settings(read_timeout=15, stall_timeout=60))
    seeder = make_peer("libtorrent", {MOVIE: 16 * MiB}, tracker=tracker)
    info = service.add(seeder.magnet)
    # the seeder goes away and comes back on another port: no peer we knew is there any more
    seeder.stop()
    assert wait_until(lambda: service.status(info.info_hash).peers == 0, timeout=30)
    seeder.port = free_port()
    seeder.start()
    with service.open_file(info.info_hash, 0) as reader:
        reader.seek(5 * MiB)
        assert reader.read(64 * KiB) == seeder.data(MOVIE)[5 * MiB : 5 * MiB + 64 * KiB]


def test_after_a_restart_a_tracker_only_torrent_reads_at_once(
    make_service, make_peer, tracker, paths
):
    settings = loopback_torrent_settings(read_timeout=15, stall_timeout=60)
    seeder = make_peer("libtorrent", {MOVIE: 16 * MiB}, tracker=tracker)
    first = make_service(settings)
    info = first.add(seeder.magnet)
    first.stop()
    again = make_service(settings)
    with again.open_file(info.info_hash, 0) as reader:
        reader.seek(9 * MiB)
        assert reader.read(64 * KiB) == seeder.data(MOVIE)[9 * MiB : 9 * MiB + 64 * KiB]


def test_an_idle_paused_torrent_wakes_and_reads_from_aria2(make_service, make_peer, tracker):
    # the shortest idle settings: upload mode after 5 s, paused after 6 s (what 5 and 30
    # minutes do by default); a small disk budget keeps most of the file unfetched
    service = make_service(
        loopback_torrent_settings(
            read_timeout=15,
            stall_timeout=60,
            idle_timeout=5,
            idle_pause_timeout=6,
            cache_budget_mib=4,
        )
    )
    seeder = make_peer("aria2", {MOVIE: 32 * MiB}, tracker=tracker)
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        reader.read(1)
    assert wait_until(lambda: service.status(info.info_hash).paused, timeout=20)
    assert service.status(info.info_hash).peers == 0
    with service.open_file(info.info_hash, 0) as reader:
        reader.seek(20 * MiB)
        assert reader.read(64 * KiB) == seeder.data(MOVIE)[20 * MiB : 20 * MiB + 64 * KiB]


def test_a_read_with_no_peer_says_why_and_health_is_not_good(make_service, make_peer, tracker):
    service = make_service(
        loopback_torrent_settings(read_timeout=30, stall_timeout=60, cache_budget_mib=4)
    )
    seeder = make_peer("libtorrent", {MOVIE: 32 * MiB}, tracker=tracker)
    data = seeder.data(MOVIE)
    info = service.add(seeder.magnet)
    seeder.stop()
    assert wait_until(lambda: service.status(info.info_hash).peers == 0, timeout=30)
    result: dict = {}

    def read() -> None:
        with service.open_file(info.info_hash, 0) as reader:
            reader.seek(20 * MiB)
            result["data"] = reader.read(64 * KiB)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        assert wait_until(lambda: service.status(info.info_hash).waiting, timeout=10)
        status = service.status(info.info_hash)
        assert "no peer" in status.waiting
        assert health_text(status) != "good"
        seeder.start()  # back on its port and announced: the waiting read reconnects
        thread.join(30)
        assert result.get("data") == data[20 * MiB : 20 * MiB + 64 * KiB]
        assert wait_until(lambda: service.status(info.info_hash).waiting is None, timeout=5)
    finally:
        thread.join(30)


def test_transmission_serves_reads_and_seeks(make_service, make_peer, tracker):
    service = make_service(loopback_torrent_settings(read_timeout=30))
    seeder = make_peer("transmission", {MOVIE: 24 * MiB}, tracker=tracker)
    data = seeder.data(MOVIE)
    info = service.add(seeder.magnet)
    for offset in (0, 17 * MiB + 5, len(data) - 100_000, 8 * MiB):
        with service.open_file(info.info_hash, 0) as reader:
            reader.seek(offset)
            assert reader.read(256 * KiB) == data[offset : offset + 256 * KiB]


def test_a_taken_listen_port_is_said_and_the_tracker_hears_the_port_in_use(
    make_service, make_peer, tracker
):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        service = make_service(loopback_torrent_settings())
        seeder = make_peer("libtorrent", {MOVIE: 4 * MiB}, tracker=tracker)
        info = service.add(seeder.magnet)
        old = service.listen_port()
        assert wait_until(lambda: (LOOPBACK, old) in (tracker.peers(info.info_hash) or ()))
        service.apply_settings(dataclasses.replace(service.settings, listen_port=port))
        # libtorrent takes the next free port without a word: the service says so
        assert wait_until(lambda: service.listen_note is not None, timeout=10)
        assert f"port {port} is in use" in service.listen_note
        moved = service.listen_port()
        assert moved not in (port, old)
        # and peers learn the port in use now, not at the tracker's next interval (30 min)
        assert wait_until(
            lambda: (LOOPBACK, moved) in (tracker.peers(info.info_hash) or ()), timeout=20
        )
    finally:
        taken.close()
