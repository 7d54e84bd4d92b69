"""Piece supply: the shared piece cache, pins kept by probes, priorities that follow demand."""

from __future__ import annotations

from app.torrents import reader as reader_module
from app.torrents.pieces import PINNED, SKIP, TOP
from tests.support.swarm import KiB, MiB


def test_small_reads_of_a_big_piece_read_it_once(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 16 * MiB}, piece_length=4 * MiB)
    data = seeder.data("Movie/m.mkv")
    info = service.add(seeder.magnet)
    fetcher = service.torrent(info.info_hash).fetcher
    with service.open_file(info.info_hash, 0) as reader:
        before = fetcher.delivered
        chunks = [reader.read(MiB) for _ in range(8)]
    assert b"".join(chunks) == data[: 8 * MiB]
    assert fetcher.delivered - before <= 3  # two pieces (a retry at most), not eight reads


def test_a_probe_keeps_its_pins_a_long_reader_releases_them(service, make_seeder, monkeypatch):
    seeder = make_seeder({"Movie/m.mkv": 40 * MiB}, piece_length=512 * KiB)
    info = service.add(seeder.magnet)
    handle = service.torrent(info.info_hash).handle
    tail = info.num_pieces - 1
    with service.open_file(info.info_hash, 0) as probe:
        assert handle.piece_priority(tail) == SKIP  # pins come with the first read
        probe.read(10)
        assert handle.piece_priority(tail) == PINNED
    assert handle.piece_priority(tail) == PINNED  # a probe: the next reader needs the same

    service.torrent(info.info_hash).fetcher._sticky.clear()
    monkeypatch.setattr(reader_module, "PROBE_SECONDS", 0.0)
    with service.open_file(info.info_hash, 0) as player:
        player.seek(20 * MiB)
        player.read(600 * KiB)  # the window grows with bytes read in a row: 1.2 MiB ahead
        middle = 20 * MiB // info.piece_length
        # readahead; libtorrent drops a deadline piece to priority 1 once it has it
        ahead = middle + 3
        assert handle.piece_priority(ahead) == TOP or handle.have_piece(ahead)
        assert ahead in service.torrent(info.info_hash).fetcher.fetching()
    assert handle.piece_priority(tail) == SKIP
    assert handle.piece_priority(middle + 1) == SKIP
    assert handle.piece_priority(15 * MiB // info.piece_length) == SKIP  # never wanted
