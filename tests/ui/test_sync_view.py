"""The Sync page, driven like a user: the TMDB source with its mode, interval and a countdown
that ticks every second; Refresh runs it and starts the countdown again; the history shows
each run; Edit… changes the interval and mode (bad values are shown beside the field and not
saved); a failing source says it is backing off; Pause holds a Refresh until Resume; the
Settings dialog points to this page."""

from __future__ import annotations

import asyncio
import json

from PySide6.QtWidgets import QDialogButtonBox

from tests.app.share.test_tree import assign
from tests.support.loopback import free_port
from tests.support.media_servers import serve
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.dialogs.folder_dialog import FolderDialog
from ui.dialogs.settings_dialog import SettingsDialog
from ui.sync.sources_table import INTERVAL, MODE, NEXT, RESULT, SOURCE, STATE, SUCCESS

OK = QDialogButtonBox.StandardButton.Ok

SKIPPED = "skipped: no TMDB API key is set (add one in Settings)"


def seconds(text: str) -> int:
    hours, minutes, secs = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + secs


def history(view) -> list[list[str]]:
    table = view.detail.history
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


async def edit(view, name: str) -> FolderDialog:
    view.table.select(name)
    view.edit_button.click()
    return await until(lambda: isinstance(view.dialog, FolderDialog) and view.dialog, what="edit")


async def saved_interval(core, name: str) -> int:
    record = await asyncio.to_thread(core.library.get_sync_source, name)
    return record.interval_minutes


def test_countdown_ticks_edit_interval_refresh_restarts_it(qapp, make_core):
    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        await until(lambda: view.table.cell("tmdb", SOURCE).startswith("TMDB"), what="its kind")
        assert view.table.cell("tmdb", MODE) == "poll"
        assert view.table.cell("tmdb", INTERVAL) == "every 1 day"
        assert view.table.cell("tmdb", STATE) == "no key set"  # said before any run
        assert not view.remove_button.isEnabled()  # TMDB cannot be removed
        assert view.detail.unmatched_box.isHidden()  # no unmatched files for TMDB
        first = seconds(view.table.cell("tmdb", NEXT))
        assert 86390 < first <= 86400
        await until(lambda: seconds(view.table.cell("tmdb", NEXT)) < first, 3, "a tick")

        # Edit…: bad intervals are shown beside the field and nothing is saved.
        dialog = await edit(view, "tmdb")
        modes = [dialog.mode.itemData(i) for i in range(dialog.mode.count())]
        assert modes == ["poll", "manual"]  # TMDB has nothing to watch
        for bad in ("often", "1.5", "-3"):
            dialog.interval.setText(bad)
            click(dialog.buttons, OK)
            assert dialog.isVisible()
            assert "must be 0 or at least 1 minute" in dialog.errors["interval"].text()
            assert not dialog.errors["interval"].isHidden()
        assert await saved_interval(core, "tmdb") == 1440
        dialog.interval.setText("2")
        click(dialog.buttons, OK)
        await until(lambda: view.dialog is None, what="the dialog to close")
        assert await saved_interval(core, "tmdb") == 2
        await until(lambda: view.table.cell("tmdb", INTERVAL) == "every 2 min", what="2 min")
        # The new interval counts from the last sync (here: the start), so it is already due
        # in less than two minutes.
        assert seconds(view.table.cell("tmdb", NEXT)) < 120

        # Refresh: the run is recorded and the countdown starts again from a full interval.
        await asyncio.sleep(1.1)
        before = seconds(view.table.cell("tmdb", NEXT))
        view.table.buttons["tmdb"].click()
        await until(lambda: view.table.cell("tmdb", SUCCESS) != "never", what="the run")
        await until(lambda: view.table.cell("tmdb", NEXT) != "running…", what="a countdown")
        after = seconds(view.table.cell("tmdb", NEXT))
        assert after > before and after >= 118
        # no key here: the run fails nothing, and says the key is missing rather than "ok"
        assert view.table.cell("tmdb", RESULT) == SKIPPED
        assert view.table.cell("tmdb", STATE) == "no key set"
        [run] = history(view)
        assert run[2:] == ["Refresh", "ok", SKIPPED]
        assert view.detail.history_title.text().endswith("the last 1 run")

        # Interval 0 turns the timer off; manual mode waits for Refresh.
        dialog = await edit(view, "tmdb")
        dialog.interval.setText("0")
        click(dialog.buttons, OK)
        await until(lambda: view.table.cell("tmdb", NEXT) == "off", what="no timer")
        assert view.table.cell("tmdb", INTERVAL) == "off"
        dialog = await edit(view, "tmdb")
        dialog.mode.setCurrentIndex(dialog.mode.findData("manual"))
        dialog.interval.setText("30")
        click(dialog.buttons, OK)
        await until(lambda: view.table.cell("tmdb", NEXT) == "on Refresh", what="manual")
        assert view.table.cell("tmdb", MODE) == "manual"
        record = await asyncio.to_thread(core.library.get_sync_source, "tmdb")
        assert (record.mode, record.interval_minutes) == ("manual", 30)

    assert run_app(qapp, make_core(**{"sync.enabled": "on"}), scenario)[0] == 0


