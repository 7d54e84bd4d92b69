"""Schema versions of the library database and the forward steps between them.

Each step is plain SQL (plus Python for backfills) and runs in its own transaction, so a crash
leaves the database at the last finished version. Version 1 is the first release's schema;
version 2 adds sort titles, update times and an index for lookups by info hash; version 3
adds local files as a source kind (files in watched folders, served from disk) and the
sync_source table (per-source sync intervals and modes); version 4 adds TMDB backdrops
(the share's fanart.jpg); version 5 adds a show's IMDb id (for its tvshow.nfo); version 6
adds a debrid account as a source kind and sync source kind, and its cached torrents;
version 7 adds sync_run, each source's recent runs (its history survives a restart); version 8
adds folder_file, the files each watched folder saw at its last scan (a restart's first scan
reports only what changed while the app was off). A database
newer than this app raises SchemaTooNew: we never downgrade silently.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import peewee

from app.library.errors import LibraryError, SchemaTooNew
from app.library.models import utc_now
from app.library.naming import sort_title

logger = logging.getLogger(__name__)

_V1 = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
CREATE TABLE movie (
    id INTEGER PRIMARY KEY,
    tmdb_id INTEGER UNIQUE,
    imdb_id TEXT,
    title TEXT NOT NULL CHECK (title <> ''),
    year INTEGER,
    overview TEXT NOT NULL DEFAULT '',
    poster_path TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE show (
    id INTEGER PRIMARY KEY,
    tmdb_id INTEGER UNIQUE,
    title TEXT NOT NULL CHECK (title <> ''),
    year INTEGER,
    overview TEXT NOT NULL DEFAULT '',
    poster_path TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE season (
    id INTEGER PRIMARY KEY,
    show_id INTEGER NOT NULL REFERENCES show (id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 0),
    name TEXT NOT NULL DEFAULT '',
    overview TEXT NOT NULL DEFAULT '',
    poster_path TEXT,
    air_date DATE,
    UNIQUE (show_id, number)
);
CREATE TABLE episode (
    id INTEGER PRIMARY KEY,
    season_id INTEGER NOT NULL REFERENCES season (id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 0),
    title TEXT NOT NULL DEFAULT '',
    overview TEXT NOT NULL DEFAULT '',
    air_date DATE,
    still_path TEXT,
    UNIQUE (season_id, number)
);
CREATE TABLE assignment (
    id INTEGER PRIMARY KEY,
    item_type TEXT NOT NULL CHECK (item_type IN ('movie', 'episode')),
    item_id INTEGER NOT NULL,
    source_kind TEXT NOT NULL DEFAULT 'torrent' CHECK (source_kind IN ('torrent')),
    info_hash TEXT NOT NULL
        CHECK (length(info_hash) = 40 AND info_hash NOT GLOB '*[^0-9a-f]*'),
    magnet_uri TEXT,
    torrent_data BLOB,
    file_index INTEGER NOT NULL CHECK (file_index >= 0),
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL CHECK (file_size >= 0),
    resolution TEXT,
    source TEXT,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX assignment_item ON assignment (item_type, item_id);
-- At most one active assignment per item, whatever code writes the table.
CREATE UNIQUE INDEX assignment_one_active ON assignment (item_type, item_id) WHERE active = 1;
-- item_type/item_id is polymorphic, so no foreign key: triggers keep it consistent.
CREATE TRIGGER assignment_item_exists BEFORE INSERT ON assignment
WHEN (NEW.item_type = 'movie' AND NOT EXISTS (SELECT 1 FROM movie WHERE id = NEW.item_id))
  OR (NEW.item_type = 'episode' AND NOT EXISTS (SELECT 1 FROM episode WHERE id = NEW.item_id))
BEGIN
    SELECT RAISE(ABORT, 'assignment refers to an item that does not exist');
END;
CREATE TRIGGER movie_delete_assignments AFTER DELETE ON movie
BEGIN
    DELETE FROM assignment WHERE item_type = 'movie' AND item_id = OLD.id;
END;
-- Also fires for episodes removed by the show -> season -> episode cascade.
CREATE TRIGGER episode_delete_assignments AFTER DELETE ON episode
BEGIN
    DELETE FROM assignment WHERE item_type = 'episode' AND item_id = OLD.id;
END;
"""

