"""Watched folders against real files in tmp_path, a real library and a real torrent service."""

from __future__ import annotations

import asyncio
import os
import shutil

import libtorrent as lt
import pytest

from app.assign import Assigner
from app.sync.folder_scan import FolderUnavailable
from app.sync.folders import RETIRED_REASON, FolderSource
from app.torrents.service import TorrentService
from tests.app.torrents.conftest import loopback_torrent_settings
from tests.support.swarm import KiB, make_files, make_torrent

MOVIE = "Heat.1995.1080p.BluRay.x264-GRP.mkv"


def sync(source: FolderSource) -> str:
    return asyncio.run(source.sync())


def video(path, size: int = 64 * KiB, seed: int = 1):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes([seed % 256]) * size)
    return path


def torrent_file(folder, tmp_path, files: dict[str, int], as_name: str | None = None):
    """Write a real .torrent for generated files into folder; returns (path, info hash)."""
    content = tmp_path / f"content-{len(list(tmp_path.iterdir()))}"
    make_files(content, files)
    top = next(iter(files)).split("/")[0]
    data = make_torrent(content, top, 16 * KiB)
    path = folder / (as_name or f"{top}.torrent")
    path.write_bytes(data)
    return path, str(lt.torrent_info(lt.bdecode(data)).info_hashes().v1)


def active_local(library, item_type, item_id):
    row = library.active_assignment(item_type, item_id)
    assert row is not None and row.source_kind == "local"
    return row


# ---- videos ---------------------------------------------------------------------------------


