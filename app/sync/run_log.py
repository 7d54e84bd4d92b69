"""Each library sync source's recent runs, kept in the library's sync_run table.

The scheduler keeps a source's history in memory; SyncManager saves every finished run here
and hands the saved ones back at start, so the Sync view's and /api/sync's history survive a
restart (no "no runs yet" beside a last success). Only the last KEEP runs of a source are
kept. Writes take the library's write lock like its own writes; no listener hears of them
(a run is not library content, the share's tree must not be rebuilt for it).
"""

from __future__ import annotations

import logging

from app.library.models import SyncRunRecord
from app.sync.state import HISTORY_LENGTH, SyncRun

logger = logging.getLogger(__name__)

KEEP = HISTORY_LENGTH


def save(library, name: str, run: SyncRun) -> None:
    """Add `run` to `name`'s saved runs and drop those beyond the last KEEP."""
    db = library.db
    with db.write_lock, db.atomic("IMMEDIATE"):
        SyncRunRecord.create(
            source=name,
            started=run.started,
            duration=run.duration,
            reason=run.reason,
            outcome=run.outcome,
            summary=run.summary or "",
            error=run.error,
        )
        kept = (
            SyncRunRecord.select(SyncRunRecord.id)
            .where(SyncRunRecord.source == name)
            .order_by(SyncRunRecord.started.desc(), SyncRunRecord.id.desc())
            .limit(KEEP)
        )
        SyncRunRecord.delete().where(
            (SyncRunRecord.source == name) & SyncRunRecord.id.not_in(kept)
        ).execute()


def load(library, name: str) -> list[SyncRun]:
    """`name`'s saved runs, newest first."""
    rows = (
        SyncRunRecord.select()
        .where(SyncRunRecord.source == name)
        .order_by(SyncRunRecord.started.desc(), SyncRunRecord.id.desc())
        .limit(KEEP)
    )
    return [
        SyncRun(row.started, row.duration, row.reason, row.outcome, row.summary, row.error)
        for row in rows
    ]
