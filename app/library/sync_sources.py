"""The library's sync sources: the TMDB refresh and watched folders, with interval and mode.

A mixin of Library (repository.py), so the records are written under the same write lock and
transaction rules and the listeners hear of every change. The scheduler reads these at start
and the Core writes them when the user changes a source; the intervals live here, not in the
settings file, because folders come and go with the library.
"""

from __future__ import annotations

import logging
import os
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from app.library.errors import DuplicateItem, InvalidValue, NotFound
from app.library.models import SyncSourceRecord, utc_now
from app.library.validation import sync_interval, sync_mode

logger = logging.getLogger(__name__)


class SyncSourcesMixin:
    """Library methods for sync sources; see the Library class for the threading rules."""

    _db: Any  # provided by Library

    def _writing(self) -> AbstractContextManager[None]: ...  # provided by Library

    def sync_sources(self) -> list[SyncSourceRecord]:
        """Every source, TMDB first, then folders in the order they were added."""
        return list(
            SyncSourceRecord.select().order_by(
                (SyncSourceRecord.kind != "tmdb"), SyncSourceRecord.created_at
            )
        )

    def get_sync_source(self, name: str) -> SyncSourceRecord:
        row = SyncSourceRecord.get_or_none(SyncSourceRecord.name == name)
        if row is None:
            raise NotFound(f"no sync source named {name!r}")
        return row

    def add_folder_source(
        self, path: str | os.PathLike, mode: str = "watch", interval_minutes: int | str = 10
    ) -> SyncSourceRecord:
        """Watch a folder; its name is "folder-N". The folder need not exist yet."""
        text = str(path).strip() if path is not None else ""
        if not text:
            raise InvalidValue("the folder's path must not be empty")
        folder = str(Path(text).expanduser().resolve())
        mode = sync_mode("folder", mode)
        minutes = sync_interval(interval_minutes)
        with self._writing():
            existing = SyncSourceRecord.get_or_none(SyncSourceRecord.path == folder)
            if existing is not None:
                raise DuplicateItem(f"{folder} is already watched ({existing.name})", existing)
            return SyncSourceRecord.create(
                name=f"folder-{self._next_folder_number()}",
                kind="folder",
                path=folder,
                mode=mode,
                interval_minutes=minutes,
                created_at=utc_now(),
            )

    def update_sync_source(
        self, name: str, *, interval_minutes: int | str | None = None, mode: str | None = None
    ) -> SyncSourceRecord:
        """Change a source's interval (0 or at least 1 minute) or mode; returns the new record."""
        with self._writing():
            row = self.get_sync_source(name)
            changes = {}
            if interval_minutes is not None:
                changes["interval_minutes"] = sync_interval(interval_minutes)
            if mode is not None:
                changes["mode"] = sync_mode(row.kind, mode)
            if changes:
                SyncSourceRecord.update(**changes).where(SyncSourceRecord.name == name).execute()
            return self.get_sync_source(name)

    def record_sync_run(
        self,
        name: str,
        *,
        attempt: datetime,
        finished: datetime,
        succeeded: datetime | None,
        summary: str | None,
        error: str | None,
    ) -> None:
        """Remember a source's last run. No listener hears of it: it is not library content
        (the share's tree would be rebuilt for nothing)."""
        changes = {
            "last_attempt": attempt,
            "last_finished": finished,
            "last_error": None if succeeded else error,
        }
        if succeeded:
            changes.update(last_success=succeeded, last_summary=summary)
        with self._db.write_lock, self._db.atomic("IMMEDIATE"):
            SyncSourceRecord.update(**changes).where(SyncSourceRecord.name == name).execute()

    def remove_sync_source(self, name: str) -> None:
        """Stop watching a folder (its items keep their sources); TMDB cannot be removed."""
        with self._writing():
            row = self.get_sync_source(name)
            if row.kind != "folder":
                raise InvalidValue(f"the {name} source cannot be removed; set its interval to 0")
            row.delete_instance()

    def _next_folder_number(self) -> int:
        names = SyncSourceRecord.select(SyncSourceRecord.name).where(
            SyncSourceRecord.kind == "folder"
        )
        return max((int(row.name.split("-", 1)[1]) for row in names), default=0) + 1
