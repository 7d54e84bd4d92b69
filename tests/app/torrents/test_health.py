"""Stall detection and recovery, with a seeder that really goes away and comes back."""

from __future__ import annotations

import threading

from app.torrents.health import NEWS_SECONDS, HealthMonitor, latest
from app.torrents.status import HealthEvent
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, MiB, wait_until


def test_monitor_flags_a_stall_retries_and_sees_the_recovery():
    monitor = HealthMonitor()
    assert monitor.check(True, 1, now=0, stall_timeout=10) is None
    assert monitor.check(True, 1, now=9, stall_timeout=10) is None
    assert monitor.check(True, 1, now=10, stall_timeout=10) == "stalled"
    assert monitor.stalled
    assert monitor.check(True, 1, now=15, stall_timeout=10) is None
    assert monitor.check(True, 1, now=20, stall_timeout=10) == "retry"
    assert monitor.check(True, 2, now=21, stall_timeout=10) == "recovered"
    assert not monitor.stalled
    assert [e.kind for e in monitor.history()] == ["stalled", "recovered"]


def test_monitor_ignores_torrents_that_want_nothing():
    monitor = HealthMonitor()
    for now in range(0, 100, 10):
        assert monitor.check(False, 1, now=now, stall_timeout=5) is None
    assert not monitor.stalled and monitor.history() == ()


def test_stalled_read_is_flagged_recovered_and_recorded(make_service, make_seeder):
    service = make_service(loopback_torrent_settings(stall_timeout=5, read_timeout=30))
    seeder = make_seeder({"Movie/m.mkv": 32 * MiB}, piece_length=512 * KiB)
    data = seeder.data("Movie/m.mkv")
    info = service.add(seeder.magnet)
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    reader = service.open_file(info.info_hash, 0)
    reader.read(100)
    seeder.stop()
    result = {}

    def read_far():
        reader.seek(24 * MiB)
        try:
            result["data"] = reader.read(MiB)
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=read_far)
    thread.start()
    try:
        assert wait_until(lambda: service.status(info.info_hash).stalled, timeout=10)
        kinds = [e.kind for e in service.status(info.info_hash).health]
        assert kinds[:2] == ["stalled", "recovery"]
        assert "stalled" in events
        seeder.start()  # same port: recovery reconnects the peer it knew
        thread.join(20)
        assert result.get("data") == data[24 * MiB : 25 * MiB], result
        assert wait_until(lambda: not service.status(info.info_hash).stalled, timeout=5)
        history = service.status(info.info_hash).health
        assert history[-1].kind == "recovered" and history[-1].time >= history[0].time
        assert "recovered" in events
    finally:
        thread.join(30)
        reader.close()


def test_a_disk_error_is_reported_and_resume_retries(make_service, make_seeder, paths):
    import pytest

    from app.torrents.errors import StorageError

    # a read waiting for data that cannot be written or read fails with the reason at once,
    # long before its read timeout and not as "no peer is sending it"
    service = make_service(loopback_torrent_settings(read_timeout=60))
    seeder = make_seeder({"Movie/m.mkv": 2 * MiB})
    blocker = paths.default_storage_dir / "Movie" / "m.mkv"
    blocker.mkdir(parents=True)  # a folder where the file must go: writing fails
    events = []
    service.add_listener(lambda event, info_hash: events.append(event))
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        with pytest.raises(StorageError, match="m.mkv") as raised:
            reader.read(100)
        assert "Is a directory" in str(raised.value) and not raised.value.disk_full
        with pytest.raises(StorageError):  # and so does the next one, until a resume
            reader.read(100)
    status = service.status(info.info_hash)
    assert status.state == "error" and status.error
    # the status shows libtorrent's error at once; its alert reaches the history on the engine
    # thread, which a busy machine may run a moment later
    assert wait_until(lambda: "error" in [e.kind for e in service.status(info.info_hash).health])
    assert wait_until(lambda: "error" in events)

    blocker.rmdir()
    service.resume(info.info_hash)
    with service.open_file(info.info_hash, 0) as reader:
        assert reader.read(100) == seeder.data("Movie/m.mkv")[:100]
    assert service.status(info.info_hash).error is None


def test_a_seeder_back_on_its_address_after_a_long_absence_is_reconnected(
    make_service, make_seeder
):
    # the default stall timeout (60 s) is far beyond the read timeout: the recovery has to
    # follow the read timeout, and libtorrent must not have given up on the address while the
    # seeder was away (it stops after a few failed connects by default)
    # a small disk budget keeps the background fetch to 4 MiB ahead of the first read, so the
    # far read below needs the seeder
    settings = loopback_torrent_settings(stall_timeout=60, read_timeout=30, cache_budget_mib=8)
    service = make_service(settings)
    seeder = make_seeder({"Movie/m.mkv": 48 * MiB})
    info = service.add(seeder.magnet)
    with service.open_file(info.info_hash, 0) as reader:
        assert reader.read(100) == seeder.data("Movie/m.mkv")[:100]
    seeder.stop()
    assert wait_until(lambda: service.status(info.info_hash).peers == 0, timeout=30)
    result = {}

    def read_far():
        with service.open_file(info.info_hash, 0) as far:
            far.seek(40 * MiB)
            try:
                result["data"] = far.read(64 * KiB)
            except Exception as exc:
                result["error"] = exc

    thread = threading.Thread(target=read_far)
    thread.start()
    try:
        # the read waits with the seeder away: stalled long before the 60 s stall timeout
        assert wait_until(lambda: service.status(info.info_hash).stalled, timeout=25)
        seeder.start()  # the same address
        thread.join(30)
        assert result.get("data") == seeder.data("Movie/m.mkv")[40 * MiB : 40 * MiB + 64 * KiB]
    finally:
        thread.join(30)


def test_storage_errors_are_told_in_words():
    import errno

    from app.torrents.errors import storage_error

    full = storage_error(errno.ENOSPC, "No space left on device", "/data/m.mkv")
    assert full.disk_full and str(full) == "the disk is full: cannot write /data/m.mkv"
    denied = storage_error(errno.EACCES, "Permission denied", "/data/m.mkv")
    assert not denied.disk_full
    assert str(denied) == "cannot write the download folder: /data/m.mkv: Permission denied"


def test_the_last_event_is_news_for_a_minute_then_the_torrent_is_just_good():
    recovered = HealthEvent(time=1000.0, kind="recovered", message="data is arriving again")
    events = (HealthEvent(time=900.0, kind="stalled", message="no data"), recovered)
    assert latest(events, now=1000.0) == recovered
    assert latest(events, now=1000.0 + NEWS_SECONDS - 1) == recovered
    assert latest(events, now=1000.0 + NEWS_SECONDS) is None
    assert latest((), now=1000.0) is None