_V2 = """
ALTER TABLE movie ADD COLUMN sort_title TEXT NOT NULL DEFAULT '';
ALTER TABLE movie ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE show ADD COLUMN sort_title TEXT NOT NULL DEFAULT '';
ALTER TABLE show ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE movie SET updated_at = added_at;
UPDATE show SET updated_at = added_at;
CREATE INDEX movie_sort_title ON movie (sort_title COLLATE NOCASE);
CREATE INDEX show_sort_title ON show (sort_title COLLATE NOCASE);
CREATE INDEX assignment_info_hash ON assignment (info_hash);
"""


# SQLite cannot change a CHECK constraint in place: the assignment table is rebuilt (the
# triggers that name it are dropped first and recreated after, or the rename would fail).
_V3 = """
DROP TRIGGER movie_delete_assignments;
DROP TRIGGER episode_delete_assignments;
CREATE TABLE assignment_v3 (
    id INTEGER PRIMARY KEY,
    item_type TEXT NOT NULL CHECK (item_type IN ('movie', 'episode')),
    item_id INTEGER NOT NULL,
    source_kind TEXT NOT NULL DEFAULT 'torrent' CHECK (source_kind IN ('torrent', 'local')),
    info_hash TEXT NOT NULL,
    magnet_uri TEXT,
    torrent_data BLOB,
    file_index INTEGER NOT NULL CHECK (file_index >= 0),
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL CHECK (file_size >= 0),
    resolution TEXT,
    source TEXT,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    local_path TEXT,
    CHECK (
        (source_kind = 'torrent' AND length(info_hash) = 40
            AND info_hash NOT GLOB '*[^0-9a-f]*' AND local_path IS NULL)
        OR (source_kind = 'local' AND info_hash = '' AND coalesce(local_path, '') <> '')
    )
);
INSERT INTO assignment_v3 (id, item_type, item_id, source_kind, info_hash, magnet_uri,
    torrent_data, file_index, file_path, file_size, resolution, source, active, created_at)
SELECT id, item_type, item_id, source_kind, info_hash, magnet_uri, torrent_data, file_index,
    file_path, file_size, resolution, source, active, created_at FROM assignment;
DROP TABLE assignment;
ALTER TABLE assignment_v3 RENAME TO assignment;
CREATE INDEX assignment_item ON assignment (item_type, item_id);
CREATE UNIQUE INDEX assignment_one_active ON assignment (item_type, item_id) WHERE active = 1;
CREATE INDEX assignment_info_hash ON assignment (info_hash);
CREATE UNIQUE INDEX assignment_local_path ON assignment (item_type, item_id, local_path)
    WHERE local_path IS NOT NULL;
CREATE TRIGGER assignment_item_exists BEFORE INSERT ON assignment
WHEN (NEW.item_type = 'movie' AND NOT EXISTS (SELECT 1 FROM movie WHERE id = NEW.item_id))
  OR (NEW.item_type = 'episode' AND NOT EXISTS (SELECT 1 FROM episode WHERE id = NEW.item_id))
BEGIN
    SELECT RAISE(ABORT, 'assignment refers to an item that does not exist');
END;
CREATE TRIGGER movie_delete_assignments AFTER DELETE ON movie
BEGIN
    DELETE FROM assignment WHERE item_type = 'movie' AND item_id = OLD.id;
END;
CREATE TRIGGER episode_delete_assignments AFTER DELETE ON episode
BEGIN
    DELETE FROM assignment WHERE item_type = 'episode' AND item_id = OLD.id;
END;
CREATE TABLE sync_source (
    name TEXT PRIMARY KEY CHECK (name <> ''),
    kind TEXT NOT NULL CHECK (kind IN ('tmdb', 'folder')),
    path TEXT UNIQUE,
    mode TEXT NOT NULL CHECK (mode IN ('watch', 'poll', 'manual')),
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes >= 0),
    created_at TEXT NOT NULL,
    -- the last run, so countdowns carry on across restarts
    last_attempt TEXT,
    last_finished TEXT,
    last_success TEXT,
    last_error TEXT,
    last_summary TEXT,
    CHECK ((kind = 'folder') = (path IS NOT NULL))
);
"""

