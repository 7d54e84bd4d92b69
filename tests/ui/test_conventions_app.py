"""Desktop conventions on the real window, driven with keys and the right-click menu: Ctrl+F,
Esc, Ctrl+N, Ctrl+, and Delete (with its confirmation), and the menu's entries doing their
work on the real library with the share on 127.0.0.1."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import run_app, until
from ui.dialogs.add_dialog import AddDialog
from ui.dialogs.settings_dialog import SettingsDialog
from ui.library.context_menu import menu_at

CTRL = Qt.KeyboardModifier.ControlModifier


async def dialog_of(reelbox, kind: type):
    return await until(
        lambda: isinstance(reelbox.actions.dialog, kind) and reelbox.actions.dialog,
        what=f"a {kind.__name__}",
    )


async def closed(reelbox) -> None:
    """The dialog closed, and its window active again (a window manager's job; offscreen
    has none)."""
    await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
    await activate(reelbox.window)


async def activate(window) -> None:
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window, what="the window active")


def test_shortcuts_find_add_settings_and_delete(qapp, make_core):
    async def scenario(reelbox):
        core, window = reelbox.core, reelbox.window
        for title in ("Heat", "Léon"):
            await asyncio.to_thread(core.library.add_movie, title, 1995)
        await reelbox.reload_library_now()
        await activate(window)
        view = reelbox.movies_page.view

        QTest.keyClick(window, Qt.Key.Key_F, CTRL)  # Ctrl+F: into the search field
        assert QApplication.focusWidget() is view.search
        QTest.keyClicks(view.search, "leon")
        assert view.proxy.rowCount() == 1
        QTest.keyClick(view.search, Qt.Key.Key_Home)
        QTest.keyClick(view.search, Qt.Key.Key_Delete)  # the field keeps its Delete key
        assert view.search.text() == "eon" and reelbox.actions.dialog is None
        QTest.keyClick(view.search, Qt.Key.Key_Escape)
        assert view.search.text() == "" and view.proxy.rowCount() == 2

        QTest.keyClick(window, Qt.Key.Key_N, CTRL)  # Ctrl+N on Movies: add a movie
        (await dialog_of(reelbox, AddDialog)).reject()
        await closed(reelbox)
        window.show_page("shows")
        QTest.keyClick(window, Qt.Key.Key_F, CTRL)
        assert QApplication.focusWidget() is reelbox.shows_page.search
        QTest.keyClick(window, Qt.Key.Key_N, CTRL)  # on TV Shows: add a show
        dialog = await dialog_of(reelbox, AddDialog)
        assert dialog.kind == "show"
        dialog.reject()
        await closed(reelbox)
        QTest.keyClick(window, Qt.Key.Key_Comma, CTRL)  # Ctrl+, : Settings
        (await dialog_of(reelbox, SettingsDialog)).reject()
        await closed(reelbox)

        window.show_page("movies")
        heat = next(row for row in reelbox.movies_model.rows if row.title == "Heat")
        view.select_movie(heat.id)
        view.grid.setFocus()
        QTest.keyClick(view.grid, Qt.Key.Key_Delete)  # asks first
        box = await dialog_of(reelbox, QMessageBox)
        assert box.text().startswith("Delete Heat (1995) from the library?")
        box.button(QMessageBox.StandardButton.Yes).click()
        titles = lambda: [row.title for row in reelbox.movies_model.rows]  # noqa: E731
        await until(lambda: titles() == ["Léon"], what="Heat to be deleted")
        return [movie.title for movie in await asyncio.to_thread(core.library.list_movies)]

    code, left = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert left == ["Léon"]


def test_the_right_click_menu_copies_the_url_removes_the_source_and_deletes(
    qapp, make_core, tmp_path
):
    video = tmp_path / "Amélie.mkv"
    video.write_bytes(bytes(range(256)) * 64)

    async def scenario(reelbox):
        core = reelbox.core
        movie = await asyncio.to_thread(core.library.add_movie, "Amélie", 2001)
        await asyncio.to_thread(core.assign_local_file, video, "movie", movie.id)
        await reelbox.reload_library_now()
        page = reelbox.movies_page
        grid = page.view.grid

        def menu():
            index = page.view.proxy.index(0, 0)  # anew: a reload resets the model
            found = menu_at(grid, page.detail, grid.visualRect(index).center())
            return found, {entry.objectName(): entry for entry in found.actions()}

        opened, entries = menu()
        assert page.view.selected().id == movie.id  # the menu's item is the selected one
        assert all(entries[name].isEnabled() for name in ("play", "copy_url", "unassign"))
        QGuiApplication.clipboard().clear()
        entries["copy_url"].trigger()
        url = await until(lambda: QGuiApplication.clipboard().text(), what="the URL")
        assert url.startswith(f"http://reelbox:{core.share_password()}@127.0.0.1:")
        assert url.endswith("Am%C3%A9lie%20%282001%29.mkv")
        opened.close()

        opened, entries = menu()
        entries["unassign"].trigger()
        await until(lambda: page.view.selected().source is None, what="the source removed")
        opened.close()
        opened, entries = menu()
        assert not entries["play"].isEnabled() and not entries["unassign"].isEnabled()
        assert entries["assign"].text() == "Assign source…"
        entries["delete"].trigger()
        box = await dialog_of(reelbox, QMessageBox)
        box.button(QMessageBox.StandardButton.Cancel).click()  # a cancel deletes nothing
        await closed(reelbox)
        opened.close()
        return await asyncio.to_thread(core.library.list_movies)

    code, movies = run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)
    assert code == 0
    assert [movie.title for movie in movies] == ["Amélie"]
