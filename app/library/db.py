"""Opening the library database: SQLite pragmas, per-thread connections, migrations, binding.

Readers use their own connection on any thread (peewee keeps one per thread); writers share
`db.write_lock` and `db.listeners`, which live on the database object so every Library built
on the same database serializes its writes and notifies the same listeners.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import peewee

from app.library.errors import LibraryError
from app.library.migrations import migrate
from app.library.models import MODELS

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "synchronous": "normal",
}


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form for search and duplicate checks: "Amélie" == "AMELIE"."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class LibraryDatabase(peewee.SqliteDatabase):
    """A SqliteDatabase that carries the write lock and change listeners of its library."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.write_lock = threading.RLock()
        self.listeners: list[Callable[[], None]] = []


def connect_database(path: Path) -> LibraryDatabase:
    """The configured database object, connected, without migrating or binding models.

    open_database() is what the app uses; this exists for tools and for tests that build an
    old schema version with migrate(db, target=...).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = LibraryDatabase(
        str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000, thread_safe=True
    )
    db.register_function(fold, "fold", 1, deterministic=True)
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except (peewee.DatabaseError, sqlite3.DatabaseError) as exc:
        db.close()
        raise LibraryError(f"cannot open the library database {path}: {exc}") from exc
    return db


def open_database(path: Path) -> LibraryDatabase:
    """Open (creating if needed) and migrate the library at `path`, and bind the models to it.

    The models are bound globally: one library database per process.
    """
    db = connect_database(path)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    db.bind(MODELS)
    logger.info("Library database open: %s", path)
    return db


def close_database(db: peewee.SqliteDatabase) -> None:
    """Close the calling thread's connection (others close when their threads end)."""
    if not db.is_closed():
        db.close()