def test_a_failing_source_shows_its_backoff_and_error(qapp, make_core):
    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        # A linked movie and no key: the run fails, says why, and the source backs off.
        await asyncio.to_thread(core.library.add_movie, "The Matrix", 1999, tmdb_id=603)
        view.table.buttons["tmdb"].click()
        await until(lambda: view.table.cell("tmdb", RESULT).startswith("error:"), what="failure")
        assert "TMDB API key" in view.table.cell("tmdb", RESULT)
        assert view.table.cell("tmdb", SUCCESS) == "never"
        state = view.table.cell("tmdb", STATE)
        assert state.startswith("failing (1×), backoff until tomorrow "), state
        [run] = history(view)
        assert run[2:4] == ["Refresh", "error"] and "TMDB API key" in run[4]
        assert "TMDB API key" in view.message.text()  # said in words above the table too
        # Rescan all runs every source and reports each.
        view.rescan_button.click()
        await until(lambda: len(history(view)) == 2, what="the second run")
        await until(lambda: view.rescan_button.isEnabled(), what="rescan all to end")
        assert "TMDB" in view.message.text() and "error" in view.message.text()
        assert view.table.cell("tmdb", STATE).startswith("failing (2×)")

    assert run_app(qapp, make_core(**{"sync.enabled": "on"}), scenario)[0] == 0


def test_pause_holds_refresh_until_resume(qapp, make_core):
    async def scenario(reelbox):
        view = reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        view.pause_button.click()
        assert view.pause_button.isChecked() and view.pause_button.text() == "Resume syncing"
        await until(lambda: view.table.cell("tmdb", STATE) == "paused", what="paused")
        assert view.table.cell("tmdb", NEXT) == "paused"
        view.table.buttons["tmdb"].click()
        await until(
            lambda: view.table.cell("tmdb", STATE) == "paused (waiting to run)", what="waiting"
        )
        await asyncio.sleep(0.3)
        assert history(view) == []  # nothing ran while paused
        view.pause_button.click()
        await until(lambda: len(history(view)) == 1, what="the run after resume")
        assert history(view)[0][2] == "Refresh"
        await until(lambda: view.table.cell("tmdb", STATE) == "no key set", what="run, no key")
        assert not view.pause_button.isChecked()
        # A pause through the API is named beside the button, which does not end it.
        await asyncio.to_thread(reelbox.core.sync_manager.pause, "api")
        await until(lambda: view.paused_by.isVisible(), what="the API's pause")
        assert view.paused_by.text() == "Paused through the API"
        assert not view.pause_button.isChecked()
        assert view.table.cell("tmdb", STATE) == "paused"
        await asyncio.to_thread(reelbox.core.sync_manager.resume, "api")
        await until(lambda: view.paused_by.isHidden(), what="the end of the API's pause")
        await until(lambda: view.table.cell("tmdb", STATE) == "no key set", what="as before")

    assert run_app(qapp, make_core(**{"sync.enabled": "on"}), scenario)[0] == 0


