"""The Sync page: every source the scheduler runs (TMDB refresh, watched folders, the debrid
account, media servers told of the share's changes) with its
mode, interval, live countdown and state, a Refresh button each and "Rescan all"; the
selected source's history and a folder's unmatched files (Assign… links one to a movie or an
episode; "Add as new items" adds many as new movies and shows, app/sync/bulk_add.py, with a
progress bar and Cancel); and the folder editor: add a folder, edit a source's mode and interval, remove a
folder. The debrid account shows its state, failing torrents and unmatched files (Assign…).

The view only shows the scheduler's states and calls the core; blocking calls run in worker
threads, dialogs are awaited without nesting the loop, and every refusal is shown in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.sync.bulk_add import BulkAdd, Outcome, Progress
from app.sync.scheduler import SyncError
from ui.assign_flow import message_box
from ui.dialogs.folder_dialog import FolderDialog, FolderValues
from ui.library.detail_pane import title_of
from ui.library.snapshot import EpisodeRow, LibrarySnapshot, MovieRow
from ui.sync.item_choice import ItemChooser
from ui.sync.source_detail import SourceDetail
from ui.sync.sources_table import SourcesTable, source_label
from ui.tasks import run_dialog, spawn
from ui.widgets import popup

logger = logging.getLogger(__name__)

NOTE = (
    "Sources keep the library current: TMDB refreshes titles, posters and new episodes; "
    "watched folders add the videos and .torrent files dropped into them; media servers "
    "are told what changed on the share (Refresh sends one a test). A source's countdown "
    "starts again after every sync, whatever started it."
)

PAUSE_REASONS = {"api": "through the API", "settings": "while settings are applied"}


class SyncView(QWidget):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        snapshot: Callable[[], LibrarySnapshot] | None = None,
        assign_link: Callable[[Any, str], Awaitable[bool]] | None = None,
    ) -> None:
        """`snapshot` gives the library's current rows (for Assign…), `assign_link(row,
        link)` runs the app's torrent assignment (for an unmatched .torrent file)."""
        super().__init__(parent)
        self.core: Any = None
        self.snapshot = snapshot or LibrarySnapshot
        self.assign_link = assign_link
        self.sources: dict[str, tuple[str, str | None]] = {}  # name -> (kind, path)
        self.dialog: Any = None  # the dialog waiting for the user, for tests
        self.chooser = ItemChooser(self)
        self._rescanning = False
        self._loading = False
        self._names: frozenset[str] = frozenset()

        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.add_button = QPushButton("Add folder…")
        self.add_button.setToolTip("Watch a folder of videos or .torrent files")
        self.add_button.clicked.connect(lambda: spawn(self.add_folder(), "add folder"))
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Change the selected source's mode and interval")
        self.edit_button.clicked.connect(lambda: spawn(self.edit_selected(), "edit source"))
        self.remove_button = QPushButton("Remove folder")
        self.remove_button.setToolTip(
            "Stop watching the selected folder (its items keep their sources)"
        )
        self.remove_button.clicked.connect(lambda: spawn(self.remove_selected(), "remove"))
        self.pause_button = QPushButton("Pause syncing")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(
            "No sync starts while paused; timers and Refresh wait until you resume"
        )
        self.pause_button.toggled.connect(self.set_paused)
        self.paused_by = QLabel("")
        self.paused_by.hide()
        self.rescan_button = QPushButton("Rescan all")
        self.rescan_button.setToolTip("Sync every source now, each on its own")
        self.rescan_button.clicked.connect(lambda: spawn(self.rescan_all(), "rescan all"))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        self.table = SourcesTable()
        self.table.refresh_requested.connect(lambda name: spawn(self.sync(name), "refresh"))
        self.table.selected_changed.connect(lambda _name: self.refresh())
        self.table.doubleClicked.connect(lambda _index: spawn(self.edit_selected(), "edit"))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_source_menu)
        self.detail = SourceDetail()
        self.detail.assign_requested.connect(
            lambda path, kind: spawn(self.assign_file(path, kind), "assign file")
        )
        self.detail.add_new_requested.connect(
            lambda paths: spawn(self.add_as_new(paths), "add as new items")
        )
        self.bulk: BulkAdd | None = None  # the bulk add running, if any
        self.bulk_progress = QProgressBar()
        self.bulk_label = QLabel("")
        self.bulk_cancel = QPushButton("Cancel")
        self.bulk_cancel.setToolTip("Stop after the item being added; what was added stays")
        self.bulk_cancel.clicked.connect(self.cancel_bulk)
        self.bulk_bar = QWidget()
        bulk_layout = QHBoxLayout(self.bulk_bar)
        bulk_layout.setContentsMargins(0, 0, 0, 0)
        bulk_layout.addWidget(self.bulk_label)
        bulk_layout.addWidget(self.bulk_progress, 1)
        bulk_layout.addWidget(self.bulk_cancel)
        self.bulk_bar.hide()

        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.paused_by)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.rescan_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([180, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.bulk_bar)
        layout.addWidget(splitter, 1)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    # ---- showing ---------------------------------------------------------------------

    def set_core(self, core: Any) -> None:
        self.core = core
        if self.isVisible():
            self._timer.start()
        self.refresh()  # learns the sources' kinds and paths from the library

    # The countdown ticks only while the page is shown (the window hides at shutdown too).

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.core is not None:
            self._timer.start()
            self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def states(self) -> list[Any]:
        sync = getattr(self.core, "sync", None)
        return list(sync.states()) if sync is not None else []

    def state(self, name: str) -> Any | None:
        return next((state for state in self.states() if state.name == name), None)

    async def load_sources(self) -> None:
        """Read each source's kind and path from the library (a worker thread)."""
        library = getattr(self.core, "library", None)
        if library is None:
            return
        self._loading = True
        try:
            records = await asyncio.to_thread(library.sync_sources)
        finally:
            self._loading = False
        self.sources = {record.name: (record.kind, record.path) for record in records}
        self.refresh()

    def _load_soon(self) -> None:
        if not self._loading and getattr(self.core, "library", None) is not None:
            self._loading = True
            spawn(self.load_sources(), "load sync sources")

    def kind(self, name: str, state: Any | None = None) -> str:
        """tmdb or folder (the library's sources), or notify (a media server's, which the
        library does not keep: its state's detail says so)."""
        if name in self.sources:
            return self.sources[name][0]
        state = state or self.state(name)
        if state is not None and state.detail.get("kind"):
            return state.detail["kind"]
        return "tmdb" if name == "tmdb" else "folder"

    def label(self, name: str, state: Any | None = None) -> str:
        state = state or self.state(name)
        kind, path = self.sources.get(name, (self.kind(name, state), None))
        detail = state.detail if state is not None else {}
        return source_label(name, kind, detail.get("path") or path, detail)

    def refresh(self) -> None:
        states = self.states()
        if self.core is not None and getattr(self.core, "sync", None) is None:
            self.note.setText("Sync is not running: Reelbox did not start completely.")
        ready = getattr(self.core, "sync", None) is not None
        names = frozenset(state.name for state in states)
        if names != self._names:  # a folder added elsewhere (the API): learn its kind and path
            self._names = names
            self._load_soon()
        self.table.show_states(states, self.sources)
        selected = self.table.selected()
        state = next((s for s in states if s.name == selected), None)
        kind = self.kind(selected, state) if state is not None else ""
        folder = kind == "folder"
        files = folder or kind == "debrid"  # sources that list unmatched files
        self.detail.show_state(state, self.label(selected, state) if state else "", files)
        self.add_button.setEnabled(ready)
        self.edit_button.setEnabled(state is not None and kind != "notify")  # in Settings
        self.remove_button.setEnabled(folder)
        self.rescan_button.setEnabled(bool(states) and not self._rescanning)
        self.pause_button.setEnabled(ready)
        self._show_pause(getattr(self.core, "sync", None))

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ---- running -----------------------------------------------------------------------

    async def sync(self, name: str) -> None:
        """The Refresh button: run the source now (or join its run); the countdown restarts."""
        if name in self.table.buttons:
            self.table.buttons[name].setEnabled(False)
        try:
            summary = await self.core.sync.sync_now(name, "manual")
        except Exception as exc:  # recorded by the scheduler in the state and history too
            logger.info("Sync of %s failed: %s", name, exc)
            self.say(f"{self.label(name)}: {exc}")
        else:
            self.say(f"{self.label(name)}: {summary or 'done'}")
        self.refresh()

    def _show_pause(self, sync: Any) -> None:
        """The button follows the user's own pause; other pauses (the API's, settings being
        applied) are named beside it, since Resume here does not end them."""
        reasons = list(sync.pause_reasons) if sync is not None else []
        mine = "user" in reasons
        if self.pause_button.isChecked() != mine:
            blocked = self.pause_button.blockSignals(True)
            self.pause_button.setChecked(mine)
            self.pause_button.blockSignals(blocked)
        self.pause_button.setText("Resume syncing" if mine else "Pause syncing")
        others = [PAUSE_REASONS.get(reason, reason) for reason in reasons if reason != "user"]
        self.paused_by.setText("Paused " + " and ".join(others) if others else "")
        self.paused_by.setVisible(bool(others))

    def set_paused(self, paused: bool) -> None:
        """Pause syncing until the button is released (the scheduler's "user" pause; the
        app's own pauses, while settings apply, are separate and short)."""
        sync = getattr(self.core, "sync", None)
        if sync is None:
            return
        if paused:
            sync.pause("user")
            self.say("Syncing is paused: no source runs until you resume.")
        else:
            sync.resume("user")
            self.say("Syncing resumed.")
        self.refresh()

    async def rescan_all(self) -> None:
        self._rescanning = True
        self.refresh()
        self.say("Rescanning every source…")
        try:
            report = await self.core.sync.rescan_all("manual")
        except Exception as exc:
            self.say(f"Rescan all failed: {exc}")
        else:
            self.say("; ".join(f"{self.label(name)}: {text}" for name, text in report.items()))
        finally:
            self._rescanning = False
            self.refresh()

    # ---- the right-click menu on a source ----------------------------------------------

    def source_menu(self, name: str) -> QMenu:
        """Sync now, Pause/Resume syncing, Edit… and Remove… for the source `name` (made
        the selected one, which Edit… and Remove… act on)."""
        self.table.select(name)
        kind = self.kind(name)
        state = self.state(name)
        menu = QMenu(self)
        sync_now = menu.addAction("Sync now", lambda: spawn(self.sync(name), "refresh"))
        sync_now.setEnabled(state is not None and not state.running)
        paused = self.pause_button.isChecked()
        menu.addAction(
            "Resume syncing" if paused else "Pause syncing",
            lambda: self.pause_button.setChecked(not paused),
        ).setEnabled(self.pause_button.isEnabled())
        menu.addSeparator()
        edit = menu.addAction("Edit…", lambda: spawn(self.edit_selected(), "edit source"))
        edit.setEnabled(state is not None and kind != "notify")  # media servers: Settings
        remove = menu.addAction("Remove…", lambda: spawn(self.remove_selected(), "remove"))
        remove.setEnabled(kind == "folder")
        return menu

    def _show_source_menu(self, pos: QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if 0 <= row < len(self.table.names):
            menu = self.source_menu(self.table.names[row])
            popup(menu, self.table.viewport().mapToGlobal(pos))

    # ---- the folder editor -------------------------------------------------------------

    async def _open(self, dialog: Any) -> int:
        self.dialog = dialog
        try:
            return await run_dialog(dialog)
        finally:
            self.dialog = None
            dialog.deleteLater()

    async def add_folder(self) -> None:
        """Add folder…: path, mode and interval; the core saves the folder and starts its
        source, then it is scanned at once (whatever its mode) so its files show up now."""
        added: list[str] = []

        async def save(values: FolderValues) -> None:
            state = await asyncio.to_thread(
                self.core.add_folder, values.path, values.mode, values.interval_minutes
            )
            added.append(state.name)

        if await self._open(FolderDialog(save, self)) != FolderDialog.DialogCode.Accepted:
            return
        name = added[-1]
        await self.load_sources()
        self.table.select(name)
        self.core.sync.trigger(name, "app")
        banner = f"{self.label(name)} was added; its first scan is running."
        self.say(banner)
        try:
            run = await self.core.sync.run(name, "app")  # joins the scan just started
        except SyncError:  # removed meanwhile
            run = None
        if self.message.text() == banner:  # the user did nothing else meanwhile
            if run is None:
                self.say("")
            elif run.outcome == "ok":
                self.say(f"{self.label(name)}: first scan done: {run.summary}")
            else:
                self.say(f"{self.label(name)}: the first scan failed: {run.error}")
        self.refresh()

    async def edit_selected(self) -> None:
        name = self.table.selected()
        state = self.state(name)
        if state is None or self.kind(name, state) == "notify":  # edited in Settings
            return
        kind, path = self.sources.get(name, (self.kind(name), None))

        async def save(values: FolderValues) -> None:
            await asyncio.to_thread(
                self.core.update_source,
                name,
                interval_minutes=values.interval_minutes,
                mode=values.mode,
            )

        dialog = FolderDialog(
            save,
            self,
            name=name,
            path=path or source_label(name, kind, path),
            mode=state.mode,
            interval_minutes=state.interval_minutes,
            modes=("poll", "manual") if kind == "tmdb" else ("watch", "poll", "manual"),
            kind=kind,
        )
        if await self._open(dialog) == FolderDialog.DialogCode.Accepted:
            self.refresh()
            self.say(f"{self.label(name)}: saved.")

    async def remove_selected(self) -> None:
        name = self.table.selected()
        if not name or self.kind(name) != "folder":
            return
        label = self.label(name)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove folder",
            f"Stop watching {label}?\n\nThe files stay on disk and the items already "
            "linked to them keep their sources.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        if await self._open(box) != QMessageBox.StandardButton.Yes:
            return
        try:
            await asyncio.to_thread(self.core.remove_folder, name)
        except Exception as exc:
            logger.info("Removing %s failed: %s", name, exc)
            message_box(self, "Could not remove the folder", f"{exc}\n\nNothing was changed.")
            return
        await self.load_sources()
        self.say(f"{label} is no longer watched.")

    # ---- unmatched files -----------------------------------------------------------------

    async def assign_file(self, path: str, kind: str) -> None:
        """Assign… on an unmatched file: ask for the item, then link the file to it (a
        video as a local source, a .torrent through the app's usual torrent assignment)."""
        folder = self.table.selected()
        snapshot = self.snapshot()
        torrent = kind == "torrent"
        if not snapshot.movies and not snapshot.shows:
            message_box(
                self, "Nothing to assign to", "Add the movie or the show first, then assign."
            )
            return
        row = await self.chooser.choose(path, snapshot, whole_shows=torrent)
        if row is None:
            return
        if torrent:
            # The folder already added the torrent to the engine: the usual assignment
            # (choose the file, confirm the episodes) links it; a rescan then drops it here.
            if self.assign_link is not None and await self.assign_link(row, path):
                self.say(f"{title_of(row)} now plays from the torrent {PurePath(path).name}.")
                if folder in self.table.names:
                    self.core.sync.trigger(folder, "app")
            return
        if not isinstance(row, (MovieRow, EpisodeRow)):
            return
        item_type = "movie" if isinstance(row, MovieRow) else "episode"
        try:
            if kind == "debrid":
                await self._assign_debrid(folder, path, item_type, row.id)
            else:
                await asyncio.to_thread(self.core.assign_local_file, path, item_type, row.id)
        except Exception as exc:  # the file vanished, the item was deleted, ...
            logger.info("Assigning %s failed: %s", path, exc)
            message_box(self, "Could not assign the file", f"{exc}\n\nNothing was changed.")
            return
        self.say(f"{title_of(row)} now plays from {path}.")
        self.refresh()

    async def _assign_debrid(self, name: str, path: str, item_type: str, item_id: int) -> None:
        """A file of the debrid account becomes the item's source (on the loop, where the
        source lives; its library write runs in a worker)."""
        entry = next((e for e in self.detail.files if e.get("path") == path), None)
        source = self.core.sync_manager.source(name) if self.core.sync_manager else None
        if entry is None or source is None:
            raise SyncError("the account's file list changed meanwhile: try again")
        await source.assign(entry["info_hash"], int(entry["file_id"]), item_type, item_id)

    async def add_as_new(self, paths: list[str]) -> None:
        """Add as new items: the videos become new movies and shows (TMDB's when a key is
        set) and their sources; progress and Cancel below the buttons, errors listed after."""
        folder = self.table.selected()
        state = self.state(folder)
        root = (state.detail.get("path") if state else None) or self.sources.get(
            folder, ("", None)
        )[1]
        if self.bulk is not None or not root:
            return
        self.bulk = BulkAdd(self.core.library, getattr(self.core, "tmdb", None), self._progress)
        self.detail.set_adding(True)
        self.bulk_cancel.setEnabled(True)
        self.bulk_progress.setRange(0, len(paths))
        self.bulk_progress.setValue(0)
        self.bulk_label.setText(f"Adding {len(paths)} file(s)…")
        self.bulk_bar.show()
        try:
            outcome = await self.bulk.run(root, paths)
        except Exception as exc:  # a bug or a closed library: said, what was done stays
            logger.exception("Bulk add failed")
            self.say(f"Adding the files failed: {exc}")
        else:
            self.say(bulk_text(outcome))
        finally:
            self.bulk = None
            self.bulk_bar.hide()
            self.detail.set_adding(False)
        if folder in self.table.names:  # its unmatched list loses what was assigned
            self.core.sync.trigger(folder, "app")
        self.refresh()

    def cancel_bulk(self) -> None:
        if self.bulk is not None:
            self.bulk.cancel()
            self.bulk_cancel.setEnabled(False)
            self.bulk_label.setText("Stopping after the item being added…")

    def _progress(self, step: Progress) -> None:
        self.bulk_progress.setValue(step.done)
        if step.current and self.bulk_cancel.isEnabled():
            self.bulk_label.setText(f"Adding {step.current} ({step.done}/{step.total})…")


# errors shown in the message line; the log has them all
SHOWN_ERRORS = 10


def bulk_text(outcome: Outcome) -> str:
    """What a bulk add did, and each file it could not add with the reason."""
    lines = [f"Add as new items: {outcome.summary()}."]
    for path, why in outcome.errors[:SHOWN_ERRORS]:
        lines.append(f"{PurePath(path).name}: {why}")
    if len(outcome.errors) > SHOWN_ERRORS:
        lines.append(f"and {len(outcome.errors) - SHOWN_ERRORS} more (see the log)")
    return "\n".join(lines)
