"""Right-click on a source in the Sync view: Sync now runs it, Pause/Resume syncing holds and
frees every run, Edit… opens its editor, Remove… asks, then forgets a watched folder; Remove…
is off for TMDB, which cannot be removed."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMenu, QMessageBox

from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.dialogs.folder_dialog import FolderDialog


def actions(menu) -> dict[str, object]:
    return {a.text(): a for a in menu.actions() if not a.isSeparator()}


def test_the_source_menu_syncs_pauses_edits_and_removes(qapp, make_core, tmp_path):
    folder = tmp_path / "Incoming"
    folder.mkdir()
    (folder / "home-video.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 4096)

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        state = await asyncio.to_thread(core.add_folder, folder, "manual", 0)
        name = state.name
        await until(lambda: name in view.table.names, what="the folder's row")
        await view.load_sources()  # its path, for the editor

        tmdb = actions(view.source_menu("tmdb"))
        assert list(tmdb) == ["Sync now", "Pause syncing", "Edit…", "Remove…"]
        assert not tmdb["Remove…"].isEnabled() and tmdb["Edit…"].isEnabled()

        menu = actions(view.source_menu(name))
        assert view.table.selected() == name and menu["Remove…"].isEnabled()
        menu["Pause syncing"].trigger()
        assert core.sync.paused and view.pause_button.isChecked()
        assert "Resume syncing" in actions(view.source_menu(name))
        actions(view.source_menu(name))["Sync now"].trigger()
        await until(lambda: core.sync.state(name).pending, what="the run to wait")
        assert core.sync.state(name).history == ()  # held while paused
        actions(view.source_menu(name))["Resume syncing"].trigger()
        assert not core.sync.paused
        await until(lambda: core.sync.state(name).history, what="the run after resume")
        assert core.sync.state(name).history[0].summary == "1 added; 1 unmatched"

        actions(view.source_menu(name))["Edit…"].trigger()
        dialog = await until(lambda: isinstance(view.dialog, FolderDialog) and view.dialog)
        assert dialog.windowTitle() == f"Edit {folder}" and dialog.path.text() == str(folder)
        click(dialog.buttons, QDialogButtonBox.StandardButton.Cancel)
        await until(lambda: view.dialog is None, what="the editor to close")

        actions(view.source_menu(name))["Remove…"].trigger()
        box = await until(lambda: isinstance(view.dialog, QMessageBox) and view.dialog)
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: name not in view.table.names, what="the folder to go")
        records = await asyncio.to_thread(core.library.sync_sources)
        return [record.name for record in records]

    code, names = run_app(qapp, make_core(), scenario)
    assert code == 0 and names == ["tmdb"]


def test_a_closed_right_click_menu_is_deleted(qapp, make_core):
    """Each right-click makes a menu with the view as its parent: closed, it must go, or every
    right-click would keep one alive as long as the window."""

    async def scenario(reelbox):
        view = reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        point = view.table.visualItemRect(view.table.item(0, 0)).center()
        for _ in range(3):
            view.table.customContextMenuRequested.emit(point)
            menu = await until(QApplication.activePopupWidget, what="the menu")
            assert isinstance(menu, QMenu) and "Sync now" in actions(menu)
            menu.close()
        await until(lambda: not view.findChildren(QMenu), what="the closed menus to go")
        return True

    code, gone = run_app(qapp, make_core(), scenario)
    assert code == 0 and gone
