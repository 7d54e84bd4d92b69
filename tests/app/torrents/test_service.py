"""TorrentService against real loopback swarms: adding, finding, removing, status, control."""

from __future__ import annotations

import threading
import time

import pytest

from app.torrents.errors import (
    InvalidTorrent,
    MetadataTimeout,
    ReadAbandoned,
    TorrentError,
    TorrentNotFound,
)
from app.torrents.pieces import NOW
from app.torrents.status import PIECE_HAVE
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, wait_until


def test_magnet_to_metadata_describes_every_file(service, make_seeder):
    seeder = make_seeder({"Show/e1.mkv": 3 * MiB, "Show/e2.mkv": 2 * MiB + 7, "Show/x.nfo": 100})
    info = service.add(seeder.magnet)
    assert info.info_hash == seeder.info_hash
    assert info.name == "Show"
    assert info.total_size == 5 * MiB + 107
    assert info.piece_length == 256 * KiB and info.num_pieces == 21
    files = {f.path: f for f in info.files}
    assert set(files) == {"Show/e1.mkv", "Show/e2.mkv", "Show/x.nfo"}
    assert files["Show/e2.mkv"].size == 2 * MiB + 7
    assert sorted(f.offset for f in info.files) == [0, *sorted(f.offset for f in info.files)[1:]]
    assert service.get(seeder.info_hash) == info
    assert service.get(seeder.info_hash.upper()) == info


def test_torrent_bytes_add_without_any_peer(service, tmp_path):
    from tests.support.swarm import Seeder

    seeder = Seeder(tmp_path, {"Movie/m.mkv": MiB})  # never started: metadata is in the file
    info = service.add(seeder.torrent_bytes, timeout=2)
    assert info.info_hash == seeder.info_hash and info.files[0].path == "Movie/m.mkv"


def test_bad_sources_fail_clearly_and_add_nothing(service):
    for bad in (
        "magnet:?xt=urn:btih:nothex",
        "magnet:?dn=name-only",
        "not a torrent",
        b"",
        b"d4:infod4:name1:xee",
        b"\x00garbage",
        42,
    ):
        with pytest.raises(InvalidTorrent) as caught:
            service.add(bad)
        assert str(caught.value)
        with pytest.raises(InvalidTorrent):
            service.parse_source(bad)
    assert service.list() == []


