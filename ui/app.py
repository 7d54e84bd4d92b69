"""What the user double-clicks: one running copy, the window, the core started off the Qt
thread, and a clean shutdown on close, Quit, SIGINT or SIGTERM.

`run_gui()` checks for a running copy first (and hands it the links), then builds the core
from the factory, runs everything on a qasync loop and returns the exit code. `ReelboxApp`
owns the lifecycle: the window shows at once, `core.start()` runs in a worker thread, and
only then do the views get their data; quitting waits for a start in progress, saves the
window's settings and stops the core in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QObject, QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

import resources
from app import APP_NAME
from app.events import CoreEvents
from ui.drops import absolute
from ui.library.actions import LibraryActions
from ui.library.movies_model import MoviesModel
from ui.library.movies_page import MoviesPage
from ui.library.posters import PosterProvider
from ui.library.shows_page import ShowsPage
from ui.library.snapshot import LibrarySnapshot, load
from ui.main_window import MainWindow
from ui.single_instance import InstanceServer, OpenEvents, hand_off, server_name
from ui.status_board import StatusBoard
from ui.sync_view import SyncView
from ui.tasks import cancel_all, spawn
from ui.theme import Theme
from ui.torrents.torrents_page import TorrentsPage
from ui.tray import Tray

logger = logging.getLogger(__name__)

# The .desktop file's name: Wayland and the desktop match the window to it by this id.
DESKTOP_ID = "io.github.reelbox.Reelbox"
LIBRARY_DEBOUNCE_MS = 150


def app_icon() -> QIcon:
    icon = QIcon()
    svg = resources.FOLDER / "icons" / "reelbox.svg"
    if svg.exists():
        icon.addFile(str(svg))
    for size, png in zip(resources.APP_ICON_SIZES, resources.icon_files(), strict=True):
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    return icon if not icon.isNull() else QIcon.fromTheme("video-x-generic")


def run_gui(
    core_factory: Callable[[], Any], links: list[str], *, data_dir: Path | str | None = None
) -> int:
    """Run the window until the user quits; returns the process exit code."""
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setDesktopFileName(DESKTOP_ID)
    qt_app.setWindowIcon(app_icon())
    qt_app.setQuitOnLastWindowClosed(False)
    links = [absolute(link) for link in links]
    core = None
    if data_dir is None:
        # Building a Core only reads the settings file; nothing is opened or bound yet.
        core = core_factory()
        data_dir = core.paths.data_dir
    name = server_name(data_dir)
    if hand_off(name, links):
        return 0
    server = InstanceServer(name)
    if core is None:
        core = core_factory()
    reelbox = ReelboxApp(core, links, server)
    try:
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            return runner.run(reelbox.run())
    except RuntimeError as exc:
        # Qt ended its event loop under us: the display went away (X server gone, logout).
        # The clean stop in ReelboxApp.run never ran; flush resume data and the library now.
        logger.warning("The window system went away (%s); stopping Reelbox", exc)
        core.stop()
        return 1
    finally:
        server.close()


def _load_snapshot(core: Any) -> LibrarySnapshot:
    """In a worker thread: the share's current tree waits for a rebuild that is due (up to
    10 s, app/share/live.py), and the window must keep running meanwhile."""
    share = core.share
    tree = share.live_tree.current if share is not None else None
    return load(core.library, tree)


class ReelboxApp(QObject):
    """The running app: window, tray, live data, and the core's start and stop."""

    def __init__(self, core: Any, links: list[str] | None = None, server: Any = None) -> None:
        super().__init__()
        self.core = core
        self.theme = Theme(QApplication.instance(), self)
        self.theme.apply(core.settings.ui.theme)
        self.events = CoreEvents(self)
        self.board = StatusBoard(self)
        self.posters = PosterProvider(self)
        self.snapshot = LibrarySnapshot()
        self.started = False
        self.start_error: str | None = None
        self._quit: asyncio.Event | None = None
        self._pending_links = list(links or [])
        self._loading: asyncio.Future[None] | None = None  # set while a load runs
        self._reload_again = False
        self._stopping = False

        self.movies_model = MoviesModel(self.board, self.posters, self)
        self.movies_page = MoviesPage(self.movies_model, self.board)
        self.shows_page = ShowsPage(self.board, self.posters)
        self.torrents_page = TorrentsPage(self.board)
        self.sync_view = SyncView(
            snapshot=lambda: self.snapshot,
            assign_link=lambda row, link: self.actions.assign(row, link),
        )
        self.window = MainWindow(
            {
                "movies": self.movies_page,
                "shows": self.shows_page,
                "torrents": self.torrents_page,
                "sync": self.sync_view,
            }
        )
        self.actions = LibraryActions(self)
        self.tray = Tray(self) if QSystemTrayIcon.isSystemTrayAvailable() else None

        self._reload_timer = QTimer(self, singleShot=True, interval=LIBRARY_DEBOUNCE_MS)
        self._reload_timer.timeout.connect(self.reload_library)
        self.events.library_changed.connect(self._reload_timer.start)
        self.events.torrent_event.connect(self._on_torrent_event)
        self.events.sync_changed.connect(lambda _name: self.sync_view.refresh())
        self.board.updated.connect(self._on_statuses)
        self.window.close_requested.connect(self._on_close)
        self.window.quit_requested.connect(self.quit)
        self.window.settings_requested.connect(self.actions.open_settings)
        self.window.connect_requested.connect(self.actions.open_connect)
        self.window.status.connect_requested.connect(self.actions.open_connect)
        if server is not None:
            server.links_received.connect(self.receive_links)
        # macOS hands links to the running app as open events, not as a second launch.
        self.open_events = OpenEvents(self)
        self.open_events.links_received.connect(self.receive_links)
        QApplication.instance().installEventFilter(self.open_events)

    # ---- lifecycle ---------------------------------------------------------------------

    async def run(self) -> int:
        """Show the window, start the core without blocking, run until quit; 0 when clean."""
        loop = asyncio.get_running_loop()
        self._quit = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.quit)
        ui = self.core.settings.ui
        self.window.restore_geometry_text(ui.geometry)
        self.window.show_page(ui.last_view)
        self.movies_page.view.set_layout(ui.library_layout)
        self.window.show()
        starting = spawn(self._start(), "core start")
        try:
            await self._quit.wait()
            logger.info("Shutting down")
            await asyncio.gather(starting, return_exceptions=True)
            await self._save_window_settings()
        finally:
            # Library writes during the core's stop still signal: nothing may start a task
            # after the loop stops.
            self._stopping = True
            QApplication.instance().removeEventFilter(self.open_events)
            self._reload_timer.stop()
            self.board.stop()
            await cancel_all()
            if self.tray is not None:
                self.tray.hide()
            self.window.hide()
            await self.core.stop_async()
            await asyncio.to_thread(self.core.stop)
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        logger.info("Reelbox stopped cleanly")
        return 0

    async def _start(self) -> None:
        self.window.status.show_error("Starting…")
        try:
            await asyncio.to_thread(self.core.start)
            await self.core.start_async()
        except Exception as exc:  # a port in use, a part missing: show it, keep the window
            logger.exception("The core did not start")
            self.start_error = f"Reelbox could not start: {exc}"
            self.window.status.show_error(self.start_error)
            self.attach_core()
            self.actions.show_error("Reelbox could not start", str(exc))
            return
        self.started = True
        self.attach_core()
        for notice in self.core.start_notices:  # a damaged library replaced by a fresh one
            self.actions.show_error("Reelbox", notice)
        logger.info("Reelbox window ready")
        await self.reload_library_now()
        links, self._pending_links = self._pending_links, []
        if links:
            self.receive_links(links)
        elif self.core.share is not None and not self.core.settings.ui.connect_shown:
            await self._first_connect()

    async def _first_connect(self) -> None:
        """At the first start (a fresh data folder), show how to connect a device, once."""
        settings = self.core.settings.copy()
        settings.ui.connect_shown = True
        try:
            await asyncio.to_thread(self.core.update_settings, settings)
        except Exception:  # the panel is still worth showing; it shows again next time
            logger.exception("Could not save that the Connect panel was shown")
        self.actions.open_connect()

    def attach_core(self) -> None:
        """Connect the views to whatever parts of the core are running."""
        core = self.core
        self.events.attach(core)
        self.posters.set_cache(core.posters)
        self.board.start(core)
        if self.started:
            self.window.status.show_share(core)
        self.movies_page.detail.share_base = self.share_base()
        self.shows_page.detail.share_base = self.share_base()
        self.torrents_page.set_core(core)
        self.sync_view.set_core(core)
        if self.tray is not None:
            self.tray.set_core(core)

    def settings_applied(self, sections: set[str]) -> None:
        """After the Settings dialog applied changes: show the share's new address, etc."""
        self.window.status.show_share(self.core)
        self.movies_page.detail.share_base = self.shows_page.detail.share_base = self.share_base()
        self.posters.set_cache(self.core.posters)
        if self.core.settings.ui.theme != self.theme.choice:
            self.theme.apply(self.core.settings.ui.theme)
        logger.info("Settings applied: %s", ", ".join(sorted(sections)))

    def share_base(self) -> str:
        from ui.status_bar import lan_url

        share = getattr(self.core, "share", None)
        return lan_url(list(share.urls())) if share is not None else ""

    def quit(self) -> None:
        if self._quit is not None:
            self._quit.set()

    async def _save_window_settings(self) -> None:
        settings = self.core.settings.copy()
        settings.ui.geometry = self.window.geometry_text()
        settings.ui.last_view = self.window.current_page
        settings.ui.library_layout = self.movies_page.view.layout_name
        try:
            await asyncio.to_thread(self.core.update_settings, settings)
        except Exception:  # never let a settings problem block quitting
            logger.exception("Could not save the window's settings")

    def _on_close(self) -> None:
        if self.tray is not None and self.core.settings.ui.close_to_tray:
            self.window.hide()
            self.tray.show_message(APP_NAME, "Reelbox keeps running in the tray.")
        else:
            self.quit()

    # ---- data --------------------------------------------------------------------------

    def reload_library(self) -> None:
        if not self._stopping:
            spawn(self.reload_library_now(), "library reload")

    async def reload_library_now(self) -> None:
        """Load the library into the views; returns once they show what it holds now."""
        if self.core.library is None:
            return
        if self._loading is not None:  # one load at a time; a change during it loads once more
            self._reload_again = True
            await asyncio.shield(self._loading)
            return
        self._loading = asyncio.get_running_loop().create_future()
        try:
            while True:
                self._reload_again = False
                snapshot = await asyncio.to_thread(_load_snapshot, self.core)
                if not self._reload_again:
                    break
            self.snapshot = snapshot
            self.movies_page.set_rows(snapshot.movies)
            self.shows_page.set_rows(snapshot.shows)
            self.torrents_page.set_usage(snapshot.by_hash)
        finally:
            done, self._loading = self._loading, None
            done.set_result(None)

    def _on_statuses(self) -> None:
        self.window.status.show_statuses(self.board.statuses, self.core)
        if self.tray is not None:
            self.tray.show_statuses(self.board.statuses)

    def _on_torrent_event(self, event: str, info_hash: str) -> None:
        self.board.poll()
        if self.tray is not None:
            self.tray.torrent_event(event, info_hash, self.snapshot.by_hash.get(info_hash, []))

    def receive_links(self, links: list[str]) -> None:
        """Links from a second launch (or the command line): show the window, ask for a target."""
        if self._stopping:  # the app is closing: no new dialog after cancel_all()
            return
        self.window.bring_to_front()
        if not self.started:
            self._pending_links.extend(links)
            return
        for link in links:
            spawn(self.actions.assign_link_to_chosen_item(link), "assign link")
