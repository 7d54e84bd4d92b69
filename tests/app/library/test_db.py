"""open_database: pragmas on every thread's connection, bad files refused with a clear error."""

from __future__ import annotations

import threading

import pytest

from app.library.db import close_database, fold, open_database
from app.library.errors import LibraryError
from app.library.migrations import CURRENT_VERSION, schema_version


def _pragmas(db) -> tuple:
    return tuple(
        db.execute_sql(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    )


def test_pragmas_hold_on_every_thread(tmp_path):
    db = open_database(tmp_path / "library.db")
    try:
        seen = []
        worker = threading.Thread(target=lambda: seen.append(_pragmas(db)))
        worker.start()
        worker.join()
        # synchronous NORMAL is 1
        assert _pragmas(db) == ("wal", 1, 10_000, 1)
        assert seen == [("wal", 1, 10_000, 1)]
        assert schema_version(db) == CURRENT_VERSION
    finally:
        close_database(db)


def test_reopening_keeps_data_and_version(tmp_path):
    db = open_database(tmp_path / "library.db")
    db.execute_sql(
        "INSERT INTO movie (title, sort_title, added_at, updated_at) "
        "VALUES ('Heat', 'Heat', '2020-01-01T00:00:00+00:00', '')"
    )
    close_database(db)
    db = open_database(tmp_path / "library.db")
    try:
        assert db.execute_sql("SELECT title FROM movie").fetchall() == [("Heat",)]
        assert db.execute_sql("SELECT count(*) FROM schema_version").fetchone() == (
            CURRENT_VERSION,
        )
    finally:
        close_database(db)


def test_a_file_that_is_not_a_database_is_refused_and_kept(tmp_path):
    path = tmp_path / "library.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="cannot open the library database"):
        open_database(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(LibraryError, match="not a Reelbox library"):
        open_database(path)


def test_fold_ignores_case_and_accents():
    assert fold("Amélie") == fold("AMELIE") == "amelie"
    assert fold("Straße") == fold("STRASSE")
    assert fold(None) == ""
