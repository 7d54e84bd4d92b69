"""How the Sync view words a source's state: times, countdowns, intervals, modes, outcomes.

Pure functions of a SourceState (app/sync/state.py) and the clock, so the view stays a thin
table and the wording is tested without a window.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ui.widgets import plural

logger = logging.getLogger(__name__)

MODE_LABELS = {
    "watch": "watch (on change)",
    "poll": "poll (on a timer)",
    "manual": "manual (Refresh only)",
}
REASON_LABELS = {
    "timer": "timer",
    "manual": "Refresh",
    "api": "API",
    "watch": "file change",
    "app": "app",
}
SERVER_LABELS = {"jellyfin": "Jellyfin", "emby": "Emby", "plex": "Plex", "command": "command"}


def notify_label(detail: dict[str, Any]) -> str:
    """A media server's source (app/notify/history.py): "Notify living-room (Jellyfin)"."""
    target, server = detail.get("target", "?"), detail.get("server")
    return (
        f"Notify {target} ({SERVER_LABELS.get(server, server)})" if server else f"Notify {target}"
    )


def debrid_label(detail: dict[str, Any]) -> str:
    """The account's source: "Real-Debrid account loopback" (the user once known)."""
    account = detail.get("account") or {}
    service = detail.get("service") or "Debrid"
    name = account.get("username")
    return f"{service} account {name}" if name else f"{service} account"


def debrid_status(detail: dict[str, Any]) -> str:
    """The account's line above its files: premium, last check and change, torrents, and a
    failing check's error."""
    account = detail.get("account")
    parts = []
    if account:
        until = str(account.get("premium_until") or "")[:10]
        premium = account.get("premium_seconds", 0) > 0 and until
        parts.append(f"premium until {until}" if premium else "not premium")
    parts.append(f"last check {when(_moment(detail.get('last_check')))}")
    parts.append(f"last change {when(_moment(detail.get('last_change')))}")
    parts.append(plural(int(detail.get("torrents") or 0), "torrent"))
    text = f"{debrid_label(detail)}: " + ", ".join(parts)
    if detail.get("check_error"):
        text += f". The last check failed: {detail['check_error']}"
    return text


def failing_text(detail: dict[str, Any]) -> str:
    """The account's failing torrents with their reason, one a line ("" when none)."""
    failing = detail.get("failing") or []
    lines = [
        f"{f.get('filename', '?')}: {f.get('status', '')}, {f.get('reason', '')}" for f in failing
    ]
    return f"Failing torrents ({len(lines)}):\n" + "\n".join(lines) if lines else ""


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def when(moment: datetime | None) -> str:
    """A past moment, short: the time for today, the date and time otherwise."""
    if moment is None:
        return "never"
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def full_time(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def clock_time(moment: datetime) -> str:
    """A coming moment for "backing off until 14:05" (tomorrow, or a date, when not today)."""
    local = moment.astimezone()
    days = (local.date() - datetime.now().astimezone().date()).days
    if days == 0:
        return local.strftime("%H:%M:%S")
    if days == 1:
        return local.strftime("tomorrow %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def countdown(due: datetime | None, running: bool, enabled: bool = True) -> str:
    if running:
        return "running…"
    if due is None or not enabled:
        return "off"
    left = max(0, int((due - datetime.now(UTC)).total_seconds()))
    return f"{left // 3600:d}:{left % 3600 // 60:02d}:{left % 60:02d}"


def interval_text(minutes: int) -> str:
    if minutes <= 0:
        return "off"
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"every {plural(days, 'day')}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"every {plural(hours, 'hour')}"
    return f"every {minutes} min"


def next_sync(state: Any) -> str:
    """The "Next sync in" cell: a live countdown, or why there is none."""
    if state.running:
        return "running…"
    if state.detail.get("kind") == "notify":  # told by the notifier, paused or not
        return "on share change"
    if state.paused or state.pending:
        return "paused"
    if state.mode == "watch" and state.next_due is None:
        return "on change"
    if state.mode == "manual":
        return "on Refresh"
    if state.interval_minutes <= 0:
        return "off"
    if not state.enabled:
        return "off (timers off)"
    return countdown(state.next_due, False)


def state_text(state: Any) -> str:
    """running / paused / failing with backoff until … / failed / no key set / watching / ok /
    not run yet."""
    if state.running:
        return "running"
    if state.paused or state.pending:
        return "paused (waiting to run)" if state.pending else "paused"
    if state.failures:
        times = f"{state.failures}×"
        if state.backoff_until is not None:
            return f"failing ({times}), backoff until {clock_time(state.backoff_until)}"
        return f"failing ({times})"
    if state.last_error:
        return "failed"
    if state.detail.get("key_set") is False:  # TMDB without a key runs but refreshes nothing
        return "no key set"
    if state.mode == "watch":
        return "watching"
    if state.last_success is not None:
        return "ok"
    return "not run yet"


def result_text(state: Any) -> str:
    if state.last_error:
        return f"error: {state.last_error}"
    return state.last_summary or ""


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds) // 60} min {int(seconds) % 60} s"


def run_cells(run: Any, kind: str = "") -> tuple[str, str, str, str, str]:
    """One history row: started, duration, reason, outcome, summary or error. A media
    server's "app" runs (`kind` "notify") are the notifier telling it of a share change."""
    reason = REASON_LABELS.get(run.reason, run.reason)
    if kind == "notify" and run.reason == "app":
        reason = "share change"
    return (
        when(run.started),
        duration_text(run.duration),
        reason,
        run.outcome,
        run.error if run.error else run.summary,
    )
