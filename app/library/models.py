"""Peewee models of the library: movies, shows, seasons, episodes and their assignments.

The tables themselves are created and changed by migrations.py (plain SQL, versioned); these
classes only describe the current schema to peewee. They are bound to a database by
db.open_database(). Times are aware UTC datetimes, stored as ISO 8601 text.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import peewee

logger = logging.getLogger(__name__)

ITEM_TYPES = ("movie", "episode")
SOURCE_KINDS = ("torrent", "local", "debrid")
SYNC_KINDS = ("tmdb", "folder", "debrid")
SYNC_MODES = ("watch", "poll", "manual")


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTimeField(peewee.TextField):
    """Aware UTC datetime stored as ISO text, so it sorts as text and reads back aware."""

    def db_value(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{self.name}: naive datetime {value!r}; pass an aware one")
        return value.astimezone(UTC).isoformat()

    def python_value(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SchemaVersion(peewee.Model):
    version = peewee.IntegerField(primary_key=True)
    applied_at = UtcDateTimeField(default=utc_now)

    class Meta:
        table_name = "schema_version"


class Movie(peewee.Model):
    tmdb_id = peewee.IntegerField(null=True, unique=True)
    imdb_id = peewee.TextField(null=True)
    title = peewee.TextField()
    sort_title = peewee.TextField()
    year = peewee.IntegerField(null=True)
    overview = peewee.TextField(default="")
    poster_path = peewee.TextField(null=True)
    backdrop_path = peewee.TextField(null=True)
    added_at = UtcDateTimeField(default=utc_now)
    updated_at = UtcDateTimeField(default=utc_now)

    class Meta:
        table_name = "movie"


class Show(peewee.Model):
    tmdb_id = peewee.IntegerField(null=True, unique=True)
    imdb_id = peewee.TextField(null=True)
    title = peewee.TextField()
    sort_title = peewee.TextField()
    year = peewee.IntegerField(null=True)
    overview = peewee.TextField(default="")
    poster_path = peewee.TextField(null=True)
    backdrop_path = peewee.TextField(null=True)
    added_at = UtcDateTimeField(default=utc_now)
    updated_at = UtcDateTimeField(default=utc_now)

    class Meta:
        table_name = "show"


class Season(peewee.Model):
    show = peewee.ForeignKeyField(Show, backref="season_set", on_delete="CASCADE")
    number = peewee.IntegerField()
    name = peewee.TextField(default="")
    overview = peewee.TextField(default="")
    poster_path = peewee.TextField(null=True)
    air_date = peewee.DateField(null=True)

    class Meta:
        table_name = "season"
        indexes = ((("show", "number"), True),)


class Episode(peewee.Model):
    season = peewee.ForeignKeyField(Season, backref="episode_set", on_delete="CASCADE")
    number = peewee.IntegerField()
    title = peewee.TextField(default="")
    overview = peewee.TextField(default="")
    air_date = peewee.DateField(null=True)
    still_path = peewee.TextField(null=True)

    class Meta:
        table_name = "episode"
        indexes = ((("season", "number"), True),)

    @property
    def display_title(self) -> str:
        """What a list shows: the title, or "Episode N" while no title is known."""
        return self.title or f"Episode {self.number}"


class Assignment(peewee.Model):
    item_type = peewee.TextField()
    item_id = peewee.IntegerField()
    source_kind = peewee.TextField(default="torrent")
    info_hash = peewee.TextField()
    magnet_uri = peewee.TextField(null=True)
    torrent_data = peewee.BlobField(null=True)
    file_index = peewee.IntegerField()
    file_path = peewee.TextField()
    file_size = peewee.IntegerField()
    resolution = peewee.TextField(null=True)
    source = peewee.TextField(null=True)
    active = peewee.BooleanField(default=False)
    created_at = UtcDateTimeField(default=utc_now)
    local_path = peewee.TextField(null=True)  # source_kind "local": the file on disk
    # source_kind "debrid": info_hash is the account's torrent, file_index its file id

    class Meta:
        table_name = "assignment"


class SyncSourceRecord(peewee.Model):
    """A sync source: the TMDB refresh or a watched folder, with its own interval and mode."""

    name = peewee.TextField(primary_key=True)
    kind = peewee.TextField()
    path = peewee.TextField(null=True, unique=True)
    mode = peewee.TextField()
    interval_minutes = peewee.IntegerField()  # 0: no periodic sync
    created_at = UtcDateTimeField(default=utc_now)
    # the last run: its countdown carries on after a restart
    last_attempt = UtcDateTimeField(null=True)
    last_finished = UtcDateTimeField(null=True)
    last_success = UtcDateTimeField(null=True)
    last_error = peewee.TextField(null=True)
    last_summary = peewee.TextField(null=True)

    class Meta:
        table_name = "sync_source"


class SyncRunRecord(peewee.Model):
    """One past run of a library sync source (app/sync/run_log.py keeps the last ones)."""

    source = peewee.TextField()
    started = UtcDateTimeField()
    duration = peewee.FloatField()
    reason = peewee.TextField()
    outcome = peewee.TextField()
    summary = peewee.TextField(default="")
    error = peewee.TextField(null=True)

    class Meta:
        table_name = "sync_run"


class FolderFileRecord(peewee.Model):
    """A file a watched folder saw at its last scan (app/sync/folder_state.py)."""

    source = peewee.TextField()
    path = peewee.TextField()  # relative to the folder
    size = peewee.IntegerField()
    mtime_ns = peewee.IntegerField()

    class Meta:
        table_name = "folder_file"
        primary_key = peewee.CompositeKey("source", "path")


class DebridTorrent(peewee.Model):
    """A torrent of the debrid account, in the account's order (newest first), with its
    files and links once fetched (app/debrid/store.py): a restart fetches neither again."""

    id = peewee.TextField(primary_key=True)
    position = peewee.IntegerField()
    hash = peewee.TextField()
    filename = peewee.TextField()
    bytes = peewee.IntegerField()
    status = peewee.TextField()
    progress = peewee.FloatField()
    added = peewee.TextField()
    files = peewee.TextField(null=True)  # JSON of /torrents/info's files with their links
    files_for = peewee.TextField(null=True)  # the fingerprint `files` were fetched for

    class Meta:
        table_name = "debrid_torrent"


MODELS = (
    SchemaVersion,
    Movie,
    Show,
    Season,
    Episode,
    Assignment,
    SyncSourceRecord,
    SyncRunRecord,
    FolderFileRecord,
    DebridTorrent,
)
