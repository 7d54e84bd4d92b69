"""The Sync page shows the scheduler's sources (last attempt, success, error, countdown)
and its "Sync now" button runs a source at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.ui.conftest import run_app, until
from ui.sync_view import countdown, when


def cells(view, row: int) -> list[str]:
    return [view.table.item(row, column).text() for column in range(view.table.columnCount())]


def test_sources_listed_and_sync_now_records_the_outcome(qapp, make_core):
    async def scenario(reelbox):
        view = reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.rowCount() == 1, what="the TMDB source")
        name, attempt, success, due, result = cells(view, 0)
        assert (name, attempt, success) == ("tmdb", "never", "never")
        assert due.count(":") == 2  # a countdown to the next run
        view.table.selectRow(0)
        view.sync_button.click()
        await until(lambda: cells(view, 0)[2] != "never", what="the sync's outcome")
        name, attempt, success, due, result = cells(view, 0)
        assert result == "no shows or movies are linked to TMDB"
        assert attempt <= success  # same format, so text order is time order
        assert due.count(":") == 2 and due != "running…"  # the countdown starts again
        # A linked movie and no key: the run fails, says why, and the timer keeps going.
        await asyncio.to_thread(reelbox.core.library.add_movie, "The Matrix", 1999, tmdb_id=603)
        view.sync_button.click()
        await until(lambda: cells(view, 0)[4].startswith("error:"), what="the failed run")
        assert "TMDB API key" in cells(view, 0)[4]
        assert cells(view, 0)[2] == success  # the last success stays what it was

    assert run_app(qapp, make_core(**{"sync.enabled": "on"}), scenario)[0] == 0


def test_countdown_and_times_in_words():
    now = datetime.now(UTC)
    assert countdown(now + timedelta(minutes=61, seconds=5), False).startswith("1:01:0")
    assert countdown(now - timedelta(seconds=5), False) == "0:00:00"
    assert countdown(now, True) == "running…"
    assert countdown(None, False) == "off"
    assert countdown(now + timedelta(minutes=5), False, enabled=False) == "off"
    assert when(None) == "never"
    assert when(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).startswith("2026-01-0")
