"""Assigning a torrent to a library item, from a drop, a paste, the Assign button or a link
handed over by a second launch.

The steps: resolve the link (magnet, .torrent file, http(s) download), fetch the metadata
with a visible, cancellable progress dialog, let the user pick the movie's file or confirm
the episode matches, then save through app/assign.py's Assigner in a worker thread. Any
failure is shown in plain words and changes nothing; Cancel at any step changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog, QWidget

from ui import drops
from ui.dialogs.episodes_dialog import EpisodesDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.dialogs.release_mismatch import confirm_release
from ui.library.detail_pane import episodes_of, title_of
from ui.library.snapshot import EpisodeRow, MovieRow, SeasonRow, ShowRow
from ui.tasks import run_dialog, spawn

logger = logging.getLogger(__name__)


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

    def __init__(self, core: Any, parent: QWidget | None, target: Any, link: str) -> None:
        self.core = core
        self.parent = parent
        self.target = target
        self.link = link
        self.progress: QProgressDialog | None = None
        self.dialog: QDialog | None = None  # the open choice dialog, for tests and Cancel
        self.added = False  # the torrent was not in the session before this assignment

    async def run(self) -> bool:
        """True when an assignment was saved."""
        title = title_of(self.target)
        try:
            source = await self._with_progress(
                f"Reading {drops.describe(self.link)}…", drops.resolve(self.link)
            )
            info = await self._with_progress(
                "Fetching the torrent's file list from its peers…",
                asyncio.to_thread(self._inspect, source),
                in_thread=True,
            )
            try:
                if not await confirm_release(self.parent, self.core, self.target, info.name):
                    raise Cancelled
                if isinstance(self.target, MovieRow):
                    saved = await self._assign_movie(title, source, info)
                else:
                    saved = await self._assign_episodes(title, source, info)
            except BaseException:
                self._discard(info.info_hash)
                raise
        except Cancelled:
            logger.info("Assignment to %s cancelled", title)
            return False
        except Exception as exc:  # InvalidTorrent, MetadataTimeout, NoVideoFile, LinkError, ...
            logger.info("Assignment to %s failed: %s", title, exc)
            message_box(
                self.parent, "Could not assign the torrent", f"{exc}\n\nNothing was changed."
            )
            return False
        return saved

    def _inspect(self, source: str | bytes) -> Any:
        """Fetch the metadata (worker thread); remembers whether the torrent was new, so a
        cancelled or failed assignment removes only what it added."""
        torrents = self.core.torrents
        self.added = torrents.get(torrents.parse_source(source)) is None
        return self.core.assigner.inspect(source)

    def _discard(self, info_hash: str) -> None:
        if self.added:
            spawn(asyncio.to_thread(self.core.assigner.discard, info_hash), "discard torrent")

    async def _with_progress(self, text: str, work: Any, in_thread: bool = False) -> Any:
        """Await `work` while a progress dialog with Cancel is up; Cancel raises Cancelled.

        A download is cancelled at once. A metadata fetch running in a worker thread cannot
        be interrupted: on Cancel its result is dropped when it ends (the engine's own
        timeout bounds the wait) and the torrent it added is removed.
        """
        task = asyncio.ensure_future(work)
        progress = QProgressDialog(text, "Cancel", 0, 0, self.parent)
        progress.setWindowTitle("Assigning a torrent")
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.progress = progress
        cancelled = asyncio.get_running_loop().create_future()
        progress.canceled.connect(lambda: cancelled.done() or cancelled.set_result(None))
        progress.open()
        try:
            await asyncio.wait({task, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            progress.canceled.disconnect()
            progress.close()
            progress.deleteLater()
            self.progress = None
        if not task.done():
            if in_thread:
                task.add_done_callback(self._abandoned)
            else:
                task.cancel()
            raise Cancelled
        return task.result()

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
