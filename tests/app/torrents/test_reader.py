"""TorrentFileReader against a real loopback seeder: bytes, seeks, concurrency, timeouts."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from app.torrents import pieces as pieces_module
from app.torrents.errors import ReadTimeout
from app.torrents.pieces import NEXT, NOW
from app.torrents.status import PIECE_HAVE
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, Seeder, wait_until


def open_reader(service, seeder, name):
    info = service.add(seeder.magnet)
    return info, service.open_file(info.info_hash, seeder.file_index(name))


def test_ranges_at_start_middle_and_last_byte_match_the_source(service, make_seeder):
    seeder = make_seeder({"Show/a.mkv": 12 * MiB, "Show/b.mkv": 3 * MiB + 12345})
    for name in ("Show/a.mkv", "Show/b.mkv"):
        data = seeder.data(name)
        _, reader = open_reader(service, seeder, name)
        with reader:
            assert reader.size == len(data)
            assert reader.read(1000) == data[:1000]
            middle = len(data) // 2 + 777
            reader.seek(middle)
            assert reader.read(MiB) == data[middle : middle + MiB]
            reader.seek(-1, os.SEEK_END)
            assert reader.read(10) == data[-1:]
            assert reader.read(10) == b""
            assert reader.tell() == len(data)


def test_whole_file_through_a_buffered_reader(service, make_seeder):
    seeder = make_seeder({"Movie/movie.mkv": 8 * MiB + 1})
    data = seeder.data("Movie/movie.mkv")
    _, reader = open_reader(service, seeder, "Movie/movie.mkv")
    with io.BufferedReader(reader, buffer_size=MiB) as buffered:
        chunks = iter(lambda: buffered.read(MiB), b"")
        assert b"".join(chunks) == data


def test_seek_into_a_piece_nobody_asked_for(service, make_seeder):
    seeder = make_seeder({"Movie/movie.mkv": 32 * MiB}, piece_length=512 * KiB)
    data = seeder.data("Movie/movie.mkv")
    info, reader = open_reader(service, seeder, "Movie/movie.mkv")
    with reader:
        offset = 20 * MiB + 3 * 512 * KiB + 100  # outside head/tail pins and any window
        piece = offset // info.piece_length
        assert service.status(info.info_hash).pieces[piece] != PIECE_HAVE
        reader.seek(offset)
        started = time.monotonic()
        assert reader.read(200) == data[offset : offset + 200]
        assert time.monotonic() - started < 3


def test_two_concurrent_readers_of_one_torrent(service, make_seeder):
    seeder = make_seeder({"Show/e1.mkv": 10 * MiB, "Show/e2.mkv": 10 * MiB + 5})
    info = service.add(seeder.magnet)
    results, errors = {}, []

    def read_all(name, start):
        try:
            with service.open_file(info.info_hash, seeder.file_index(name)) as reader:
                reader.seek(start)
                results[(name, start)] = reader.read()
        except Exception as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    jobs = [("Show/e1.mkv", 0), ("Show/e1.mkv", 4 * MiB + 3), ("Show/e2.mkv", 0)]
    threads = [threading.Thread(target=read_all, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    for name, start in jobs:
        assert results[(name, start)] == seeder.data(name)[start:]
    assert service.status(info.info_hash).active_readers == 0


def test_read_times_out_when_the_seeder_goes_away(make_service, make_seeder):
    # the budget keeps the background from fetching 20 MiB before the seeder goes
    service = make_service(loopback_torrent_settings(read_timeout=3, cache_budget_mib=8))
    seeder = make_seeder({"Movie/movie.mkv": 32 * MiB}, piece_length=512 * KiB)
    _, reader = open_reader(service, seeder, "Movie/movie.mkv")
    with reader:
        assert reader.read(100) == seeder.data("Movie/movie.mkv")[:100]
        seeder.stop()
        reader.seek(20 * MiB)
        started = time.monotonic()
        with pytest.raises(ReadTimeout) as caught:
            reader.read(MiB)
        assert isinstance(caught.value, OSError)
        assert 2.5 < time.monotonic() - started < 8
        assert "did not arrive in time" in str(caught.value)


def test_with_a_disk_budget_the_background_stays_within_it(make_service, make_seeder):
    # a 16 MiB budget: the background fetches at most 8 MiB ahead of the read
    service = make_service(loopback_torrent_settings(cache_budget_mib=16))
    seeder = make_seeder({"Movie/movie.mkv": 48 * MiB}, piece_length=512 * KiB)
    info, reader = open_reader(service, seeder, "Movie/movie.mkv")
    with reader:
        reader.read(MiB)
        ahead = range(0, 8 * MiB // info.piece_length)
        assert wait_until(
            lambda: all(service.status(info.info_hash).pieces[p] == PIECE_HAVE for p in ahead),
            timeout=15,
        )
        time.sleep(1.5)
        status = service.status(info.info_hash)
    middle = range(16 * MiB // info.piece_length, 42 * MiB // info.piece_length)
    assert all(status.pieces[p] != PIECE_HAVE for p in middle)
    assert status.pieces_done <= (10 + 5 + 5) * MiB // info.piece_length + 2
    assert seeder.uploaded() < 24 * MiB


def test_finished_torrent_serves_a_new_offset_fast(make_service, make_seeder):
    # regression: a torrent whose wanted pieces are all done counts as finished; with
    # close_redundant_connections it dropped its seed and the next read waited ~60 s
    # a disk budget keeps the background from fetching the whole file before the seek
    service = make_service(loopback_torrent_settings(read_timeout=20, cache_budget_mib=16))
    seeder = make_seeder({"Movie/movie.mkv": 32 * MiB}, piece_length=512 * KiB)
    data = seeder.data("Movie/movie.mkv")
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    info, reader = open_reader(service, seeder, "Movie/movie.mkv")
    with reader:
        reader.read(10 * MiB)
        assert wait_until(lambda: service.status(info.info_hash).state == "ready", 15)
        assert "finished" not in events  # part of a torrent is not a finished download
        time.sleep(2)
        reader.seek(18 * MiB)
        started = time.monotonic()
        assert reader.read(MiB) == data[18 * MiB : 19 * MiB]
        assert time.monotonic() - started < 3


def test_reader_file_semantics(service, make_seeder):
    seeder = make_seeder({"Movie/movie.mkv": 4 * MiB})
    _, reader = open_reader(service, seeder, "Movie/movie.mkv")
    assert reader.readable() and reader.seekable() and not reader.writable()
    assert reader.seek(10) == 10 and reader.seek(5, os.SEEK_CUR) == 15
    buffer = bytearray(100)
    assert reader.readinto(buffer) == 100
    assert bytes(buffer) == seeder.data("Movie/movie.mkv")[15:115]
    with pytest.raises(OSError):
        reader.seek(-1)
    reader.seek(10 * MiB)
    assert reader.read(10) == b""
    reader.close()
    with pytest.raises(ValueError):
        reader.read(1)


def test_read_some_waits_for_its_first_piece_only(service, tmp_path):
    # libtorrent picks among pieces of one priority at random: were both pieces of a seek's
    # block at the top, the next one could come first and hold back the seek's first byte
    seeder = Seeder(tmp_path / "unseeded", {"Movie/m.mkv": 4 * MiB}, piece_length=256 * KiB)
    data = seeder.data("Movie/m.mkv")
    piece = 256 * KiB
    info = service.add(seeder.torrent_bytes)
    fetcher = service.torrent(info.info_hash).fetcher
    handle = service.torrent(info.info_hash).handle
    reader = service.open_file(info.info_hash, 0)
    seen: list[list[int]] = []  # priorities of pieces 5 and 6 while the read waited

    def deliver() -> None:
        if wait_until(lambda: fetcher.waiting == 1):
            seen.append([handle.piece_priority(5), handle.piece_priority(6)])
        fetcher.on_read(5, data[5 * piece : 6 * piece], None)

    handing = threading.Thread(target=deliver)
    handing.start()
    reader.seek(6 * piece - 100)  # 1000 bytes span pieces 5 and 6, neither of them here
    assert reader.read_some(1000) == data[6 * piece - 100 : 6 * piece]
    handing.join()
    assert seen == [[NOW, NEXT]]
    reader.close()


def test_read_some_sends_the_first_piece_without_waiting_for_the_next(
    service, tmp_path, monkeypatch
):
    # the first read asks for piece 1's bytes too, at its readahead priority, and libtorrent is
    # asked for a piece again only after RETRY_SECONDS: with a long one, only the second read's
    # own raise can give piece 1 the top priority, however slow the machine
    monkeypatch.setattr(pieces_module, "RETRY_SECONDS", 1000.0)
    # no peer at all: a piece comes only when the test hands it over as libtorrent's
    # read_piece_alert would, so which pieces are here is up to the test
    seeder = Seeder(tmp_path / "unseeded", {"Movie/m.mkv": 4 * MiB}, piece_length=256 * KiB)
    data = seeder.data("Movie/m.mkv")
    piece = 256 * KiB
    info = service.add(seeder.torrent_bytes)
    fetcher = service.torrent(info.info_hash).fetcher
    reader = service.open_file(info.info_hash, 0)
    fetcher.on_read(0, data[:piece], None)
    reader.seek(piece - 100)
    # 1000 bytes span pieces 0 and 1: read_some gives piece 0's last 100 at once
    assert reader.read_some(1000) == data[piece - 100 : piece]
    assert reader.tell() == piece
    assert fetcher.applied()[1] == NEXT  # what it left to the next read leads the readahead

    handle = service.torrent(info.info_hash).handle
    priorities: list[int] = []  # of each piece while a read waited for it

    def deliver(number: int) -> None:
        if wait_until(lambda: fetcher.waiting == 1):  # a read waits for it
            priorities.append(handle.piece_priority(number))
        fetcher.on_read(number, data[number * piece : (number + 1) * piece], None)

    # ... and waits for the next piece when it has nothing of it yet
    handing = threading.Thread(target=deliver, args=(1,))
    handing.start()
    assert reader.read_some(1000) == data[piece : piece + 1000]
    handing.join()
    # at the top priority, though the read before asked for it and ended without it
    assert priorities == [NOW]
    # read() still returns every byte asked for: it waits for piece 3 as well
    fetcher.on_read(2, data[2 * piece : 3 * piece], None)
    reader.seek(3 * piece - 100)
    handing = threading.Thread(target=deliver, args=(3,))
    handing.start()
    assert reader.read(1000) == data[3 * piece - 100 : 3 * piece + 900]
    handing.join()
    assert priorities == [NOW, NOW]
    reader.close()
