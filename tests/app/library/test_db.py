"""open_database: pragmas on every thread's connection, bad files refused with a clear error."""

from __future__ import annotations

import logging
import re
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


def _library_with(path, *titles: str) -> bytes:
    """A real library file holding `titles`, closed (checkpointed); returns its bytes."""
    db = open_database(path)
    for title in titles:
        db.execute_sql(
            "INSERT INTO movie (title, sort_title, added_at, updated_at) "
            "VALUES (?, ?, '2020-01-01T00:00:00+00:00', '')",
            (title, title),
        )
    close_database(db)
    return path.read_bytes()


def _damaged_copies(folder, *, companions: bool = False) -> list:
    """The copies set aside: databases only, or with their -wal and -shm files."""
    found = sorted(folder.glob("library.db.damaged-*"))
    return found if companions else [f for f in found if not f.name.endswith(("-wal", "-shm"))]


def _truncated(tmp_path) -> bytes:
    data = _library_with(tmp_path / "real.db", *(f"Movie {n} " * 20 for n in range(500)))
    return data[: len(data) // 2]


def _page_overwritten(tmp_path) -> bytes:
    """A page in the middle of the file is garbage; the header and schema still read fine."""
    data = bytearray(_library_with(tmp_path / "real.db", *(f"Movie {n} " * 20 for n in range(500))))
    page = 4096
    assert len(data) > 30 * page
    data[20 * page : 21 * page] = bytes(range(256)) * (page // 256)
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda tmp_path: b"", "the file is empty"),
        (lambda tmp_path: b"this is not sqlite" * 100, "file is not a database"),
        (_truncated, "malformed"),
        (_page_overwritten, "Page 21"),
    ],
    ids=["empty", "not-sqlite", "truncated", "bad-page"],
)
def test_a_damaged_file_is_moved_aside_and_a_fresh_library_opens(tmp_path, caplog, content, reason):
    path = tmp_path / "library.db"
    damaged = content(tmp_path)
    path.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="app.library.db"):
        db = open_database(path)
    try:
        (copy,) = _damaged_copies(tmp_path)
        assert copy.read_bytes() == damaged, "the damaged file is kept byte for byte"
        assert re.fullmatch(r"library\.db\.damaged-\d{8}-\d{6}", copy.name), copy.name
        assert db.execute_sql("SELECT count(*) FROM movie").fetchone() == (0,)
        assert schema_version(db) == CURRENT_VERSION
        assert db.notice is not None
        assert reason in db.notice and str(copy) in db.notice and "empty library" in db.notice
        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.getMessage() == db.notice
    finally:
        close_database(db)
    # The fresh library is a good one: the next start opens it without a word.
    db = open_database(path)
    try:
        assert db.notice is None
        assert len(_damaged_copies(tmp_path)) == 1
    finally:
        close_database(db)


def test_a_damaged_file_goes_aside_with_its_wal_and_never_over_an_earlier_copy(tmp_path):
    path = tmp_path / "library.db"
    path.write_bytes(b"garbage" * 600)
    wal = tmp_path / "library.db-wal"
    wal.write_bytes(b"wal of the damaged file")
    close_database(open_database(path))
    path.write_bytes(b"other garbage" * 300)  # damaged again, within the same second
    close_database(open_database(path))
    copies = _damaged_copies(tmp_path, companions=True)
    # (SQLite's -shm index of the WAL goes along too; it holds no data)
    contents = {c.name: c.read_bytes() for c in copies if not c.name.endswith("-shm")}
    assert sorted(contents.values()) == sorted(
        [b"garbage" * 600, b"other garbage" * 300, b"wal of the damaged file"]
    ), contents
    (wal_copy,) = [c for c in copies if c.name.endswith("-wal")]
    # kept next to its database under the name SQLite looks for, so tools open the pair
    assert (tmp_path / wal_copy.name.removesuffix("-wal")).read_bytes() == b"garbage" * 600


def test_a_good_library_is_opened_untouched(tmp_path, caplog):
    path = tmp_path / "library.db"
    before = _library_with(path, "Heat", "Alien")
    with caplog.at_level(logging.WARNING):
        db = open_database(path)
    try:
        assert db.notice is None
        titles = db.execute_sql("SELECT title FROM movie ORDER BY title").fetchall()
        assert titles == [("Alien",), ("Heat",)]
    finally:
        close_database(db)
    assert path.read_bytes() == before
    assert _damaged_copies(tmp_path) == [] and not caplog.records


def test_a_library_that_cannot_be_opened_is_refused_not_moved(tmp_path):
    """Not damage (SQLite cannot open it at all): it stays where it is, for the user to fix."""
    path = tmp_path / "library.db"
    path.mkdir()
    (path / "inside").write_text("kept")
    with pytest.raises(LibraryError, match="cannot open the library database"):
        open_database(path)
    assert (path / "inside").read_text() == "kept" and _damaged_copies(tmp_path) == []


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
