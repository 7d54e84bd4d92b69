"""Persistence: torrents come back after a restart, also after kill -9, without re-downloading."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.torrents.store import TorrentState, TorrentStore
from tests.support.swarm import MiB, wait_until

REPO = Path(__file__).resolve().parents[3]

CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from app.paths import Paths
from tests.app.torrents.conftest import loopback_torrent_settings
from app.torrents.service import TorrentService

service = TorrentService(loopback_torrent_settings(), Paths.under(sys.argv[2]),
                         listen_interface="127.0.0.1")
service.start()
info = service.add(sys.argv[3])
with service.open_file(info.info_hash, 0) as reader:
    reader.read(3 * 1024 * 1024)
assert service.flush_resume()
print("READY", flush=True)
time.sleep(60)
"""


def read_range(service, info_hash, start, size):
    with service.open_file(info_hash, 0) as reader:
        reader.seek(start)
        return reader.read(size)


def test_restart_keeps_torrents_and_pieces(make_service, make_seeder, paths):
    seeder = make_seeder({"Movie/m.mkv": 16 * MiB})
    data = seeder.data("Movie/m.mkv")
    first = make_service()
    info = first.add(seeder.magnet)
    assert read_range(first, info.info_hash, 0, 3 * MiB) == data[: 3 * MiB]
    done = first.status(info.info_hash).pieces_done
    first.stop()
    uploaded = seeder.uploaded()
    seeder.stop()  # whatever comes back must come from our own disk

    again = make_service(at=paths)
    assert again.get(info.info_hash) == info
    # resume data is checked in the background: wait for it, not for any download
    assert wait_until(lambda: again.status(info.info_hash).pieces_done >= done, timeout=5)
    assert again.status(info.info_hash).last_streamed is not None
    assert read_range(again, info.info_hash, 0, 3 * MiB) == data[: 3 * MiB]
    assert uploaded > 0


def test_restart_after_kill_9(make_service, make_seeder, paths, tmp_path):
    seeder = make_seeder({"Movie/m.mkv": 16 * MiB})
    data = seeder.data("Movie/m.mkv")
    root = paths.config_dir.parent
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(REPO), str(root), seeder.magnet],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "READY", child.stderr.read() if child.poll() is not None else line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    seeder.stop()

    again = make_service(at=paths)
    wanted = 3 * MiB // (256 * 1024)
    assert wait_until(lambda: again.status(seeder.info_hash).pieces_done >= wanted, timeout=5)
    started = time.monotonic()
    assert read_range(again, seeder.info_hash, 0, 3 * MiB) == data[: 3 * MiB]
    assert time.monotonic() - started < 2


def test_state_file_round_trip_and_bad_files(tmp_path):
    store = TorrentStore(tmp_path / "resume")
    info_hash = "ab" * 20
    assert store.load_state(info_hash) == TorrentState()
    store.save_state(info_hash, TorrentState(keep_full_copy=True, last_streamed=12.5))
    assert store.flush()
    assert store.load_state(info_hash) == TorrentState(True, 12.5)
    store.save_state(info_hash, TorrentState(True, 12.5, [("127.0.0.1", 6881)]))
    assert store.flush()
    assert store.load_state(info_hash).peers == [("127.0.0.1", 6881)]
    assert json.loads((tmp_path / "resume" / f"{info_hash}.state.json").read_text()) == {
        "keep_full_copy": True,
        "last_streamed": 12.5,
        "peers": [["127.0.0.1", 6881]],
    }
    (tmp_path / "resume" / f"{info_hash}.state.json").write_text("{not json")
    assert store.load_state(info_hash) == TorrentState()
    store.save_resume(info_hash, b"d1:ai1ee")
    assert store.flush()
    assert store.resume_files() == {info_hash: b"d1:ai1ee"}
    assert not list((tmp_path / "resume").glob("*.tmp"))
    store.forget(info_hash)
    assert store.resume_files() == {} and not list((tmp_path / "resume").iterdir())


def test_writes_run_on_their_own_thread_newest_first_and_forget_wins(tmp_path, monkeypatch):
    # fsync can take seconds on a busy disk: the engine thread only queues the write
    store = TorrentStore(tmp_path / "resume")
    info_hash = "ab" * 20
    release = threading.Event()
    syncing = threading.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        syncing.set()
        release.wait(30)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    done = []
    store.save_resume(info_hash, b"first", lambda ok: done.append(("first", ok)))
    assert syncing.wait(10)  # the writer is stuck in fsync, the caller is not
    store.save_resume(info_hash, b"second", lambda ok: done.append(("second", ok)))
    store.save_resume(info_hash, b"third", lambda ok: done.append(("third", ok)))
    assert done == []
    release.set()
    assert store.flush()
    # the queued "second" was replaced by "third" before it was written: one write, two calls
    assert done == [("first", True), ("second", True), ("third", True)]
    assert store.resume_files() == {info_hash: b"third"}

    release.clear()
    syncing.clear()
    store.save_state("cd" * 20, TorrentState())
    assert syncing.wait(10)
    store.save_resume(info_hash, b"fourth")
    store.forget(info_hash)  # a removal drops the queued write: the torrent stays gone
    release.set()
    assert store.close()
    assert store.resume_files() == {}


def test_a_failed_write_is_reported_to_its_caller(tmp_path):
    store = TorrentStore(tmp_path / "resume")
    results = []
    store.folder.chmod(0o500)  # not writable
    try:
        if os.access(store.folder, os.W_OK):  # root ignores the mode
            store.folder.chmod(0o700)
            store.folder.rmdir()
            store.folder.write_text("a file where the folder was")
        store.save_resume("ab" * 20, b"data", results.append)
        assert store.flush()
    finally:
        if store.folder.is_dir():
            store.folder.chmod(0o700)
    assert results == [False]


def test_unreadable_resume_data_is_skipped(make_service, paths):
    store = TorrentStore(paths.resume_dir)
    store.save_resume("cd" * 20, b"this is not bencoded")
    assert store.flush()
    service = make_service()
    assert service.list() == []
