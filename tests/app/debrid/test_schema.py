"""Schema version 6: debrid assignments and sources are allowed, and what was there stays."""

from __future__ import annotations

import sqlite3

import peewee
import pytest

from app.library.db import close_database, connect_database, open_database
from app.library.migrations import migrate
from app.library.repository import Library

HASH = "0123456789abcdef0123456789abcdef01234567"
NOW = "2026-01-01T00:00:00+00:00"


def test_v5_rows_survive_and_debrid_rows_are_checked(tmp_path):
    path = tmp_path / "library.db"
    db = connect_database(path)
    migrate(db, target=5)
    sql = db.execute_sql
    sql("INSERT INTO movie (id, title, sort_title, added_at, updated_at) VALUES (1, 'Heat', 'Heat', ?, ?)", (NOW, NOW))  # fmt: skip
    sql("INSERT INTO movie (id, title, sort_title, added_at, updated_at) VALUES (2, 'Ran', 'Ran', ?, ?)", (NOW, NOW))  # fmt: skip
    sql(
        "INSERT INTO assignment (item_type, item_id, source_kind, info_hash, file_index, "
        "file_path, file_size, active, created_at, local_path) VALUES "
        "('movie', 1, 'torrent', ?, 0, 'Heat.mkv', 10, 1, ?, NULL), "
        "('movie', 2, 'local', '', 0, 'Ran.mkv', 20, 1, ?, '/films/Ran.mkv')",
        (HASH, NOW, NOW),
    )
    sql(
        "INSERT INTO sync_source (name, kind, path, mode, interval_minutes, created_at, "
        "last_summary) VALUES ('folder-1', 'folder', '/films', 'watch', 10, ?, 'ok')",
        (NOW,),
    )
    close_database(db)

    db = open_database(path)
    try:
        library = Library(db)
        rows = sorted((a.item_id, a.source_kind, a.info_hash, a.local_path) for a in
                      library.local_assignments() + library.assignments_for_hash(HASH))  # fmt: skip
        assert rows == [(1, "torrent", HASH, None), (2, "local", "", "/films/Ran.mkv")]
        assert [(s.name, s.kind, s.last_summary) for s in library.sync_sources()] == [
            ("tmdb", "tmdb", None),
            ("folder-1", "folder", "ok"),
        ]
        # a debrid file is a torrent's hash and the file's id, never a path on disk
        sql = db.execute_sql
        sql("UPDATE assignment SET active = 0")
        sql(
            "INSERT INTO assignment (item_type, item_id, source_kind, info_hash, file_index, "
            "file_path, file_size, active, created_at) VALUES "
            "('movie', 1, 'debrid', ?, 3, 'Heat/Heat.mkv', 10, 1, ?)",
            (HASH, NOW),
        )
        with pytest.raises((sqlite3.IntegrityError, peewee.IntegrityError)):
            sql(
                "INSERT INTO assignment (item_type, item_id, source_kind, info_hash, file_index, "
                "file_path, file_size, active, created_at, local_path) VALUES "
                "('movie', 2, 'debrid', ?, 3, 'x.mkv', 10, 0, ?, '/x.mkv')",
                (HASH, NOW),
            )
        sql("INSERT INTO sync_source (name, kind, mode, interval_minutes, created_at) "
            "VALUES ('debrid', 'debrid', 'watch', 60, ?)", (NOW,))  # fmt: skip
        assert [e.source_kind for e in library.active_entries()] == ["debrid"]
        # deleting the movie still takes its assignments with it (the triggers were rebuilt)
        assert len(library.assignments_for_hash(HASH, kind="debrid")) == 1
        library.delete_movie(1)
        assert library.assignments_for_hash(HASH, kind="debrid") == []
        assert library.assignments_for_hash(HASH) == []
    finally:
        close_database(db)
