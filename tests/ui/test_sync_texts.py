"""The Sync view's wording of a source's state: pure functions, checked without a window."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.sync.state import SourceState, SyncRun
from ui.sync.sources_table import source_label
from ui.sync.texts import countdown, interval_text, next_sync, run_cells, state_text, when


def idle() -> SourceState:
    """A poll source due in ten minutes from now (built per test: the clock moves)."""
    return SourceState(
        name="folder-1",
        enabled=True,
        interval=600.0,
        running=False,
        last_attempt=None,
        last_success=None,
        last_error=None,
        last_summary=None,
        next_due=datetime.now(UTC) + timedelta(minutes=10),
        interval_minutes=10,
        mode="poll",
    )


def test_countdown_and_times_in_words():
    now = datetime.now(UTC)
    assert countdown(now + timedelta(minutes=61, seconds=5), False).startswith("1:01:0")
    assert countdown(now - timedelta(seconds=5), False) == "0:00:00"
    assert countdown(now, True) == "running…"
    assert countdown(None, False) == "off"
    assert countdown(now + timedelta(minutes=5), False, enabled=False) == "off"
    assert when(None) == "never"
    assert when(now) == now.astimezone().strftime("%H:%M:%S")  # today: the time only
    assert when(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).startswith("2026-01-0")


def test_intervals_in_words():
    assert interval_text(0) == "off"
    assert interval_text(1) == "every 1 min"
    assert interval_text(90) == "every 90 min"
    assert interval_text(120) == "every 2 hours"
    assert interval_text(1440) == "every 1 day"


def test_next_sync_and_state_for_each_situation():
    now = datetime.now(UTC)
    base = idle()
    assert next_sync(base).startswith("0:09:5") or next_sync(base) == "0:10:00"
    assert state_text(base) == "not run yet"
    running = replace(base, running=True, next_due=None)
    assert (next_sync(running), state_text(running)) == ("running…", "running")
    assert next_sync(replace(base, interval_minutes=0, next_due=None)) == "off"
    assert next_sync(replace(base, enabled=False, next_due=None)) == "off (timers off)"
    assert next_sync(replace(base, mode="manual", next_due=None)) == "on Refresh"
    watching = replace(base, mode="watch", next_due=None, last_success=now)
    assert (next_sync(watching), state_text(watching)) == ("on change", "watching")
    assert state_text(replace(base, last_success=now)) == "ok"
    paused = replace(base, paused=True, next_due=None)
    assert (next_sync(paused), state_text(paused)) == ("paused", "paused")
    assert state_text(replace(paused, pending="timer")) == "paused (waiting to run)"
    backoff = now.replace(microsecond=0) + timedelta(minutes=20)
    failing = replace(base, failures=2, backoff_until=backoff, last_error="folder missing")
    assert state_text(failing) == (
        f"failing (2×), backoff until {backoff.astimezone():%H:%M:%S}"
        if backoff.astimezone().date() == datetime.now().astimezone().date()
        else f"failing (2×), backoff until {backoff.astimezone():tomorrow %H:%M}"
    )


def test_history_rows():
    now = datetime.now(UTC)
    ok = SyncRun(now, 0.25, "manual", "ok", "2 added, 1 unmatched", None)
    failed = SyncRun(now, 75.0, "watch", "error", "", "folder missing")
    assert run_cells(ok)[1:] == ("250 ms", "Refresh", "ok", "2 added, 1 unmatched")
    assert run_cells(failed)[1:] == ("1 min 15 s", "file change", "error", "folder missing")
    told = SyncRun(now, 0.01, "app", "error", "", "HTTP 500 from the server")
    assert run_cells(told)[2:4] == ("app", "error")
    assert run_cells(told, "notify")[2:] == ("share change", "error", "HTTP 500 from the server")


def test_a_media_servers_source_reads_as_one_and_runs_on_share_changes():
    now = datetime.now(UTC)
    detail = {"kind": "notify", "target": "den", "server": "plex", "address": "http://x"}
    state = SourceState("notify-den", True, 0.0, False, None, None, None, None, None)
    state = replace(state, mode="manual", detail=detail)
    assert source_label("notify-den", "notify", None, detail) == "Notify den (Plex)"
    assert source_label("notify-x", "notify", None, {"target": "x"}) == "Notify x"
    assert next_sync(state) == "on share change"
    assert next_sync(replace(state, paused=True)) == "on share change"  # the notifier's own
    assert next_sync(replace(state, running=True)) == "running…"
    assert state_text(replace(state, last_success=now)) == "ok"


def test_sources_are_named_by_kind_and_path():
    home = Path.home()
    assert source_label("tmdb", "tmdb", None).startswith("TMDB")
    assert source_label("folder-1", "folder", str(home / "Videos" / "In")) == os.path.join(
        "~", "Videos", "In"
    )
    assert source_label("folder-2", "folder", "/srv/media") == "/srv/media"
    assert source_label("folder-3", "folder", str(home) + "2/x") == str(home) + "2/x"
    assert source_label("folder-4", "folder", None) == "folder-4"


def test_tmdb_without_a_key_is_not_ok():
    ran = replace(
        idle(),
        name="tmdb",
        last_success=datetime.now(UTC),
        last_summary="skipped: no TMDB API key is set (add one in Settings)",
        detail={"kind": "tmdb", "key_set": False},
    )
    assert state_text(ran) == "no key set"
    assert state_text(replace(ran, detail={"kind": "tmdb", "key_set": True})) == "ok"
