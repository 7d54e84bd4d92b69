"""What the user does to library items: add, delete, assign (drop, paste, button, second
launch), remove a source, and play one (Play, double-click) or copy its URL. Each action runs
its blocking core calls (the keyring too) in a worker thread and reports problems in plain
words.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QProcess, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialog, QMessageBox

from app.add import NewMovie, NewShow, movie_from_tmdb, show_from_tmdb
from app.library.errors import DuplicateItem
from app.player import PlayerError, player_command, share_url, with_login, write_playlist
from ui.assign_flow import AssignFlow, message_box
from ui.dialogs.add_dialog import AddDialog, AddRequest
from ui.dialogs.item_chooser import ItemChooserDialog
from ui.dialogs.link_dialog import LinkDialog
from ui.drops import links_from_mime
from ui.library.detail_pane import title_of
from ui.library.movies_model import ROW_ROLE
from ui.library.snapshot import EpisodeRow, MovieRow, ShowRow
from ui.tasks import run_dialog, spawn

logger = logging.getLogger(__name__)


class LibraryActions:
    def __init__(self, reelbox: Any) -> None:
        self.reelbox = reelbox
        self.flows: list[AssignFlow] = []  # assignments in progress, oldest first
        self.dialog: QDialog | None = None  # the dialog waiting for the user, for tests
        movies, shows = reelbox.movies_page, reelbox.shows_page
        movies.view.add_requested.connect(lambda: spawn(self.add("movie"), "add movie"))
        shows.add_requested.connect(lambda: spawn(self.add("show"), "add show"))
        for page in (movies, shows):
            page.detail.assign_requested.connect(
                lambda row: spawn(self.assign_by_hand(row), "assign")
            )
            page.detail.unassign_requested.connect(
                lambda row: spawn(self.unassign(row), "unassign")
            )
            page.detail.delete_requested.connect(lambda row: spawn(self.delete(row), "delete"))
            page.detail.play_requested.connect(lambda row: spawn(self.play(row), "play"))
            page.detail.copy_url_requested.connect(
                lambda row: spawn(self.copy_url(row), "copy URL")
            )
        for view in (movies.view.grid, movies.view.table, shows.tree):
            view.doubleClicked.connect(self._double_clicked)
        movies.view.links_dropped.connect(self.links_dropped)
        shows.links_dropped.connect(self.links_dropped)
        reelbox.window.add_requested.connect(
            lambda page: spawn(self.add("show" if page == "shows" else "movie"), "add")
        )

    @property
    def flow(self) -> AssignFlow | None:
        """The newest assignment in progress (tests wait on its dialog)."""
        return self.flows[-1] if self.flows else None

    @property
    def core(self) -> Any:
        return self.reelbox.core

    @property
    def window(self) -> Any:
        return self.reelbox.window

    def show_error(self, title: str, text: str) -> None:
        message_box(self.window, title, text)

    def _ready(self) -> bool:
        if self.core.library is None:
            self.show_error("Not ready", self.reelbox.start_error or "Reelbox is still starting.")
            return False
        return True

    # ---- add ---------------------------------------------------------------------------

    async def add(self, kind: str) -> None:
        if not self._ready():
            return
        dialog = AddDialog(kind, self.core.tmdb, self.core.posters, self.window)
        self.dialog = dialog
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted or dialog.request is None:
                return
            request = dialog.request
        finally:
            self.dialog = None
            dialog.deleteLater()
        try:
            item_id = await self.add_request(request)
        except DuplicateItem as exc:
            await self.reelbox.reload_library_now()
            self._select(kind, exc.existing.id)
            message_box(self.window, "Already in the library", f"{exc}.", error=False)
            return
        except Exception as exc:  # TMDB down, a bad value: nothing was added
            logger.warning("Adding %s failed: %s", request.title, exc)
            self.show_error("Could not add it", str(exc))
            return
        await self.reelbox.reload_library_now()
        self._select(kind, item_id)

    async def add_request(self, request: AddRequest) -> int:
        """Add what the dialog collected; returns the new id. A TMDB choice is described
        from TMDB on the loop, as the API does (app/add.py); the write runs in a thread."""
        tmdb = self.core.tmdb
        new: NewMovie | NewShow
        if request.tmdb_id is not None and tmdb is not None:
            describe = movie_from_tmdb if request.kind == "movie" else show_from_tmdb
            new = await describe(tmdb, request.tmdb_id)
        elif request.kind == "movie":
            new = NewMovie(
                request.title,
                request.year,
                overview=request.overview,
                poster_path=request.poster_path,
            )
        else:
            new = NewShow(
                request.title,
                request.year,
                overview=request.overview,
                poster_path=request.poster_path,
                seasons=dict(request.seasons),
            )
        item = await asyncio.to_thread(new.add_to, self.core.library)
        return item.id

    def _select(self, kind: str, item_id: int) -> None:
        if kind == "movie":
            self.window.show_page("movies")
            self.reelbox.movies_page.view.select_movie(item_id)
        else:
            self.window.show_page("shows")
            self.reelbox.shows_page.select(("ShowRow", item_id))

    # ---- delete and unassign -----------------------------------------------------------

    async def delete(self, row: Any) -> None:
        if not isinstance(row, (MovieRow, ShowRow)) or not self._ready():
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete",
            f"Delete {title_of(row)} from the library? Its files leave the share.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        self.dialog = box
        try:
            if await run_dialog(box) != QMessageBox.StandardButton.Yes:
                return
        finally:
            self.dialog = None
            box.deleteLater()
        kind = "movie" if isinstance(row, MovieRow) else "show"
        try:
            await asyncio.to_thread(self.core.assigner.delete_item, kind, row.id)
        except Exception as exc:
            self.show_error("Could not delete it", str(exc))

    async def unassign(self, row: Any) -> None:
        if not isinstance(row, (MovieRow, EpisodeRow)) or row.source is None or not self._ready():
            return
        kind = "movie" if isinstance(row, MovieRow) else "episode"
        try:
            await asyncio.to_thread(self.core.assigner.unassign, kind, row.id)
        except Exception as exc:
            self.show_error("Could not remove the source", str(exc))

    # ---- assign ------------------------------------------------------------------------

    def links_dropped(self, row: Any, mime: QMimeData) -> None:
        links = links_from_mime(mime)
        if links:
            spawn(self.assign(row, links[0]), "assign drop")

    async def assign_by_hand(self, row: Any) -> None:
        if row is None:
            return
        dialog = LinkDialog(title_of(row), self.window)
        self.dialog = dialog
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                return
            link = dialog.value()
        finally:
            self.dialog = None
            dialog.deleteLater()
        await self.assign(row, link)

    async def assign(self, row: Any, link: str) -> bool:
        if not self._ready() or self.core.assigner is None:
            self.show_error("Not ready", "The torrent engine is not running.")
            return False
        flow = AssignFlow(self.core, self.window, row, link)
        self.flows.append(flow)
        try:
            saved = await flow.run()
        finally:
            self.flows.remove(flow)
        if saved:
            await self.reelbox.reload_library_now()
            if self.reelbox.tray is not None:
                self.reelbox.tray.show_message("Source assigned", title_of(row))
        return saved

    async def assign_link_to_chosen_item(self, link: str) -> None:
        """A link from a second launch: ask which movie, show, season or episode it is for."""
        snapshot = self.reelbox.snapshot
        if not snapshot.movies and not snapshot.shows:
            self.show_error(
                "Nothing to assign to", "Add a movie or a show first, then open the link again."
            )
            return
        dialog = ItemChooserDialog(snapshot, link, self.window)
        self.dialog = dialog
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                return
            row = dialog.chosen()
        finally:
            self.dialog = None
            dialog.deleteLater()
        if row is not None:
            await self.assign(row, link)

    # ---- play --------------------------------------------------------------------------

    def _double_clicked(self, index: QModelIndex) -> None:
        row = index.siblingAtColumn(0).data(ROW_ROLE)
        if isinstance(row, (MovieRow, EpisodeRow)) and row.source is not None:
            spawn(self.play(row), "play")

    async def player_url(self, row: Any, *, local: bool) -> str | None:
        """The row's share URL with the login in it; `local`: this computer's address (the
        loopback one when the share listens there), else the LAN one a device can open."""
        share = self.core.share
        source = getattr(row, "source", None)
        if source is None or share is None:
            self.show_error(
                "Nothing to play",
                "Assign a source to it first." if share else "The share is off (Settings).",
            )
            return None
        urls = list(share.urls())
        base = urls[0] if local and urls else self.reelbox.share_base()
        login = self.core.settings.share
        password = None if login.anonymous else await asyncio.to_thread(self.core.share_password)
        return with_login(share_url(base, source.share_path), login.username, password)

    async def play(self, row: Any) -> None:
        url = await self.player_url(row, local=True)
        if url is None:
            return
        folder = self.core.paths.cache_dir / "player"
        playlist = await asyncio.to_thread(write_playlist, folder, title_of(row), url)
        player = self.core.settings.ui.player
        if not player:
            # the desktop's media player for .m3u (an http link would open the web browser)
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(playlist))):
                self.show_error(
                    "Could not play it",
                    "No program here opens playlists (.m3u). Choose a player in Settings.",
                )
            return
        try:
            program, arguments = player_command(player, str(playlist))
        except PlayerError as exc:
            self.show_error("Could not play it", f"{exc}. Change the player in Settings.")
            return
        started, _pid = QProcess.startDetached(program, arguments)
        if not started:
            self.show_error(
                "Could not play it", f"The player {program!r} did not start. Check it in Settings."
            )

    async def copy_url(self, row: Any) -> None:
        url = await self.player_url(row, local=False)
        if url is not None:
            QGuiApplication.clipboard().setText(url)

    # ---- settings ----------------------------------------------------------------------

    def open_settings(self) -> None:
        from ui.dialogs.settings_dialog import open_settings

        spawn(open_settings(self.reelbox), "settings")

    def open_connect(self) -> None:
        from ui.dialogs.connect_dialog import open_connect

        spawn(open_connect(self.reelbox), "connect a device")
