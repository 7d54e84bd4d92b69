"""Resume data: portable across data folders, rejected when it is another torrent's, and what a
crash or a changed file leaves on disk is checked before a player gets it."""

from __future__ import annotations

import shutil

from app.paths import Paths
from app.torrents.store import TorrentStore
from tests.support.swarm import MiB, wait_until

MOVIE = "Movie/m.mkv"


def read_range(service, info_hash, start, size):
    with service.open_file(info_hash, 0) as reader:
        reader.seek(start)
        return reader.read(size)


def download_all(make_service, seeder, paths):
    first = make_service(at=paths)
    info = first.add(seeder.magnet)
    size = len(seeder.data(MOVIE))
    assert read_range(first, info.info_hash, 0, size) == seeder.data(MOVIE)
    assert wait_until(lambda: first.status(info.info_hash).progress == 1.0)
    first.stop()
    return info


def test_a_moved_data_folder_reads_its_own_files(make_service, make_seeder, tmp_path):
    seeder = make_seeder({MOVIE: 4 * MiB})
    old = Paths.under(tmp_path / "old")
    info = download_all(make_service, seeder, old)
    seeder.stop()  # every byte must now come from the moved folder
    shutil.move(tmp_path / "old", tmp_path / "new")

    moved = Paths.under(tmp_path / "new")
    service = make_service(at=moved)
    assert wait_until(lambda: service.status(info.info_hash).progress == 1.0, timeout=10)
    assert read_range(service, info.info_hash, 3 * MiB, MiB) == seeder.data(MOVIE)[3 * MiB :]
    assert not (tmp_path / "old").exists()  # nothing was written to the old place


def test_a_copied_data_folder_does_not_read_the_original(make_service, make_seeder, tmp_path):
    seeder = make_seeder({MOVIE: 4 * MiB})
    original = Paths.under(tmp_path / "original")
    info = download_all(make_service, seeder, original)
    shutil.copytree(tmp_path / "original", tmp_path / "copy")
    shutil.rmtree(original.default_storage_dir)  # the original's payload is gone

    copy = Paths.under(tmp_path / "copy")
    service = make_service(at=copy)
    assert wait_until(lambda: service.status(info.info_hash).progress == 1.0, timeout=10)
    assert not original.default_storage_dir.exists()


def test_resume_data_of_another_torrent_is_rejected(make_service, make_seeder, paths, caplog):
    seeder = make_seeder({MOVIE: MiB})
    info = download_all(make_service, seeder, paths)
    wrong = "00" * 20
    (paths.resume_dir / f"{info.info_hash}.resume").rename(paths.resume_dir / f"{wrong}.resume")

    service = make_service(at=paths)
    assert service.list() == []
    assert f"{wrong}.resume: it holds torrent {info.info_hash}" in caplog.text


def test_damaged_bytes_on_disk_are_fetched_again(make_service, make_seeder, paths):
    seeder = make_seeder({MOVIE: 4 * MiB})
    info = download_all(make_service, seeder, paths)
    data_file = paths.default_storage_dir / MOVIE
    damaged = bytearray(data_file.read_bytes())
    for i in range(64):  # 64 flipped bytes in the middle of the file
        damaged[2 * MiB + i * 997] ^= 0xFF
    data_file.write_bytes(damaged)

    # a clean stop: libtorrent trusts its resume data, only the read-time check can notice
    service = make_service(at=paths)
    assert (
        read_range(service, info.info_hash, 2 * MiB, MiB) == seeder.data(MOVIE)[2 * MiB : 3 * MiB]
    )
    assert "damaged" in [event.kind for event in service.status(info.info_hash).health]
    assert wait_until(lambda: service.status(info.info_hash).progress == 1.0, timeout=20)
    assert read_range(service, info.info_hash, 0, 4 * MiB) == seeder.data(MOVIE)


def test_after_an_unclean_stop_every_piece_is_checked(make_service, make_seeder, paths):
    seeder = make_seeder({MOVIE: 4 * MiB})
    info = download_all(make_service, seeder, paths)
    data_file = paths.default_storage_dir / MOVIE
    data_file.write_bytes(bytes(data_file.stat().st_size))  # zeroed, same size
    (paths.resume_dir / "running").touch()  # what a crash or kill -9 leaves behind
    seeder.stop()  # nothing can be fetched again: the check alone must find the damage

    service = make_service(at=paths)
    assert wait_until(lambda: service.status(info.info_hash).pieces_done == 0, timeout=20)
    assert service.status(info.info_hash).progress == 0.0

    service.stop()
    assert not (paths.resume_dir / "running").exists()  # a clean stop clears the mark


def test_a_clean_stop_leaves_no_mark(tmp_path):
    store = TorrentStore(tmp_path / "resume")
    assert store.mark_running() is False
    assert store.mark_running() is True  # the previous "run" never stopped
    store.mark_stopped()
    assert store.mark_running() is False
