"""Idle mode against a real swarm: quiet torrents stop transferring; the next read is fast."""

from __future__ import annotations

import time

import libtorrent as lt

from app.torrents import idle
from app.torrents.torrent import IDLE_PAUSED, UPLOAD_ONLY
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, wait_until


def timed_read(service, info_hash, offset, size=MiB):
    with service.open_file(info_hash, 0) as reader:
        reader.seek(offset)
        started = time.monotonic()
        data = reader.read(size)
        return data, time.monotonic() - started


def test_idle_torrent_pauses_then_wakes_fast_on_read(make_service, make_seeder):
    # regression for the second ~60 s stall: pause/resume waited out min_reconnect_time, and
    # a finished torrent never reconnected to its seed
    service = make_service(loopback_torrent_settings(idle_timeout=5, idle_pause_timeout=6))
    seeder = make_seeder({"Movie/m.mkv": 32 * MiB}, piece_length=512 * KiB)
    data = seeder.data("Movie/m.mkv")
    info = service.add(seeder.magnet)
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    assert timed_read(service, info.info_hash, 0)[0] == data[:MiB]
    assert wait_until(lambda: service.status(info.info_hash).paused, timeout=12)
    status = service.status(info.info_hash)
    assert status.state == "idle" and status.peers == 0 and "state" in events
    sent = seeder.uploaded()
    time.sleep(1)
    assert seeder.uploaded() == sent

    got, elapsed = timed_read(service, info.info_hash, 20 * MiB)
    assert got == data[20 * MiB : 21 * MiB]
    assert elapsed < 3
    assert not service.status(info.info_hash).paused


def test_upload_mode_after_a_short_idle_then_wake(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 16 * MiB})
    data = seeder.data("Movie/m.mkv")
    info = service.add(seeder.magnet)
    timed_read(service, info.info_hash, 0)
    mt = service.torrent(info.info_hash)
    later = time.monotonic() + service.settings.idle_timeout + 1
    assert idle.idle_step(mt, service.settings, later) == UPLOAD_ONLY
    assert mt.handle.flags() & lt.torrent_flags.upload_mode
    assert service.status(info.info_hash).state == "idle"
    got, elapsed = timed_read(service, info.info_hash, 9 * MiB)
    assert got == data[9 * MiB : 10 * MiB] and elapsed < 3
    assert not mt.handle.flags() & lt.torrent_flags.upload_mode


def test_user_pause_then_read_is_fast(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 16 * MiB})
    data = seeder.data("Movie/m.mkv")
    info = service.add(seeder.magnet)
    timed_read(service, info.info_hash, 0)
    service.pause(info.info_hash)
    assert wait_until(lambda: service.status(info.info_hash).peers == 0)
    got, elapsed = timed_read(service, info.info_hash, 12 * MiB)
    assert got == data[12 * MiB : 13 * MiB] and elapsed < 3


def test_no_idling_when_disabled_or_while_reading(service, make_seeder):
    seeder = make_seeder({"Movie/m.mkv": 4 * MiB})
    info = service.add(seeder.magnet)
    mt = service.torrent(info.info_hash)
    far = time.monotonic() + 10_000
    disabled = loopback_torrent_settings(idle_enabled=False)
    assert idle.idle_step(mt, disabled, far) is None
    assert idle.idle_step(mt, service.settings, time.monotonic()) is None
    assert idle.idle_step(mt, service.settings, far) == IDLE_PAUSED


def test_start_paused_keeps_torrents_quiet_until_streamed(make_service, make_seeder, paths):
    seeder = make_seeder({"Movie/m.mkv": 8 * MiB})
    data = seeder.data("Movie/m.mkv")
    first = make_service()
    info = first.add(seeder.magnet)
    timed_read(first, info.info_hash, 0)
    first.stop()
    again = make_service(loopback_torrent_settings(start_paused=True), at=paths)
    assert again.status(info.info_hash).paused
    got, elapsed = timed_read(again, info.info_hash, 6 * MiB)
    assert got == data[6 * MiB : 7 * MiB] and elapsed < 3


def test_active_limit_pauses_the_least_recently_read(make_service, make_seeder):
    service = make_service(loopback_torrent_settings(active_limit=1))
    first = make_seeder({"One/a.mkv": MiB}, seed=1)
    second = make_seeder({"Two/b.mkv": MiB}, seed=2)
    one = service.add(first.magnet)
    timed_read(service, one.info_hash, 0, 10)
    time.sleep(0.05)
    two = service.add(second.magnet)
    timed_read(service, two.info_hash, 0, 10)
    assert wait_until(lambda: service.status(one.info_hash).paused, timeout=5)
    assert not service.status(two.info_hash).paused
    got, elapsed = timed_read(service, one.info_hash, 0, 1000)
    assert got == first.data("One/a.mkv")[:1000] and elapsed < 3
