"""What the scheduler reports about its sources, and the rules its settings follow.

SourceState is an immutable snapshot of one source for the Sync view and the API; SyncRun
is one entry of a source's history. The checks for intervals, modes and reasons, and the
backoff rule for failing sources, live here so the scheduler, the app and the API share one
wording ("must be 0 or at least 1 minute").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)

MODES = ("watch", "poll", "manual")
# What started a run: its timer, the user's Refresh, the JSON API, a watched folder's change,
# or another part of the app (an assignment that needs fresh metadata, start-up catch-up).
REASONS = ("timer", "manual", "api", "watch", "app")
OUTCOMES = ("ok", "error", "cancelled")
HISTORY_LENGTH = 50  # runs a source keeps, in memory and saved (run_log.py)
# A failing source waits longer after each failure, but never more than this (in minutes).
BACKOFF_CAP_MINUTES = 6 * 60


@dataclass(frozen=True)
class SyncRun:
    """One run of a source: when it started (aware UTC), how long it took in seconds, why it
    ran, how it ended, its summary ("2 added, 1 removed") and its error if it failed."""

    started: datetime
    duration: float
    reason: str
    outcome: str
    summary: str
    error: str | None


@dataclass(frozen=True)
class SourceState:
    """A snapshot of one source, for the Sync view and the API; times are aware UTC.

    `interval` is in seconds (0: no periodic sync), `interval_minutes` the same in minutes
    as the user set it. `next_due` is when the timer runs the source next (None without a
    timer, while it runs, or when timers are off); `backoff_until` is set while a failing
    source's timer waits longer than its interval. `detail` is the source's own report (a
    folder's unmatched files) from its optional detail() method.
    """

    name: str
    enabled: bool
    interval: float
    running: bool
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_summary: str | None
    next_due: datetime | None
    interval_minutes: int = 0
    mode: str = "poll"
    failures: int = 0
    backoff_until: datetime | None = None
    history: tuple[SyncRun, ...] = ()
    paused: bool = False
    pending: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise ValueError(f"sync mode must be one of {', '.join(MODES)} (got {mode!r})")
    return mode


def check_reason(reason: Any) -> str:
    if reason not in REASONS:
        raise ValueError(f"sync reason must be one of {', '.join(REASONS)} (got {reason!r})")
    return reason


def backoff_period(interval: float, failures: int, minute: float = 60.0) -> float:
    """Seconds before the next timed run of a source that failed `failures` times in a row.

    interval * 2**(failures - 1), at most BACKOFF_CAP_MINUTES, and never less than the
    interval itself: the interval is the minimum time between syncs, so a source whose
    interval is already longer than the cap simply keeps it.
    """
    if failures <= 0:
        return interval
    grown = interval * 2 ** min(failures - 1, 32)
    return max(interval, min(grown, BACKOFF_CAP_MINUTES * minute))
