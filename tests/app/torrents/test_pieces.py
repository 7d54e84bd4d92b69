"""Piece supply: the shared piece cache, pins kept by probes, priorities that follow demand."""

from __future__ import annotations

from app.torrents import pieces as pieces_module
from app.torrents import reader as reader_module
from app.torrents.pieces import BACKGROUND, NEAR, NEXT, NOW, PINNED, SKIP, SOON
from app.torrents.reader import NEXT_BYTES
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, Seeder, wait_until


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

    fetcher = service.torrent(info.info_hash).fetcher
    fetcher._sticky.clear()
    monkeypatch.setattr(reader_module, "PROBE_SECONDS", 0.0)
    with service.open_file(info.info_hash, 0) as player:
        player.read(10)
    # a player's pins go with it; the file stays wanted in the background
    assert handle.piece_priority(tail) == BACKGROUND


def test_readahead_is_graded_and_goes_with_its_reader(make_service, make_seeder):
    service = make_service(loopback_torrent_settings(readahead_mib=16))
    seeder = make_seeder({"Movie/m.mkv": 40 * MiB}, piece_length=512 * KiB)
    info = service.add(seeder.magnet)
    fetcher = service.torrent(info.info_hash).fetcher
    reader = service.open_file(info.info_hash, 0)
    reader.seek(20 * MiB)
    for _ in range(4):
        reader.read(MiB)  # 4 MiB in a row: an 8 MiB window
    window = fetcher._windows[reader]
    first = 24 * MiB // info.piece_length  # the next byte after the reads
    assert window[first] == NEXT
    assert window[first + (NEXT_BYTES // info.piece_length)] == SOON
    last_ahead = (32 * MiB - 1) // info.piece_length
    assert window[last_ahead] == SOON
    # past the readahead, the background just ahead of the reader comes before the rest
    assert window[last_ahead + 1] == NEAR
    assert max(window) == info.num_pieces - 1
    reader.close()
    assert reader not in fetcher._windows and reader not in fetcher._needs
    handle = service.torrent(info.info_hash).handle
    # what the reader wanted falls back to the background priority (the pins a probe keeps
    # to theirs), or is here already
    for piece in window:
        expected = PINNED if piece in fetcher._sticky else BACKGROUND
        assert handle.piece_priority(piece) == expected or handle.have_piece(piece)


def test_the_played_file_is_fetched_in_the_background_until_quiet(service, make_seeder):
    seeder = make_seeder({"Show/a.mkv": 24 * MiB, "Show/b.mkv": 6 * MiB}, piece_length=256 * KiB)
    info = service.add(seeder.magnet)
    mt = service.torrent(info.info_hash)
    played = next(f for f in info.files if f.path.endswith("a.mkv"))
    other = next(f for f in info.files if f.path.endswith("b.mkv"))
    with service.open_file(info.info_hash, played.index) as reader:
        assert reader.read(1000) == seeder.data("Show/a.mkv")[:1000]

    def pieces_of(file):
        return range(
            file.offset // info.piece_length, (file.offset + file.size - 1) // info.piece_length + 1
        )

    # nobody reads any more, yet the whole played file arrives: the seeder never sees us lose
    # interest while it is played
    assert wait_until(lambda: all(mt.handle.have_piece(p) for p in pieces_of(played)), 30)
    shared = set(pieces_of(played)) & set(pieces_of(other))
    assert not any(mt.handle.have_piece(p) for p in pieces_of(other) if p not in shared)
    mt.fetcher.quiet()
    # the played file's pieces go back to not wanted, but for what probes keep (head, tail)
    released = set(pieces_of(played)) - shared - mt.fetcher.fetching()
    assert len(released) >= 16  # what is checked below is not nothing
    assert all(mt.handle.piece_priority(p) == SKIP for p in released)
    assert all(mt.handle.piece_priority(p) == SKIP for p in pieces_of(other) if p not in shared)


def test_a_piece_asked_for_again_soon_goes_back_to_the_top(service, tmp_path, monkeypatch):
    # libtorrent is asked for a piece again only after RETRY_SECONDS: with a long one, only
    # request()'s own raise can give the next read's piece back the top priority
    monkeypatch.setattr(pieces_module, "RETRY_SECONDS", 1000.0)
    seeder = Seeder(tmp_path / "unseeded", {"Movie/m.mkv": 4 * MiB}, piece_length=256 * KiB)
    info = service.add(seeder.torrent_bytes)
    fetcher = service.torrent(info.info_hash).fetcher
    handle = service.torrent(info.info_hash).handle
    reader = object()
    fetcher.request(reader, [5])
    assert fetcher.applied()[5] == NOW
    fetcher.settle(reader)  # that read ended without it (abandoned, timed out)
    assert fetcher.applied()[5] != NOW
    fetcher.request(reader, [5])
    assert fetcher.applied()[5] == NOW
    assert wait_until(lambda: handle.piece_priority(5) == NOW)


def test_read_some_fetches_the_rest_of_its_block_too(service, make_seeder, monkeypatch):
    # read_some waits for its block's first piece only; the next piece's bytes must still be
    # read from disk meanwhile, or the next read would wait for that disk read
    monkeypatch.setattr(pieces_module, "RETRY_SECONDS", 0.0)  # the whole read just asked
    seeder = make_seeder({"Movie/m.mkv": 4 * MiB}, piece_length=256 * KiB)
    data = seeder.data("Movie/m.mkv")
    piece = 256 * KiB
    info = service.add(seeder.magnet)
    fetcher = service.torrent(info.info_hash).fetcher
    with service.open_file(info.info_hash, seeder.file_index("Movie/m.mkv")) as reader:
        assert reader.read() == data  # every piece on disk
        fetcher.drop_cache()
        reader.seek(6 * piece - 100)  # 1000 bytes span pieces 5 and 6
        got = reader.read_some(1000)
        assert len(got) >= 100 and got == data[6 * piece - 100 : 6 * piece - 100 + len(got)]
        assert wait_until(lambda: fetcher.ready(6) is not None), "piece 6 was never read"