def test_settings_library_tab_points_to_the_sync_view(qapp, make_core):
    async def scenario(reelbox):
        reelbox.window.show_page("movies")
        reelbox.window.settings_action.trigger()
        dialog = await until(
            lambda: isinstance(reelbox.actions.dialog, SettingsDialog) and reelbox.actions.dialog,
            what="the settings dialog",
        )
        tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
        dialog.tabs.setCurrentIndex(tabs.index("Library"))
        assert dialog.sync_view_button.isVisible()
        dialog.sync_view_button.click()
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        assert reelbox.window.current_page == "sync"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_media_servers_are_sources_with_each_delivery_in_their_history(qapp, make_core):
    """Two notification targets, one refusing connections: a change is an ok run of one
    source and an error of the other; Refresh sends a test; a target removed in the
    settings leaves the page."""

    async def scenario(reelbox, jellyfin):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        names = ["tmdb", "notify-good", "notify-down"]
        await until(lambda: view.table.names == names, what="the media servers' sources")
        assert view.table.cell("notify-good", SOURCE) == "Notify good (Jellyfin)"
        assert view.table.cell("notify-down", SOURCE) == "Notify down (Emby)"
        assert view.table.cell("notify-good", MODE) == "manual"
        assert view.table.cell("notify-good", NEXT) == "on share change"
        assert view.table.cell("notify-good", STATE) == "not run yet"
        movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
        await asyncio.to_thread(assign, core.library, "movie", movie.id)
        await until(lambda: view.table.cell("notify-good", STATE) == "ok", what="delivered")
        await until(lambda: view.table.cell("notify-down", STATE) == "failing (1×)", what="error")
        assert view.table.cell("notify-good", RESULT) == "1 folder sent"
        assert "cannot reach" in view.table.cell("notify-down", RESULT)
        view.table.select("notify-down")
        await until(lambda: history(view), what="the error's run")
        [failed] = history(view)
        assert failed[2:4] == ["share change", "error"] and "cannot reach" in failed[4]
        assert not view.edit_button.isEnabled()  # targets are edited in Settings
        assert not view.remove_button.isEnabled()
        assert view.detail.unmatched_box.isHidden()
        view.table.select("notify-good")
        view.table.buttons["notify-good"].click()
        await until(lambda: len(history(view)) == 2, what="the test's run")
        assert [row[2:] for row in history(view)] == [
            ["Refresh", "ok", "test: 2 folders sent"],
            ["share change", "ok", "1 folder sent"],
        ]
        assert len(jellyfin.requests) == 2
        # the history is written during the run, the message once the button's task resumes
        await until(
            lambda: view.message.text() == "Notify good (Jellyfin): test: 2 folders sent",
            what="the test's message",
        )
        new = core.settings.copy()
        new.set(
            "notify.targets",
            json.dumps([{"name": "good", "kind": "jellyfin", "url": jellyfin.url}]),
        )
        await asyncio.to_thread(core.update_settings, new)
        await until(lambda: view.table.names == names[:2], what="the removed target to go")

    with serve("jellyfin") as jellyfin:
        targets = [
            {"name": "good", "kind": "jellyfin", "url": jellyfin.url},
            {"name": "down", "kind": "emby", "url": f"http://127.0.0.1:{free_port()}"},
        ]
        core = make_core(
            **{
                "share.enabled": "on",
                "notify.debounce_seconds": "0.1",
                "notify.targets": json.dumps(targets),
            }
        )
        assert run_app(qapp, core, lambda reelbox: scenario(reelbox, jellyfin))[0] == 0
