"""Opening the library database: SQLite pragmas, per-thread connections, migrations, binding.

A damaged file (empty, not SQLite, or failing SQLite's quick_check) is moved aside, never
deleted, and a fresh library opens; `db.notice` then tells the user what happened. Errors that
are not damage (a file SQLite may not open, a disk error) still refuse to start.

Readers use their own connection on any thread (peewee keeps one per thread); writers share
`db.write_lock` and `db.listeners`, which live on the database object so every Library built
on the same database serializes its writes and notifies the same listeners.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
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


# Latin letters that NFKD leaves whole; the rest (é, ñ, ß, ﬁ) the library fold handles.
_SPELLED_OUT = str.maketrans(
    {
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
    }
)


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form for search, sort and duplicate checks: "Amélie" ==
    "AMELIE", "Æon" == "aeon"."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class LibraryDatabase(peewee.SqliteDatabase):
    """A SqliteDatabase that carries the write lock and change listeners of its library."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.write_lock = threading.RLock()
        self.listeners: list[Callable[[], None]] = []
        # Set when the library file was damaged and replaced by a fresh one: for the user.
        self.notice: str | None = None


# SQLite's answers for a file that is damaged, as opposed to one it may not open or read now.
_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
# SQLite keeps these next to the database; they go aside with it.
_COMPANIONS = ("-wal", "-shm")


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

    A damaged file is moved aside and a fresh library opens with `db.notice` set. The models
    are bound globally: one library database per process.
    """
    path = Path(path)
    damage = _damage(path)
    notice = None
    if damage is not None:
        copy = _move_aside(path)
        notice = (
            f"The library database {path} was damaged ({damage}), so Reelbox started with an "
            f"empty library. The damaged file is kept as {copy}."
        )
        logger.warning("%s", notice)
    db = connect_database(path)
    db.notice = notice
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    db.bind(MODELS)
    logger.info("Library database open: %s", path)
    return db


def _damage(path: Path) -> str | None:
    """Why the file at `path` is damaged, or None when it is sound (or not there yet).

    Only SQLite's verdicts of damage count; anything else (a file it may not open, a disk
    error) is left to connect_database() to report. The check connects read-only, so SQLite
    neither checkpoints nor deletes the WAL of a damaged file before it goes aside.
    """
    if not path.is_file():
        return None
    # SQLite takes an empty file for a new database, but the app's own new database is never
    # empty (it has its header as soon as WAL mode is set): this one lost its content.
    if path.stat().st_size == 0:
        return "the file is empty"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as exc:
        code = exc.sqlite_errorcode or 0  # extended codes carry the primary one in the low byte
        return str(exc) if code & 0xFF in _DAMAGE_CODES else None
    finally:
        conn.close()
    if problems == ["ok"]:
        return None
    return "; ".join(problems[:3]).replace("\n", " ")


def _move_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL files) to library.db.damaged-STAMP; never delete.

    The WAL keeps SQLite's naming (library.db.damaged-STAMP-wal), so a recovery tool opening
    the copy reads it too, and it cannot be replayed into the fresh library.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    copy, n = path.with_name(f"{path.name}.damaged-{stamp}"), 1
    while any(Path(f"{copy}{suffix}").exists() for suffix in ("", *_COMPANIONS)):
        n += 1  # damaged again within the same second: keep both
        copy = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        path.rename(copy)
        for suffix in _COMPANIONS:
            companion = Path(f"{path}{suffix}")
            if companion.exists():
                companion.rename(f"{copy}{suffix}")
    except OSError as exc:
        raise LibraryError(
            f"the library database {path} is damaged and could not be moved aside ({exc}); "
            "move it away yourself to start with an empty library"
        ) from exc
    return copy


def close_database(db: peewee.SqliteDatabase) -> None:
    """Close the calling thread's connection (others close when their threads end)."""
    if not db.is_closed():
        db.close()