def test_parse_source_gives_the_hash_without_adding(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": MiB})
    assert service.parse_source(seeder.magnet) == seeder.info_hash
    assert service.parse_source(seeder.torrent_bytes) == seeder.info_hash
    assert service.parse_source(seeder.info_hash.upper()) == seeder.info_hash
    assert service.list() == []


def test_metadata_timeout_removes_the_half_added_torrent(service):
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&x.pe=127.0.0.1:9"
    started = time.monotonic()
    with pytest.raises(MetadataTimeout) as caught:
        service.add(magnet, timeout=1.5)
    assert 1.4 < time.monotonic() - started < 5
    assert "metadata" in str(caught.value)
    assert service.list() == [] and service.get("ab" * 20) is None


def test_concurrent_adds_of_one_torrent_share_one_add(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 2 * MiB})
    added = []
    service.add_listener(lambda event, info_hash: event == "added" and added.append(info_hash))
    results, errors = [], []
    barrier = threading.Barrier(8)

    def add(source):
        barrier.wait()
        try:
            results.append(service.add(source))
        except Exception as exc:
            errors.append(exc)

    sources = [seeder.magnet, seeder.torrent_bytes] * 4
    threads = [threading.Thread(target=add, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(results) == 8 and len(set(results)) == 1
    assert added == [seeder.info_hash]
    assert len(service.list()) == 1


def test_get_or_add(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": MiB})
    other = make_seeder({"Other/o.mkv": MiB}, seed=7)
    with pytest.raises(InvalidTorrent):
        service.get_or_add(seeder.info_hash, other.magnet)
    first = service.get_or_add(seeder.info_hash, seeder.magnet)
    assert service.get_or_add(seeder.info_hash, "not even parsed when known") == first


def test_status_and_list(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 4 * MiB})
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        reader.read(MiB)
        status = service.status(info.info_hash)
        assert status.active_readers == 1 and status.streaming_files == {0}
    assert wait_until(lambda: service.status(info.info_hash).pieces_done == info.num_pieces)
    status = service.status(info.info_hash)
    assert status.name == "Movie" and status.total_size == 4 * MiB
    assert status.progress == pytest.approx(1.0)
    assert status.state in ("finished", "seeding")
    assert wait_until(lambda: "finished" in events)  # the whole torrent is here
    assert status.num_pieces == info.num_pieces and status.error is None
    assert status.pieces == bytes([PIECE_HAVE]) * info.num_pieces
    assert status.last_streamed is not None and status.active_readers == 0
    assert status.streaming_files == frozenset()
    assert not status.stalled and not status.keep_full_copy
    assert [s.info_hash for s in service.list()] == [info.info_hash]
    with pytest.raises(TorrentNotFound):
        service.status("00" * 20)
    with pytest.raises(TorrentNotFound):
        service.status("bogus")


def test_remove_keeps_or_deletes_data(service, make_seeder, paths):
    seeder = make_seeder({"Movie/m.mkv": 2 * MiB})
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        reader.read()
    data_file = paths.default_storage_dir / "Movie" / "m.mkv"
    assert wait_until(data_file.exists)
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    service.remove(info.info_hash)
    assert service.get(info.info_hash) is None and data_file.exists()
    assert "removed" in events
    assert not list(paths.resume_dir.glob(f"{info.info_hash}*"))
    with pytest.raises(TorrentNotFound):
        service.remove(info.info_hash)

    info = service.add(seeder.magnet)
    service.remove(info.info_hash, delete_data=True)
    assert wait_until(lambda: not data_file.exists())


def test_open_file_errors(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": MiB})
    info = service.add(seeder.magnet)
    with pytest.raises(TorrentError):
        service.open_file(info.info_hash, 5)
    with pytest.raises(TorrentNotFound):
        service.open_file("cd" * 20, 0)


def test_removing_a_torrent_fails_its_readers(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 8 * MiB})
    info = service.add(seeder.magnet)
    reader = service.open_file(info.info_hash, 0)
    reader.read(10)
    service.remove(info.info_hash)
    reader.seek(5 * MiB)
    with pytest.raises(TorrentError):
        reader.read(10)
    reader.close()


def test_a_read_whose_client_left_stops_waiting_and_leaves_the_reader_usable(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 8 * MiB})
    info = service.add(seeder.magnet)
    left = threading.Event()
    reader = service.open_file(info.info_hash, 0, gone=left.is_set)
    fetcher = service.torrent(info.info_hash).fetcher
    seeder.stop()  # nothing arrives: the read waits (its timeout is 20 s) until the client goes
    outcome: list[Exception] = []

    def read() -> None:
        try:
            reader.read(10)
        except Exception as exc:  # handed to the test's thread
            outcome.append(exc)

    reading = threading.Thread(target=read)
    reading.start()
    assert wait_until(lambda: fetcher.waiting == 1)
    left.set()
    reading.join(10)
    assert not reading.is_alive()
    assert [type(e) for e in outcome] == [ReadAbandoned]
    assert fetcher.waiting == 0
    assert fetcher.applied()[0] < NOW  # the read's piece has only the reader's pins now
    reader.close()
    assert service.status(info.info_hash).active_readers == 0


def test_keep_full_copy_downloads_everything_and_is_remembered(make_service, make_seeder, paths):
    seeder = make_seeder({"Show/e1.mkv": 6 * MiB, "Show/e2.mkv": 6 * MiB})
    service = make_service()
    info = service.add(seeder.magnet)
    time.sleep(0.5)
    assert service.status(info.info_hash).pieces_done == 0  # on demand: nothing yet
    service.set_keep_full_copy(info.info_hash, True)
    assert wait_until(lambda: service.status(info.info_hash).pieces_done == info.num_pieces, 15)
    assert service.status(info.info_hash).keep_full_copy
    service.stop()
    again = make_service(at=paths)
    assert again.status(info.info_hash).keep_full_copy
    assert again.status(info.info_hash).pieces_done == info.num_pieces


def test_pause_resume_and_listeners(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 4 * MiB})
    events = []
    service.add_listener(lambda event, info_hash: events.append((event, info_hash)))
    service.add_listener(lambda event, info_hash: 1 / 0)  # a broken listener harms nobody
    info = service.add(seeder.magnet)
    assert ("added", info.info_hash) in events and ("metadata", info.info_hash) in events
    service.pause_all()
    status = service.status(info.info_hash)
    assert status.paused and status.state == "paused"
    service.resume_all()
    assert wait_until(lambda: not service.status(info.info_hash).paused)
    service.reannounce(info.info_hash)
    service.recheck(info.info_hash)
    with service.open_file(info.info_hash, 0) as reader:
        assert reader.read() == seeder.data("Movie/m.mkv")


def test_apply_settings_is_live(service):
    settings = loopback_torrent_settings(download_rate_limit_kib=100, connections_limit=77)
    service.apply_settings(settings)
    live = service.engine.session.get_settings()
    assert live["download_rate_limit"] == 100 * 1024 and live["connections_limit"] == 77
    assert live["close_redundant_connections"] is False and live["min_reconnect_time"] == 1


def test_add_before_start_is_refused(paths):
    from app.torrents.service import TorrentService

    service = TorrentService(loopback_torrent_settings(), paths, listen_interface="127.0.0.1")
    with pytest.raises(TorrentError):
        service.add("magnet:?xt=urn:btih:" + "ab" * 20)


def test_a_torrent_file_completes_a_magnet_waiting_for_metadata(service, tmp_path):
    from tests.support.swarm import Seeder

    seeder = Seeder(tmp_path, {"Movie/m.mkv": MiB}, port=9)  # nobody answers the magnet
    results = []
    waiting = threading.Thread(target=lambda: results.append(service.add(seeder.magnet)))
    waiting.start()
    assert wait_until(lambda: service.list() != [])
    info = service.add(seeder.torrent_bytes)
    waiting.join(10)
    assert results == [info] and info.files[0].path == "Movie/m.mkv"