_V4 = """
ALTER TABLE movie ADD COLUMN backdrop_path TEXT;
ALTER TABLE show ADD COLUMN backdrop_path TEXT;
"""

_V5 = """
ALTER TABLE show ADD COLUMN imdb_id TEXT;
"""

_V6 = """
DROP TRIGGER movie_delete_assignments;
DROP TRIGGER episode_delete_assignments;
CREATE TABLE assignment_v6 (
    id INTEGER PRIMARY KEY,
    item_type TEXT NOT NULL CHECK (item_type IN ('movie', 'episode')),
    item_id INTEGER NOT NULL,
    source_kind TEXT NOT NULL DEFAULT 'torrent'
        CHECK (source_kind IN ('torrent', 'local', 'debrid')),
    info_hash TEXT NOT NULL,
    magnet_uri TEXT,
    torrent_data BLOB,
    file_index INTEGER NOT NULL CHECK (file_index >= 0),
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL CHECK (file_size >= 0),
    resolution TEXT,
    source TEXT,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    local_path TEXT,
    CHECK (
        (source_kind IN ('torrent', 'debrid') AND length(info_hash) = 40
            AND info_hash NOT GLOB '*[^0-9a-f]*' AND local_path IS NULL)
        OR (source_kind = 'local' AND info_hash = '' AND coalesce(local_path, '') <> '')
    )
);
INSERT INTO assignment_v6 SELECT * FROM assignment;
DROP TABLE assignment;
ALTER TABLE assignment_v6 RENAME TO assignment;
CREATE INDEX assignment_item ON assignment (item_type, item_id);
CREATE UNIQUE INDEX assignment_one_active ON assignment (item_type, item_id) WHERE active = 1;
CREATE INDEX assignment_info_hash ON assignment (info_hash);
CREATE UNIQUE INDEX assignment_local_path ON assignment (item_type, item_id, local_path)
    WHERE local_path IS NOT NULL;
CREATE TRIGGER assignment_item_exists BEFORE INSERT ON assignment
WHEN (NEW.item_type = 'movie' AND NOT EXISTS (SELECT 1 FROM movie WHERE id = NEW.item_id))
  OR (NEW.item_type = 'episode' AND NOT EXISTS (SELECT 1 FROM episode WHERE id = NEW.item_id))
BEGIN
    SELECT RAISE(ABORT, 'assignment refers to an item that does not exist');
END;
CREATE TRIGGER movie_delete_assignments AFTER DELETE ON movie
BEGIN
    DELETE FROM assignment WHERE item_type = 'movie' AND item_id = OLD.id;
END;
CREATE TRIGGER episode_delete_assignments AFTER DELETE ON episode
BEGIN
    DELETE FROM assignment WHERE item_type = 'episode' AND item_id = OLD.id;
END;
CREATE TABLE sync_source_v6 (
    name TEXT PRIMARY KEY CHECK (name <> ''),
    kind TEXT NOT NULL CHECK (kind IN ('tmdb', 'folder', 'debrid')),
    path TEXT UNIQUE,
    mode TEXT NOT NULL CHECK (mode IN ('watch', 'poll', 'manual')),
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes >= 0),
    created_at TEXT NOT NULL,
    last_attempt TEXT,
    last_finished TEXT,
    last_success TEXT,
    last_error TEXT,
    last_summary TEXT,
    CHECK ((kind = 'folder') = (path IS NOT NULL))
);
INSERT INTO sync_source_v6 SELECT * FROM sync_source;
DROP TABLE sync_source;
ALTER TABLE sync_source_v6 RENAME TO sync_source;
CREATE TABLE debrid_torrent (
    id TEXT PRIMARY KEY CHECK (id <> ''),
    position INTEGER NOT NULL,
    hash TEXT NOT NULL,
    filename TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL,
    added TEXT NOT NULL,
    files TEXT,
    files_for TEXT
);
CREATE INDEX debrid_torrent_hash ON debrid_torrent (hash);
"""

