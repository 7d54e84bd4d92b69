"""Schema migrations: a v1 database full of data comes through to the current version intact."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import peewee
import pytest

from app.library.db import close_database, connect_database, open_database
from app.library.errors import SchemaTooNew
from app.library.migrations import CURRENT_VERSION, migrate, schema_version
from app.library.repository import Library

HASH_A = "a" * 40
HASH_B = "0123456789abcdef0123456789abcdef01234567"
ADDED = "2024-03-01T10:00:00+00:00"


def _fill_v1(db) -> None:
    """What a first-release user has: movies, a show with a season and episodes, assignments."""
    sql = db.execute_sql
    sql(
        "INSERT INTO movie (id, tmdb_id, imdb_id, title, year, overview, poster_path, added_at) "
        "VALUES (1, 603, 'tt0133093', 'The Matrix', 1999, 'Neo wakes up.', '/m.jpg', ?)",
        (ADDED,),
    )
    sql(
        "INSERT INTO movie (id, title, year, added_at) VALUES (2, 'An Education', 2009, ?)",
        ("2024-03-02T10:00:00+00:00",),
    )
    sql("INSERT INTO movie (id, title, added_at) VALUES (3, 'Amélie', ?)", (ADDED,))
    sql(
        "INSERT INTO show (id, tmdb_id, title, year, overview, poster_path, added_at) "
        "VALUES (1, 1396, 'Breaking Bad', 2008, 'Chemistry.', '/bb.jpg', ?)",
        (ADDED,),
    )
    sql(
        "INSERT INTO season (id, show_id, number, name, air_date) "
        "VALUES (1, 1, 1, 'Season 1', '2008-01-20')"
    )
    sql(
        "INSERT INTO episode (id, season_id, number, title, air_date) "
        "VALUES (1, 1, 1, 'Pilot', '2008-01-20')"
    )
    sql("INSERT INTO episode (id, season_id, number) VALUES (2, 1, 2)")
    sql(
        "INSERT INTO assignment (id, item_type, item_id, info_hash, magnet_uri, file_index, "
        "file_path, file_size, resolution, source, active, created_at) VALUES "
        "(1, 'movie', 1, ?, 'magnet:?xt=urn:btih:' || ?, 0, 'Matrix/matrix.mkv', 1000, "
        "'1080p', 'BluRay', 0, ?)",
        (HASH_A, HASH_A, ADDED),
    )
    sql(
        "INSERT INTO assignment (id, item_type, item_id, info_hash, torrent_data, file_index, "
        "file_path, file_size, active, created_at) VALUES "
        "(2, 'movie', 1, ?, ?, 3, 'Matrix.2160p/m.mkv', 5000, 1, ?)",
        (HASH_B, b"d4:infod4:name1:xee", ADDED),
    )
    sql(
        "INSERT INTO assignment (id, item_type, item_id, info_hash, file_index, file_path, "
        "file_size, active, created_at) VALUES (3, 'episode', 2, ?, 1, 'BB/S01E02.mkv', 700, 1, ?)",
        (HASH_A, ADDED),
    )


def test_v1_database_with_data_migrates_without_loss(tmp_path):
    path = tmp_path / "library.db"
    db = connect_database(path)
    assert migrate(db, target=1) == 1
    with db.atomic():
        _fill_v1(db)
    close_database(db)

    db = open_database(path)
    try:
        assert schema_version(db) == CURRENT_VERSION == 8
        library = Library(db)
        matrix = library.get_movie(1)
        assert (
            matrix.tmdb_id,
            matrix.imdb_id,
            matrix.title,
            matrix.year,
            matrix.overview,
            matrix.poster_path,
        ) == (603, "tt0133093", "The Matrix", 1999, "Neo wakes up.", "/m.jpg")
        assert matrix.added_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
        assert matrix.updated_at == matrix.added_at  # backfilled
        assert [m.sort_title for m in library.list_movies()] == ["Amélie", "Education", "Matrix"]
        assert [m.title for m in library.list_movies()] == ["Amélie", "An Education", "The Matrix"]
        assert library.get_movie(3).year is None

        show = library.get_show(1)
        assert (show.tmdb_id, show.title, show.sort_title, show.year, show.poster_path) == (
            1396,
            "Breaking Bad",
            "Breaking Bad",
            2008,
            "/bb.jpg",
        )
        (season,) = library.seasons(1)
        assert (season.number, season.name, season.air_date) == (1, "Season 1", date(2008, 1, 20))
        assert [(e.number, e.title, e.display_title) for e in library.episodes(season.id)] == [
            (1, "Pilot", "Pilot"),
            (2, "", "Episode 2"),
        ]

        old, new = sorted(library.assignments_of("movie", 1), key=lambda a: a.id)
        assert (
            old.info_hash,
            old.magnet_uri,
            old.file_index,
            old.file_path,
            old.file_size,
            old.resolution,
            old.source,
            old.active,
        ) == (
            HASH_A,
            f"magnet:?xt=urn:btih:{HASH_A}",
            0,
            "Matrix/matrix.mkv",
            1000,
            "1080p",
            "BluRay",
            False,
        )
        assert (new.torrent_data, new.file_index, new.active) == (b"d4:infod4:name1:xee", 3, True)
        assert library.active_assignment("episode", 2).file_path == "BB/S01E02.mkv"
        assert {a.assignment_id for a in library.active_entries()} == {2, 3}
        # the rebuilt assignment table of v3 keeps v1's guarantees
        with pytest.raises(peewee.IntegrityError):
            db.execute_sql("UPDATE assignment SET active = 1 WHERE id = 1")
        with pytest.raises(peewee.IntegrityError, match="CHECK"):
            db.execute_sql("UPDATE assignment SET info_hash = 'nothex' WHERE id = 1")
        with pytest.raises(peewee.IntegrityError, match="does not exist"):
            db.execute_sql(
                "INSERT INTO assignment (item_type, item_id, info_hash, file_index, file_path, "
                "file_size, created_at) VALUES ('movie', 99, ?, 0, 'x.mkv', 1, ?)",
                (HASH_A, ADDED),
            )
        assert [a.source_kind for a in library.assignments_of("movie", 1)] == ["torrent"] * 2
        assert [
            (s.name, s.kind, s.path, s.mode, s.interval_minutes) for s in library.sync_sources()
        ] == [("tmdb", "tmdb", None, "poll", 1440)]
        library.delete_movie(1)  # the delete triggers were recreated with the table
        assert not library.assignments_of("movie", 1)
        assert library.get_assignment(3).file_path == "BB/S01E02.mkv"
    finally:
        close_database(db)


def test_v4_show_keeps_everything_and_gains_an_empty_imdb_id(tmp_path):
    path = tmp_path / "library.db"
    db = connect_database(path)
    migrate(db, target=1)
    with db.atomic():
        _fill_v1(db)
    assert migrate(db, target=4) == 4
    db.execute_sql("UPDATE show SET backdrop_path = '/bb-wide.jpg' WHERE id = 1")
    close_database(db)

    db = open_database(path)
    try:
        assert schema_version(db) == CURRENT_VERSION
        library = Library(db)
        show = library.get_show(1)
        assert (
            show.tmdb_id,
            show.imdb_id,
            show.title,
            show.year,
            show.overview,
            show.poster_path,
            show.backdrop_path,
            show.added_at,
        ) == (
            1396,
            None,
            "Breaking Bad",
            2008,
            "Chemistry.",
            "/bb.jpg",
            "/bb-wide.jpg",
            datetime(2024, 3, 1, 10, tzinfo=UTC),
        )
        assert [e.title for e in library.episodes(library.seasons(1)[0].id)] == ["Pilot", ""]
        assert library.get_movie(1).imdb_id == "tt0133093"
        library.update_show(1, imdb_id="tt0903747")
    finally:
        close_database(db)
    with sqlite3.connect(path) as conn:  # stored in the file, not only in peewee's row
        assert conn.execute("SELECT imdb_id FROM show WHERE id = 1").fetchone() == ("tt0903747",)


def test_newer_database_is_refused_not_downgraded(tmp_path):
    path = tmp_path / "library.db"
    db = open_database(path)
    db.execute_sql(
        "INSERT INTO schema_version (version, applied_at) VALUES (?, 'later')",
        (CURRENT_VERSION + 1,),
    )
    close_database(db)
    with pytest.raises(SchemaTooNew, match="newer Reelbox"):
        open_database(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (
            CURRENT_VERSION + 1,
        )


def test_a_failing_step_leaves_the_previous_version(tmp_path, monkeypatch):
    from app.library import migrations

    path = tmp_path / "library.db"
    db = connect_database(path)
    migrate(db, target=1)

    def broken(db):
        db.execute_sql("ALTER TABLE movie ADD COLUMN sort_title TEXT")
        raise RuntimeError("power cut")

    monkeypatch.setitem(migrations.STEPS, 2, broken)
    with pytest.raises(RuntimeError):
        migrate(db)
    assert schema_version(db) == 1
    assert "sort_title" not in {c.name for c in db.get_columns("movie")}
    close_database(db)
