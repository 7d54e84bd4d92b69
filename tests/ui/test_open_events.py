"""macOS's open events (a clicked magnet: link, a double-clicked .torrent) reach the same
hand-off as links on the command line and links from a second launch: the running window
asks which item the link is for."""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import run_app, until
from ui.app import ReelboxApp
from ui.dialogs.item_chooser import ItemChooserDialog
from ui.single_instance import OpenEvents

MAGNET = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Heat.1995.720p"


def open_event(qapp, link: str) -> None:
    """What Qt's Cocoa plugin does with an Apple event: a QFileOpenEvent to the application."""
    event = QFileOpenEvent(QUrl(link)) if link.startswith("magnet:") else QFileOpenEvent(link)
    QApplication.sendEvent(qapp, event)


def question(reelbox) -> ItemChooserDialog | None:
    dialog = reelbox.actions.dialog
    return dialog if isinstance(dialog, ItemChooserDialog) and dialog.isVisible() else None


def test_open_events_become_links(qapp, qtbot, tmp_path):
    torrent = tmp_path / "Heat (1995).torrent"
    events = OpenEvents()
    qapp.installEventFilter(events)
    try:
        with qtbot.waitSignal(events.links_received, timeout=2000) as magnet:
            open_event(qapp, MAGNET)
        with qtbot.waitSignal(events.links_received, timeout=2000) as file:
            open_event(qapp, str(torrent))
    finally:
        qapp.removeEventFilter(events)
    assert magnet.args == [[MAGNET]]
    assert file.args == [[str(torrent)]]


def test_the_running_window_asks_where_an_opened_link_goes(qapp, make_core, tmp_path):
    links = [MAGNET, str(tmp_path / "Heat (1995).torrent")]

    async def scenario(reelbox):
        await asyncio.to_thread(reelbox.core.library.add_movie, "Heat", 1995)
        await until(lambda: reelbox.snapshot.movies, what="the library")
        asked = []
        for link in links:
            reelbox.window.hide()
            open_event(qapp, link)
            assert reelbox.window.isVisible()  # as for a second launch: the window comes up
            dialog = await until(lambda: question(reelbox), what="the question which item")
            asked.append(dialog.label.toolTip() == link)
            dialog.reject()
            await until(lambda: reelbox.actions.dialog is None, what="the question to close")
        return asked

    code, asked = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert asked == [True, True]  # each question named its link


def test_a_link_that_starts_the_app_waits_for_the_core_like_a_command_line_link(qapp, make_core):
    """macOS starts the app to deliver the event: it arrives before the core runs, is kept
    like a command-line link, and is handled once the library is loaded."""
    reelbox = ReelboxApp(make_core())
    open_event(qapp, MAGNET)

    async def main():
        running = asyncio.ensure_future(reelbox.run())
        try:
            await until(lambda: reelbox.started, 30, "the core to start")
            # The library is empty: the same answer a command-line link gets.
            box = await until(
                lambda: next(
                    (b for b in reelbox.window.findChildren(QMessageBox) if b.isVisible()), None
                ),
                what="the message",
            )
            text = (box.windowTitle(), box.text())
            box.close()
        finally:
            reelbox.quit()
            code = await running
        return code, text

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        code, text = runner.run(main())
    assert code == 0
    assert text == (
        "Nothing to assign to",
        "Add a movie or a show first, then open the link again.",
    )
