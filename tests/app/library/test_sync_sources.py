"""Sync sources in the library: the seeded TMDB refresh, watched folders, validation."""

from __future__ import annotations

import pytest

from app.library.errors import DuplicateItem, InvalidValue, NotFound


def test_tmdb_source_is_there_from_the_start(library):
    (tmdb,) = library.sync_sources()
    assert (tmdb.name, tmdb.kind, tmdb.path, tmdb.mode, tmdb.interval_minutes) == (
        "tmdb",
        "tmdb",
        None,
        "poll",
        1440,
    )
    with pytest.raises(InvalidValue, match="cannot be removed"):
        library.remove_sync_source("tmdb")
    with pytest.raises(InvalidValue, match="mode must be one of poll, manual"):
        library.update_sync_source("tmdb", mode="watch")


def test_folders_are_added_named_changed_and_removed(library, tmp_path):
    changes = []
    library.add_listener(lambda: changes.append(1))
    downloads = library.add_folder_source(tmp_path / "downloads" / ".." / "downloads")
    assert (downloads.name, downloads.path, downloads.mode, downloads.interval_minutes) == (
        "folder-1",
        str(tmp_path / "downloads"),
        "watch",
        10,
    )
    movies = library.add_folder_source(str(tmp_path / "movies"), "poll", "30")
    assert movies.name == "folder-2" and movies.interval_minutes == 30
    with pytest.raises(DuplicateItem, match="already watched") as duplicate:
        library.add_folder_source(tmp_path / "downloads")
    assert duplicate.value.existing.name == "folder-1"
    assert [s.name for s in library.sync_sources()] == ["tmdb", "folder-1", "folder-2"]
    assert library.update_sync_source("folder-1", interval_minutes=0, mode="manual").mode == (
        "manual"
    )
    assert library.get_sync_source("folder-1").interval_minutes == 0
    library.remove_sync_source("folder-1")
    assert library.add_folder_source(tmp_path / "tv").name == "folder-3"
    with pytest.raises(NotFound):
        library.get_sync_source("folder-1")
    assert len(changes) == 5


@pytest.mark.parametrize("bad", [-1, 1.5, "1.5", "often", "", None, True])
def test_intervals_are_zero_or_at_least_one_minute(library, tmp_path, bad):
    folder = library.add_folder_source(tmp_path / "f")
    with pytest.raises(InvalidValue, match="must be 0 or at least 1 minute"):
        library.update_sync_source(folder.name, interval_minutes=bad if bad is not None else "")
    assert library.get_sync_source(folder.name).interval_minutes == 10  # nothing changed


def test_bad_folder_and_mode_are_refused(library):
    with pytest.raises(InvalidValue, match="path must not be empty"):
        library.add_folder_source("  ")
    with pytest.raises(InvalidValue, match="mode must be one of watch, poll, manual"):
        library.add_folder_source("/tmp/x", mode="sometimes")
    assert [s.name for s in library.sync_sources()] == ["tmdb"]


def test_a_run_is_remembered_without_waking_the_listeners(library):
    from datetime import UTC, datetime

    changes = []
    library.add_listener(lambda: changes.append(1))
    started, ended = datetime(2026, 1, 1, 12, tzinfo=UTC), datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
    library.record_sync_run(
        "tmdb", attempt=started, finished=ended, succeeded=ended, summary="ok", error=None
    )
    later = datetime(2026, 1, 2, 12, tzinfo=UTC)
    library.record_sync_run(
        "tmdb", attempt=later, finished=later, succeeded=None, summary=None, error="TMDB down"
    )
    tmdb = library.get_sync_source("tmdb")
    assert (tmdb.last_attempt, tmdb.last_finished, tmdb.last_success) == (later, later, ended)
    assert (tmdb.last_summary, tmdb.last_error) == ("ok", "TMDB down")
    assert changes == []  # the share's tree is not rebuilt for a sync's bookkeeping
