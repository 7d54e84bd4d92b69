"""The share's view of the library: every active assignment as a plain ActiveEntry.

Two joined queries (movies, episodes) that never load the .torrent blobs. Each entry also
carries the item's TMDB ids, plot and artwork paths, for the share's .nfo and art files.
"""

from __future__ import annotations

import logging
from dataclasses import fields

import peewee

from app.library.models import UtcDateTimeField
from app.library.records import ActiveEntry

logger = logging.getLogger(__name__)

_TIME = UtcDateTimeField()
_COLUMNS = [field.name for field in fields(ActiveEntry)][1:]  # all but kind, in select order


def load_active_entries(db: peewee.SqliteDatabase) -> list[ActiveEntry]:
    common = (
        "a.id, a.info_hash, a.file_index, a.file_path, a.file_size, a.magnet_uri, "
        "a.torrent_data IS NOT NULL, a.resolution, a.source, a.created_at"
        # the selects list ActiveEntry's fields in order, the item's added_at after these
    )
    local = "a.source_kind, a.local_path"
    movies = db.execute_sql(
        f"SELECT m.id, m.title, m.year, NULL, NULL, NULL, NULL, {common}, m.added_at, {local}, "
        "m.tmdb_id, m.imdb_id, m.overview, m.poster_path, m.backdrop_path, NULL, '', NULL "
        "FROM assignment a JOIN movie m ON a.item_type = 'movie' AND m.id = a.item_id "
        "WHERE a.active = 1"
    ).fetchall()
    episodes = db.execute_sql(
        f"SELECT e.id, s.title, s.year, s.id, se.number, e.number, e.title, "
        f"{common}, s.added_at, {local}, s.tmdb_id, s.imdb_id, s.overview, s.poster_path, "
        "s.backdrop_path, se.poster_path, e.overview, e.air_date FROM assignment a "
        "JOIN episode e ON a.item_type = 'episode' AND e.id = a.item_id "
        "JOIN season se ON se.id = e.season_id JOIN show s ON s.id = se.show_id "
        "WHERE a.active = 1"
    ).fetchall()
    return [_entry("movie", row) for row in movies] + [_entry("episode", row) for row in episodes]


def _entry(kind: str, row: tuple) -> ActiveEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    values.update(
        has_torrent_data=bool(values["has_torrent_data"]),
        created_at=_TIME.python_value(values["created_at"]),
        added_at=_TIME.python_value(values["added_at"]),
    )
    return ActiveEntry(kind=kind, **values)
