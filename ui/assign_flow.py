"""Assigning a torrent to a library item, from a drop, a paste, the Assign button or a link
handed over by a second launch.

The steps: resolve the link (magnet, .torrent file, http(s) download), fetch the metadata
while a row in the window's Tasks dock (ui/task_panel.py) shows the wait, its time and the
peers found, with Cancel; the window stays usable and several assignments can wait at once.
Then the user picks the movie's file or confirms the episode matches, and Assigner saves it
in a worker thread. Any failure is shown in plain words and changes nothing; Cancel at any
step changes nothing.

With a debrid account set up, the flow first asks where the link goes, in one click: this
computer's torrent engine or Real-Debrid (the last choice is the default button, remembered
in the setting debrid.send_to). Real-Debrid's way (app/debrid/assign.py) picks the files by
itself; its row shows the account's status and percentage, and Cancel deletes the torrent
from the account when this flow added it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QWidget

from app.debrid.assign import DebridAssigner, Progress, Target
from app.torrents.errors import TorrentNotFound
from ui import drops
from ui.dialogs.episodes_dialog import EpisodesDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.dialogs.release_mismatch import confirm_release
from ui.library.detail_pane import episodes_of, title_of
from ui.library.snapshot import EpisodeRow, MovieRow, SeasonRow, ShowRow
from ui.task_panel import TaskRow, task_panel
from ui.tasks import run_dialog, spawn

logger = logging.getLogger(__name__)

TICK = 0.5  # seconds between updates of a task row
# info hash -> flows awaiting its metadata (the loop's thread): Cancel in one flow must not
# remove a torrent another flow still waits for
_fetching: Counter[str] = Counter()
DESTINATIONS = {"torrent": "This computer (torrent)", "debrid": "Real-Debrid"}


class Cancelled(Exception):
    """The user pressed Cancel; nothing was changed."""


def message_box(parent: QWidget | None, title: str, text: str, error: bool = True) -> QMessageBox:
    icon = QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class AssignFlow:
    """One assignment from a link to a saved source (or a clear 'nothing changed')."""

    def __init__(self, core: Any, parent: QMainWindow, target: Any, link: str) -> None:
        self.core = core
        self.parent = parent
        self.target = target
        self.link = link
        self.row: TaskRow | None = None  # this flow's row in the Tasks dock while it runs
        self.dialog: QDialog | None = None  # the open choice dialog, for tests and Cancel
        self.added = False  # the torrent was not in the session before this assignment

    async def run(self) -> bool:
        """True when an assignment was saved."""
        title = title_of(self.target)
        where = "torrent"
        if debrid_ready(self.core):
            chosen = await self._choose_destination(title)
            if chosen is None:
                return False
            where = chosen
        panel = task_panel(self.parent)
        to = " (Real-Debrid)" if where == "debrid" else ""
        self.row = panel.add(f"{title} ← {drops.describe(self.link)}{to}")
        try:
            source = await self._wait(
                f"Reading {drops.describe(self.link)}", drops.resolve(self.link)
            )
            if where == "debrid":
                saved = await self._via_debrid(source)
            else:
                saved = await self._via_engine(title, source)
        except Cancelled:
            logger.info("Assignment to %s cancelled", title)
            return False
        except Exception as exc:  # InvalidTorrent, MetadataTimeout, NoVideoFile, LinkError, ...
            logger.info("Assignment to %s failed: %s", title, exc)
            message_box(
                self.parent, "Could not assign the torrent", f"{exc}\n\nNothing was changed."
            )
            return False
        finally:
            panel.remove(self.row)
            self.row = None
        return saved

    async def _via_engine(self, title: str, source: str | bytes) -> bool:
        """The local torrent engine: the file list from peers, then the user's choice."""
        assert self.row is not None
        info_hash = self.core.torrents.parse_source(source)
        _fetching[info_hash] += 1
        try:
            info = await self._wait(
                "Fetching the file list from peers",
                asyncio.to_thread(self._inspect, source, info_hash),
                info_hash,
            )
        finally:
            _fetching[info_hash] -= 1
            if not _fetching[info_hash]:
                del _fetching[info_hash]
        self.row.show_waiting_for_user("File list received: waiting for your choice")
        try:
            if not await confirm_release(self.parent, self.core, self.target, info.name):
                raise Cancelled
            if isinstance(self.target, MovieRow):
                return await self._assign_movie(title, source, info)
            return await self._assign_episodes(title, source, info)
        except BaseException:
            self._discard(info.info_hash)
            raise

    async def _choose_destination(self, title: str) -> str | None:
        """Where the link goes ("torrent" or "debrid"), None on Cancel; a new choice is
        remembered as the next default."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Where to send it",
            f"Send {drops.describe(self.link)} for {title} to:",
            QMessageBox.StandardButton.NoButton,
            self.parent,
        )
        buttons = {
            key: box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
            for key, label in DESTINATIONS.items()
        }
        box.addButton(QMessageBox.StandardButton.Cancel)
        remembered = self.core.settings.debrid.send_to
        box.setDefaultButton(buttons[remembered])
        self.dialog = box
        try:
            await run_dialog(box)
            clicked = box.clickedButton()
        finally:
            self.dialog = None
            box.deleteLater()
        chosen = next((key for key, button in buttons.items() if button is clicked), None)
        if chosen is not None and chosen != remembered:
            spawn(self._remember(chosen), "remember where links go")
        return chosen

    async def _remember(self, where: str) -> None:
        settings = self.core.settings.copy()
        settings.debrid.send_to = where
        await asyncio.to_thread(self.core.update_settings, settings)

    async def _via_debrid(self, source: str | bytes) -> bool:
        """The debrid account fetches it; the row follows its status until it is assigned."""
        row = self.row
        assert row is not None
        manager = self.core.sync_manager
        sync_source = manager.source("debrid") if manager is not None else None
        assigner = DebridAssigner(
            self.core.library, self.core.debrid, runs=getattr(sync_source, "runs", None)
        )

        def progress(step: Progress) -> None:
            # the library write cannot be stopped half way: no Cancel while saving
            row.show_percent(step.text, step.percent, cancellable=step.status != "saving")

        row.show_percent("Sending to Real-Debrid", 0)
        task = asyncio.ensure_future(assigner.assign(source, debrid_target(self.target), progress))
        pressed = False

        def cancel() -> None:
            nonlocal pressed
            pressed = True
            task.cancel()

        row.cancel_button.clicked.connect(cancel)
        try:
            rows = await task
        except asyncio.CancelledError:
            if pressed:
                raise Cancelled from None
            raise  # the app quits
        finally:
            row.cancel_button.clicked.disconnect(cancel)
        logger.info("Assigned %d file(s) through Real-Debrid", len(rows))
        return True

    def _inspect(self, source: str | bytes, info_hash: str) -> Any:
        """Fetch the metadata (worker thread); remembers whether the torrent was new, so a
        cancelled or failed assignment removes only what it added."""
        self.added = self._peers(info_hash) is None
        return self.core.assigner.inspect(source)

    def _peers(self, info_hash: str) -> int | None:
        """Peers connected to the torrent, None while it is not in the session (worker)."""
        try:
            return self.core.torrents.status(info_hash).peers
        except TorrentNotFound:
            return None

    def _discard(self, info_hash: str) -> None:
        if self.added:
            spawn(asyncio.to_thread(self.core.assigner.discard, info_hash), "discard torrent")

    def _stop_fetch(self, info_hash: str) -> None:
        """Remove the torrent this flow added while its metadata is awaited (worker thread):
        the waiting thread ends at once instead of at the timeout. Not while an item uses it
        (a share read may have added it again meanwhile)."""
        if self.core.library.assignments_for_hash(info_hash, active_only=True):
            return
        with contextlib.suppress(TorrentNotFound):  # it timed out or was removed meanwhile
            self.core.torrents.remove(info_hash, delete_data=True)

    async def _wait(self, doing: str, work: Awaitable[Any], info_hash: str | None = None) -> Any:
        """Await `work` while this flow's task row shows `doing`, the time taken and, for a
        metadata fetch (`info_hash`), the peers found; the row's Cancel raises Cancelled.

        A download is cancelled at once. A metadata fetch runs in a worker thread that
        cannot be interrupted: Cancel removes the torrent this flow added, which ends it,
        and a result that still arrives is dropped.
        """
        assert self.row is not None
        task = asyncio.ensure_future(work)
        cancelled = asyncio.get_running_loop().create_future()

        def cancel() -> None:
            if not cancelled.done():
                cancelled.set_result(None)

        self.row.cancel_button.clicked.connect(cancel)
        started = time.monotonic()
        try:
            while not task.done() and not cancelled.done():
                peers = await asyncio.to_thread(self._peers, info_hash) if info_hash else None
                self.row.show_progress(doing, time.monotonic() - started, peers)
                await asyncio.wait({task, cancelled}, timeout=TICK)
        finally:
            self.row.cancel_button.clicked.disconnect(cancel)
            if not task.done() and info_hash is None:
                task.cancel()  # a download: cancelled, or the app quits
        if task.done():
            return task.result()
        if info_hash is not None:
            task.add_done_callback(self._abandoned)
            if self.added and _fetching[info_hash] == 1:  # no other flow waits for it
                spawn(asyncio.to_thread(self._stop_fetch, info_hash), "stop metadata fetch")
        raise Cancelled

    def _abandoned(self, task: asyncio.Future[Any]) -> None:
        # The user gave up while the fetch ran in its thread: drop what it added when it ends.
        if task.cancelled() or task.exception() is not None:
            return
        info = task.result()
        if getattr(info, "info_hash", None):
            self._discard(info.info_hash)

    async def _choose(self, dialog: QDialog) -> bool:
        self.dialog = dialog
        try:
            return await run_dialog(dialog) == QDialog.DialogCode.Accepted
        finally:
            self.dialog = None
            dialog.deleteLater()

    async def _assign_movie(self, title: str, source: str | bytes, info: Any) -> bool:
        dialog = MovieFileDialog(title, info, self.parent)
        if not any(choice.is_video for choice in dialog.choices):
            dialog.deleteLater()
            raise ValueError(f"“{info.name}” holds no video file.")
        if not await self._choose(dialog):
            raise Cancelled
        choice = dialog.chosen()
        await asyncio.to_thread(
            self.core.assigner.assign, "movie", self.target.id, source, file_path=choice.path
        )
        logger.info("Assigned %s to %s", choice.path, title)
        return True

    async def _assign_episodes(self, title: str, source: str | bytes, info: Any) -> bool:
        if isinstance(self.target, EpisodeRow):
            episodes, hint = [self.target], self.target.season_number
        elif isinstance(self.target, SeasonRow):
            episodes, hint = episodes_of(self.target), self.target.number
        elif isinstance(self.target, ShowRow):
            episodes, hint = episodes_of(self.target), None
        else:
            raise ValueError("Drop the torrent on a movie, a show, a season or an episode.")
        if not episodes:
            raise ValueError(f"{title} has no episodes to assign.")
        dialog = EpisodesDialog(title, info, episodes, hint, self.parent)
        if not dialog.videos:
            dialog.deleteLater()
            raise ValueError(f"“{info.name}” holds no video file.")
        if not await self._choose(dialog):
            raise Cancelled
        mapping = dialog.mapping()
        await asyncio.to_thread(self.core.assigner.assign_episodes, source, mapping)
        logger.info("Assigned %d episode(s) of %s", len(mapping), title)
        return True


def debrid_ready(core: Any) -> bool:
    """A debrid account is set up: links can be sent to it."""
    client = getattr(core, "debrid", None)
    return client is not None and bool(client.token)


def debrid_target(row: Any) -> Target:
    """The library item a row stands for, as app/debrid/assign.py names it."""
    kinds = {MovieRow: "movie", ShowRow: "show", SeasonRow: "season", EpisodeRow: "episode"}
    kind = kinds.get(type(row))
    if kind is None:
        raise ValueError("Drop the torrent on a movie, a show, a season or an episode.")
    return Target(kind, row.id)