# A table that refers to sync_source (ON DELETE CASCADE) loses its rows when sync_source is
# rebuilt (DROP TABLE deletes first): rebuild sync_source only before such tables exist.
_V7 = """
CREATE TABLE sync_run (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL REFERENCES sync_source (name) ON DELETE CASCADE,
    started TEXT NOT NULL,
    duration REAL NOT NULL,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX sync_run_source ON sync_run (source, started);
"""

# Paths are relative to the folder (its sync_source path), size and mtime as the scan saw them.
_V8 = """
CREATE TABLE folder_file (
    source TEXT NOT NULL REFERENCES sync_source (name) ON DELETE CASCADE,
    path TEXT NOT NULL CHECK (path <> ''),
    size INTEGER NOT NULL CHECK (size >= 0),
    mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
"""

# The TMDB refresh exists from the start, once a day.
TMDB_SOURCE = ("tmdb", "tmdb", None, "poll", 24 * 60)


def _run_script(db: peewee.SqliteDatabase, script: str) -> None:
    # sqlite3's executescript() would COMMIT our transaction first, so run statement by
    # statement; complete_statement() keeps trigger bodies (with their inner ';') whole.
    statement = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute_sql(statement)
            statement = ""
    if statement.strip():
        raise LibraryError(f"incomplete SQL in migration: {statement!r}")


def _to_v1(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V1)


def _to_v2(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V2)
    for table in ("movie", "show"):
        rows = db.execute_sql(f"SELECT id, title FROM {table}").fetchall()
        for row_id, title in rows:
            db.execute_sql(
                f"UPDATE {table} SET sort_title = ? WHERE id = ?", (sort_title(title), row_id)
            )


def _to_v3(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V3)
    db.execute_sql(
        "INSERT INTO sync_source (name, kind, path, mode, interval_minutes, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (*TMDB_SOURCE, utc_now().isoformat()),
    )


def _to_v4(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V4)


def _to_v5(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V5)


def _to_v6(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V6)


def _to_v7(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V7)


def _to_v8(db: peewee.SqliteDatabase) -> None:
    _run_script(db, _V8)


STEPS: dict[int, Callable[[peewee.SqliteDatabase], None]] = {
    1: _to_v1,
    2: _to_v2,
    3: _to_v3,
    4: _to_v4,
    5: _to_v5,
    6: _to_v6,
    7: _to_v7,
    8: _to_v8,
}
CURRENT_VERSION = max(STEPS)


def schema_version(db: peewee.SqliteDatabase) -> int:
    """The version the database is at; 0 for an empty file."""
    tables = set(db.get_tables())
    if "schema_version" not in tables:
        if tables:
            raise LibraryError(
                f"{db.database} is not a Reelbox library (it has tables but no schema version)"
            )
        return 0
    (version,) = db.execute_sql("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return version


def migrate(db: peewee.SqliteDatabase, target: int | None = None) -> int:
    """Bring the schema forward to `target` (default: current), one transaction per step.

    Returns the version reached. Raises SchemaTooNew for a database from a newer app.
    """
    target = CURRENT_VERSION if target is None else target
    if target not in STEPS:
        raise LibraryError(f"unknown schema version {target} (known: 1..{CURRENT_VERSION})")
    with db.atomic("IMMEDIATE"):
        version = schema_version(db)
    if version > CURRENT_VERSION:
        raise SchemaTooNew(
            f"{db.database} is at schema version {version}, but this Reelbox only knows up to "
            f"{CURRENT_VERSION}; use a newer Reelbox (the file is left untouched)"
        )
    if version > target:
        raise LibraryError(f"{db.database} is at version {version}, beyond the target {target}")
    while version < target:
        step = version + 1
        with db.atomic("IMMEDIATE"):
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if schema_version(db) >= step:
                version = schema_version(db)
                continue
            STEPS[step](db)
            db.execute_sql(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (step, utc_now().isoformat()),
            )
        logger.info("Library database %s migrated to schema version %d", db.database, step)
        version = step
    return version