def test_videos_added_changed_removed_apply_only_the_difference(library, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    dark = library.add_show("Dark", 2017, seasons={1: 3})
    episode = library.find_episode(dark.id, 1, 2)
    movie_file = video(folder / "Movies" / MOVIE, 300 * KiB)
    episode_file = video(folder / "Dark" / "Season 1" / "Dark.S01E02.720p.WEB-DL.mkv", 200 * KiB)
    sample = video(folder / "Movies" / "heat-sample.mkv", 10 * KiB)  # listed, never assigned
    (folder / "notes.txt").write_text("not a video")
    source = make_source(folder)

    assert sync(source) == "3 added; 2 assigned, 1 unmatched"
    row = active_local(library, "movie", heat.id)
    assert row.local_path == str(movie_file) and row.file_size == 300 * KiB
    assert (row.resolution, row.source, row.file_path) == ("1080p", "BluRay", MOVIE)
    assert active_local(library, "episode", episode.id).local_path == str(episode_file)
    assert [u["path"] for u in source.detail()["unmatched"]] == [str(sample)]

    assert sync(source) == "no changes; 1 unmatched"

    with open(movie_file, "ab") as handle:
        handle.write(b"x" * 1000)
    assert sync(source) == "1 changed; 1 unmatched"
    assert active_local(library, "movie", heat.id).file_size == 300 * KiB + 1000
    assert len(library.assignments_of("movie", heat.id)) == 1  # refreshed, not a second row

    episode_file.unlink()
    assert sync(source) == "1 removed; 1 deactivated, 1 unmatched"
    assert library.active_assignment("episode", episode.id) is None
    assert active_local(library, "movie", heat.id).local_path == str(movie_file)


def test_a_renamed_file_stays_its_items_source(library, folder, make_source):
    show = library.add_show("Dark", 2017, seasons={1: 3})
    first, second = (library.find_episode(show.id, 1, n) for n in (1, 2))
    double = video(folder / "Dark.S01E01E02.mkv", 90 * KiB)
    source = make_source(folder)
    assert sync(source) == "1 added; 2 assigned"  # one file holding two episodes
    assert active_local(library, "episode", first.id).local_path == str(double)
    assert active_local(library, "episode", second.id).local_path == str(double)

    renamed = folder / "Season 1" / "Dark (2017) - S01E01-E02.mkv"
    renamed.parent.mkdir()
    double.rename(renamed)
    assert sync(source) == "1 added, 1 removed; 2 assigned, 2 deactivated"
    assert active_local(library, "episode", first.id).local_path == str(renamed)
    assert active_local(library, "episode", second.id).local_path == str(renamed)


def test_first_scan_after_a_restart_changes_nothing(library, torrents, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    video(folder / MOVIE)
    video(folder / "Unknown.Film.2020.mkv")
    first = make_source(folder)
    assert sync(first) == "2 added; 1 assigned, 1 unmatched"
    rows = [(a.id, a.active, a.file_size) for a in library.local_assignments()]

    # a new source over the same folder (the app restarted): the saved scan says nothing
    # changed, and the unmatched file is listed again
    record = library.get_sync_source(first.name)
    again = FolderSource(library, torrents, Assigner(library, torrents), record)
    assert sync(again) == "no changes; 1 unmatched"
    assert [(a.id, a.active, a.file_size) for a in library.local_assignments()] == rows
    assert active_local(library, "movie", heat.id).id == rows[0][0]


def test_a_file_taken_off_the_share_is_not_assigned_again_by_itself(
    library, torrents, folder, make_source
):
    heat = library.add_movie("Heat", 1995)
    path = video(folder / MOVIE)
    source = make_source(folder)
    assert sync(source) == "1 added; 1 assigned"
    Assigner(library, torrents).unassign("movie", heat.id)  # the user's choice
    assert sync(source) == "no changes"

    # after a restart the file is looked at again: it must not come back on its own
    record = library.get_sync_source(source.name)
    again = FolderSource(library, torrents, Assigner(library, torrents), record)
    assert sync(again) == "no changes; 1 unmatched"
    assert library.active_assignment("movie", heat.id) is None
    [entry] = again.detail()["unmatched"]
    assert entry["path"] == str(path) and entry["reason"] == RETIRED_REASON

    # the Sync view's Assign brings it back
    library.assign_local("movie", heat.id, str(path), size=path.stat().st_size)
    assert sync(again) == "no changes"
    assert again.detail()["unmatched"] == []


def test_unmatched_videos_say_why_and_match_once_the_item_exists(library, folder, make_source):
    library.add_movie("Heat", 1995)
    library.add_movie("Heat", 1986)
    taken = library.add_movie("Alien", 1979)
    library.assign_local("movie", taken.id, str(video(folder.parent / "Alien.mkv")), size=1)
    show = library.add_show("Dark", 2017, seasons={1: 2})
    video(folder / "Heat.1080p.mkv")  # no year: two movies called Heat
    video(folder / "Alien.1979.mkv")
    video(folder / "Dark.S01E05.mkv")  # no such episode
    video(folder / "Brazil.1985.mkv")
    source = make_source(folder)

    assert sync(source) == "4 added; 4 unmatched"
    reasons = {os.path.basename(u["path"]): u for u in source.detail()["unmatched"]}
    assert reasons["Heat.1080p.mkv"]["reason"] == "2 movies match Heat: Heat (1986), Heat (1995)"
    assert reasons["Alien.1979.mkv"]["reason"] == "Alien (1979) already has a source"
    assert reasons["Dark.S01E05.mkv"]["reason"] == "Dark (2017) has no S01E05 in the library"
    assert reasons["Brazil.1985.mkv"]["reason"] == "no movie in the library matches Brazil (1985)"
    assert {u["kind"] for u in reasons.values()} == {"video"}
    assert library.active_assignment("episode", library.find_episode(show.id, 1, 1).id) is None

    brazil = library.add_movie("Brazil", 1985)
    assert sync(source) == "no changes; 1 assigned, 3 unmatched"  # unmatched files are retried
    assert active_local(library, "movie", brazil.id).local_path == str(folder / "Brazil.1985.mkv")
    assert "Brazil.1985.mkv" not in {
        os.path.basename(u["path"]) for u in source.detail()["unmatched"]
    }

    (folder / "Dark.S01E05.mkv").unlink()
    assert sync(source) == "1 removed; 2 unmatched"


def test_a_file_assigned_by_hand_leaves_the_unmatched_list(library, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    odd = video(folder / "some recording.mkv")
    source = make_source(folder)
    assert sync(source) == "1 added; 1 unmatched"
    library.assign_local("movie", heat.id, str(odd), size=odd.stat().st_size)
    assert sync(source) == "no changes"
    assert source.detail()["unmatched"] == []


# ---- .torrent files -------------------------------------------------------------------------


def test_torrent_files_are_added_assigned_and_moved(
    library, torrents, folder, tmp_path, make_source
):
    heat = library.add_movie("Heat", 1995)
    dark = library.add_show("Dark", 2017, seasons={1: 3})
    single, single_hash = torrent_file(folder, tmp_path, {MOVIE: 40 * KiB})
    pack, pack_hash = torrent_file(
        folder,
        tmp_path,
        {
            "Dark.S01.1080p.WEB-DL-GRP/Dark.S01E01.1080p.WEB-DL.mkv": 40 * KiB,
            "Dark.S01.1080p.WEB-DL-GRP/Dark.S01E02.1080p.WEB-DL.mkv": 40 * KiB,
        },
    )
    source = make_source(folder)

    assert sync(source) == "2 added; 3 assigned"
    assert not single.exists() and not pack.exists()
    assert sorted(os.listdir(folder / "processed")) == sorted([single.name, pack.name])
    movie_row = library.active_assignment("movie", heat.id)
    assert (movie_row.source_kind, movie_row.info_hash) == ("torrent", single_hash)
    assert movie_row.torrent_data == single.parent.joinpath("processed", single.name).read_bytes()
    for number in (1, 2):
        row = library.active_assignment("episode", library.find_episode(dark.id, 1, number).id)
        assert row.info_hash == pack_hash
        assert row.file_path.endswith(f"S01E0{number}.1080p.WEB-DL.mkv")
    assert library.active_assignment("episode", library.find_episode(dark.id, 1, 3).id) is None
    assert {torrents.get(single_hash).name, torrents.get(pack_hash).name} == {
        MOVIE,
        "Dark.S01.1080p.WEB-DL-GRP",
    }
    assert sync(source) == "no changes"  # processed/ is never scanned


def test_unmatched_torrent_waits_in_the_engine(library, torrents, folder, tmp_path, make_source):
    library.add_movie("Heat", 1995)
    library.add_movie("Heat", 1986)
    path, info_hash = torrent_file(folder, tmp_path, {"Heat.1080p.WEB.mkv": 40 * KiB})
    source = make_source(folder)

    assert sync(source) == "1 added; 1 unmatched"
    moved = folder / "processed" / path.name
    assert moved.exists() and not path.exists()
    assert torrents.get(info_hash) is not None  # in the Torrents view, unassigned
    assert library.assignments_for_hash(info_hash) == []
    assert source.detail()["unmatched"] == [
        {
            "path": str(moved),
            "kind": "torrent",
            "reason": "2 movies match Heat: Heat (1986), Heat (1995)",
        }
    ]

    # the same .torrent dropped again goes to processed/ under a free name, added only once
    path.write_bytes(moved.read_bytes())
    assert sync(source) == "1 added; 1 unmatched"
    again = folder / "processed" / f"{path.stem} (2).torrent"
    assert sorted(os.listdir(folder / "processed")) == sorted([path.name, again.name])
    assert [s.info_hash for s in torrents.list()] == [info_hash]
    assert [u["path"] for u in source.detail()["unmatched"]] == [str(again)]

    torrents.remove(info_hash)  # dealt with in the Torrents view: no longer listed
    assert sync(source) == "no changes"
    assert source.detail()["unmatched"] == []


def test_a_corrupt_torrent_goes_to_failed_with_the_reason(library, torrents, folder, make_source):
    (folder / "broken.torrent").write_bytes(b"d8:announce3:abc")  # cut short
    source = make_source(folder)

    assert sync(source) == "1 added; 1 failed"
    assert not (folder / "broken.torrent").exists()
    assert (folder / "failed" / "broken.torrent").read_bytes() == b"d8:announce3:abc"
    reason = (folder / "failed" / "broken.torrent.reason.txt").read_text()
    assert reason.strip() and "torrent" in reason.lower()
    assert torrents.list() == []
    assert sync(source) == "no changes"  # failed/ is never scanned


def test_a_torrent_waits_in_the_folder_while_the_engine_is_off(library, paths, folder, tmp_path):
    heat = library.add_movie("Heat", 1995)
    path, info_hash = torrent_file(folder, tmp_path, {MOVIE: 40 * KiB})
    service = TorrentService(loopback_torrent_settings(), paths, listen_interface="127.0.0.1")
    record = library.add_folder_source(folder, mode="manual")
    source = FolderSource(library, service, Assigner(library, service), record)

    summary = sync(source)
    assert summary.startswith("1 added; ") and "not added yet" in summary
    assert path.exists() and not (folder / "processed").exists()
    service.start()
    try:
        assert sync(source) == "1 added; 1 assigned"  # seen again, as new
        assert library.active_assignment("movie", heat.id).info_hash == info_hash
        assert not path.exists()
    finally:
        service.stop()


# ---- failures and nesting -------------------------------------------------------------------


def test_a_missing_folder_fails_and_changes_nothing(library, folder, tmp_path, make_source):
    heat = library.add_movie("Heat", 1995)
    video(folder / MOVIE)
    source = make_source(folder)
    assert sync(source) == "1 added; 1 assigned"

    folder.rename(tmp_path / "unmounted")
    with pytest.raises(FolderUnavailable, match="does not exist"):
        sync(source)
    assert active_local(library, "movie", heat.id)  # its items are left alone
    assert "does not exist" in source.detail()["error"]

    (tmp_path / "unmounted").rename(folder)
    assert sync(source) == "no changes"
    assert source.detail()["error"] is None


def test_an_unreadable_subfolder_fails_the_whole_scan(library, folder, make_source, monkeypatch):
    heat = library.add_movie("Heat", 1995)
    locked = folder / "locked"
    video(locked / MOVIE)
    source = make_source(folder)
    assert sync(source) == "1 added; 1 assigned"
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads any folder: make this one refuse as it would a user
        real_scandir = os.scandir

        def scandir(path):
            if os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        with pytest.raises(FolderUnavailable, match="cannot read"):
            sync(source)
        assert active_local(library, "movie", heat.id)
    finally:
        locked.chmod(0o755)


def test_a_file_where_the_folder_should_be(library, tmp_path, make_source):
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(FolderUnavailable, match="is not a folder"):
        sync(make_source(tmp_path / "plain"))


def test_nested_folders_the_most_specific_one_wins(
    library, torrents, folder, tmp_path, make_source
):
    heat = library.add_movie("Heat", 1995)
    alien = library.add_movie("Alien", 1979)
    inner_path = folder / "inner"
    video(inner_path / MOVIE)
    video(folder / "Alien.1979.mkv")
    outer = make_source(folder)
    inner = make_source(inner_path)

    assert sync(outer) == "1 added; 1 assigned"
    assert library.active_assignment("movie", heat.id) is None
    assert sync(inner) == "1 added; 1 assigned"
    assert active_local(library, "movie", heat.id).local_path == str(inner_path / MOVIE)

    # the inner folder goes away: only its own source may act on its files
    inner_path.rename(tmp_path / "inner-unmounted")
    assert sync(outer) == "no changes"
    assert active_local(library, "movie", heat.id)
    with pytest.raises(FolderUnavailable):
        sync(inner)
    assert active_local(library, "movie", alien.id)

    # without the inner source, the outer folder takes its files
    shutil.move(tmp_path / "inner-unmounted", inner_path)
    library.remove_sync_source(inner.name)
    assert sync(outer) == "1 added"
    assert active_local(library, "movie", heat.id).local_path == str(inner_path / MOVIE)
