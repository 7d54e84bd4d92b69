"""Files on disk as sources: local assignments next to torrent ones."""

from __future__ import annotations

import pytest

from app.library.errors import InvalidValue

HASH = "ab" * 20


def test_local_file_becomes_the_active_source_and_shows_in_the_share_entries(library, tmp_path):
    movie = library.add_movie("Heat", 1995)
    library.assign(
        "movie", movie.id, info_hash=HASH, file_index=0, file_path="Heat/heat.mkv", file_size=9
    )
    path = tmp_path / "Heat (1995)" / "Heat.1995.1080p.mkv"
    local = library.assign_local("movie", movie.id, path, size=1234, resolution="1080p")
    assert (local.source_kind, local.info_hash, local.local_path, local.file_path) == (
        "local",
        "",
        str(path),
        "Heat.1995.1080p.mkv",
    )
    (entry,) = library.active_entries()
    assert (entry.source_kind, entry.local_path, entry.file_size) == ("local", str(path), 1234)
    assert library.info_hashes() == {HASH}  # local files are not torrents to keep
    # The same file again refreshes the row instead of adding one.
    again = library.assign_local("movie", movie.id, path, size=2000)
    assert again.id == local.id and again.file_size == 2000 and again.resolution == "1080p"
    assert len(library.assignments_of("movie", movie.id)) == 2
    assert [a.id for a in library.local_assignments(tmp_path)] == [local.id]
    assert library.local_assignments(tmp_path / "Heat") == []  # a prefix is not a folder
    library.deactivate(local.id)
    assert library.local_assignments(tmp_path, active_only=True) == []


def test_local_file_needs_an_absolute_path(library):
    movie = library.add_movie("Heat", 1995)
    with pytest.raises(InvalidValue, match="absolute path"):
        library.assign_local("movie", movie.id, "Heat.mkv", size=1)
    assert library.assignments_of("movie", movie.id) == []
