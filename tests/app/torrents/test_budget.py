"""Disk budget: the least recently streamed torrents lose their data first, and come back."""

from __future__ import annotations

import time

import pytest

from app.torrents.budget import Usage, choose_evictions
from app.torrents.store import TorrentStore
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import MiB, wait_until


def test_choose_evictions_oldest_first_until_it_fits():
    usage = [
        Usage("new", 40, last_streamed=300.0, protected=False),
        Usage("old", 30, last_streamed=100.0, protected=False),
        Usage("never", 20, last_streamed=None, protected=False),
        Usage("open", 50, last_streamed=50.0, protected=True),
    ]
    assert choose_evictions(usage, budget_bytes=0) == []  # 0 means unlimited
    assert choose_evictions(usage, budget_bytes=200) == []
    assert choose_evictions(usage, budget_bytes=120) == ["never"]
    assert choose_evictions(usage, budget_bytes=110) == ["never", "old"]
    assert choose_evictions(usage, budget_bytes=10) == ["never", "old", "new"]


def read_all(service, info_hash):
    with service.open_file(info_hash, 0) as reader:
        return reader.read()


def test_over_budget_deletes_the_least_recently_streamed(make_service, make_seeder, paths):
    service = make_service(loopback_torrent_settings(cache_budget_mib=12))
    old = make_seeder({"Old/old.mkv": 8 * MiB}, seed=1)
    new = make_seeder({"New/new.mkv": 8 * MiB}, seed=2)
    old_info = service.add(old.magnet)
    new_info = service.add(new.magnet)
    assert read_all(service, old_info.info_hash) == old.data("Old/old.mkv")
    time.sleep(0.05)
    assert read_all(service, new_info.info_hash) == new.data("New/new.mkv")

    assert wait_until(lambda: service.status(old_info.info_hash).pieces_done == 0, timeout=12)
    assert not (paths.default_storage_dir / "Old" / "old.mkv").exists()
    old_status = service.status(old_info.info_hash)
    assert old_status.health[-1].kind == "evicted"
    assert service.status(new_info.info_hash).pieces_done == new_info.num_pieces
    assert service.get(old_info.info_hash) == old_info  # still known

    # streaming it again fetches it again
    assert read_all(service, old_info.info_hash) == old.data("Old/old.mkv")
    state = TorrentStore(paths.resume_dir).load_state(old_info.info_hash)
    assert state.last_streamed is not None


def test_open_readers_and_full_copies_are_never_evicted(make_service, make_seeder):
    service = make_service(loopback_torrent_settings(cache_budget_mib=1))
    seeder = make_seeder({"Movie/m.mkv": 4 * MiB})
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        reader.read()
        time.sleep(6)  # longer than one budget round
        assert service.status(info.info_hash).pieces_done == info.num_pieces
    service.set_keep_full_copy(info.info_hash, True)
    time.sleep(6)
    assert service.status(info.info_hash).pieces_done == info.num_pieces


def test_a_reader_opened_as_an_eviction_begins_is_refused_not_broken(make_service, make_seeder):
    # the window between open_file's availability wait and its reader count: an eviction that
    # starts there must make the open fail with a "try again" (the share's 503), not hand out
    # a reader over data being deleted
    from app.torrents.errors import TorrentError

    service = make_service()
    seeder = make_seeder({"Movie/m.mkv": MiB})
    info = service.add(seeder.magnet)
    mt = service._get(info.info_hash)
    with mt.lock:
        mt.evicting = True  # what _evict sets; `available` is still set, as in the race
    try:
        with pytest.raises(TorrentError, match="being cleaned up"):
            service.open_file(info.info_hash, 0)
        assert mt.readers == 0
    finally:
        with mt.lock:
            mt.evicting = False
    with service.open_file(info.info_hash, 0) as reader:
        assert reader.read(100) == seeder.data("Movie/m.mkv")[:100]
