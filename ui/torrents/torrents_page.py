"""The Torrents page: the live table (sortable by any column), the actions on the selected
torrent (a toolbar that folds into its overflow menu when narrow, and the same actions on a
right-click), and its details (files, the library items that use it, a piece map with where
each player reads, the health history).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ui.tasks import run_dialog, spawn
from ui.torrents.piece_map import PieceMap, legend_html
from ui.torrents.torrents_model import NAME, STATUS_ROLE, TorrentsModel, TorrentsSort
from ui.widgets import human_size, popup

logger = logging.getLogger(__name__)


ACTIONS = (
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("remove", "Remove…"),
    ("recheck", "Force recheck"),
    ("reannounce", "Re-announce"),
)
ALL_ACTIONS = (("pause_all", "Pause all"), ("resume_all", "Resume all"))


def can_pause_resume(statuses: Any) -> tuple[bool, bool]:
    """(some torrent runs, some torrent is paused): when Pause and Resume have something to do."""
    paused = [status.paused for status in statuses]
    return (not all(paused), any(paused))


def one_line_items(view: QListWidget, texts: list[str]) -> None:
    """Fill a detail list: each line elided to the list's width (no sideways scrolling, no
    wrapping at 800 px), the whole line in its tooltip."""
    view.clear()
    for text in texts:
        item = QListWidgetItem(text)
        item.setToolTip(text)
        view.addItem(item)


class RemoveDialog(QDialog):
    """Remove a torrent, optionally with its downloaded data."""

    def __init__(self, name: str, users: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remove torrent")
        text = f"Remove “{name}” from Reelbox?"
        if users:
            text += "\n\nThese items use it and will lose their source:\n" + "\n".join(users)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.delete_data = QCheckBox("Also delete the downloaded data")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.remove_button = buttons.addButton("Remove", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.delete_data)
        layout.addWidget(buttons)


class TorrentsPage(QWidget):
    def __init__(self, board: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.core: Any = None
        self.usage: dict[str, list[str]] = {}
        self._files_of: str | None = None
        self.model = TorrentsModel(self)
        self.sorted = TorrentsSort(self.model)
        self.table = QTableView()
        self.table.setModel(self.sorted)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)  # a long health or error elides; its tooltip has it all
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        # A toolbar, not a row of buttons: at 800 px what does not fit moves into its » menu
        # instead of being clipped.
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.torrent_actions: dict[str, QAction] = {}
        for key, label in ACTIONS:
            self._add_action(key, label)
        self.keep_full = QAction("Keep a full copy", self, checkable=True)
        self.keep_full.setToolTip(
            "Download the whole torrent, not only what players read (uses more disk)"
        )
        self.keep_full.triggered.connect(self._keep_full_clicked)
        self.toolbar.addAction(self.keep_full)
        self.copy_magnet = QAction("Copy magnet", self)
        self.copy_magnet.triggered.connect(self._copy_magnet)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        for key, label in ALL_ACTIONS:
            self._add_action(key, label)
        self.buttons: dict[str, QAbstractButton] = {
            key: self.toolbar.widgetForAction(action)
            for key, action in self.torrent_actions.items()
        }

        self.title = QLabel("No torrent selected")
        self.title.setWordWrap(True)
        self.piece_map = PieceMap()
        self.legend = QLabel(legend_html(self.palette()))
        self.files = QListWidget()
        self.users = QListWidget()
        self.health = QListWidget()
        for view in (self.files, self.users, self.health):
            view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.title)
        detail_layout.addWidget(self.piece_map)
        detail_layout.addWidget(self.legend)
        columns = QHBoxLayout()
        for label, widget in (
            ("Files", self.files),
            ("Used by", self.users),
            ("Health", self.health),
        ):
            box = QVBoxLayout()
            box.addWidget(QLabel(label))
            box.addWidget(widget)
            columns.addLayout(box)
        detail_layout.addLayout(columns)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        board.updated.connect(self.refresh)
        self._enable()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.legend.setText(legend_html(self.palette()))  # the theme changed

    def set_core(self, core: Any) -> None:
        self.core = core
        self._enable()

    def set_usage(self, usage: dict[str, list[str]]) -> None:
        self.usage = usage
        self._show_detail()

    def _add_action(self, key: str, label: str) -> None:
        action = QAction(label, self)
        action.triggered.connect(lambda _checked=False, k=key: self.run_action(k))
        self.toolbar.addAction(action)
        self.torrent_actions[key] = action

    def refresh(self) -> None:
        self.model.update(sorted(self.board.statuses.values(), key=lambda s: s.name.casefold()))
        self._show_detail()

    def selected(self) -> Any:
        index = self.table.selectionModel().currentIndex()
        return index.data(STATUS_ROLE) if index.isValid() else None

    def select(self, info_hash: str) -> bool:
        number = self.model.row_of(info_hash)
        if number < 0:
            return False
        self.table.selectRow(self.sorted.mapFromSource(self.model.index(number, NAME)).row())
        return True

    def context_menu(self) -> QMenu:
        """The selected torrent's actions, as the right-click shows them."""
        menu = QMenu(self)
        for key in ("pause", "resume", "recheck", "reannounce"):
            menu.addAction(self.torrent_actions[key])
        menu.addAction(self.keep_full)
        menu.addSeparator()
        menu.addAction(self.copy_magnet)
        menu.addSeparator()
        menu.addAction(self.torrent_actions["remove"])
        return menu

    def _context_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if index.isValid():
            self.table.selectRow(index.row())
            popup(self.context_menu(), self.table.viewport().mapToGlobal(point))

    def _copy_magnet(self) -> None:
        status = self.selected()
        if status is not None:
            spawn(self._copy_magnet_of(status.info_hash), "copy magnet")

    async def _copy_magnet_of(self, info_hash: str) -> None:
        try:  # with the torrent's trackers, which only the engine knows
            link = await asyncio.to_thread(self.core.torrents.magnet, info_hash)
        except Exception as exc:  # removed meanwhile
            logger.info("Copy magnet of %s failed: %s", info_hash, exc)
            return
        QGuiApplication.clipboard().setText(link)

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail()

    def _enable(self) -> None:
        has_engine = self.core is not None and self.core.torrents is not None
        status = self.selected()
        selected = has_engine and status is not None
        for key in ("remove", "recheck", "reannounce"):
            self.torrent_actions[key].setEnabled(selected)
        # Pause greyed for a paused torrent, Resume for a running one.
        self.torrent_actions["pause"].setEnabled(selected and not status.paused)
        self.torrent_actions["resume"].setEnabled(selected and status.paused)
        some_run, some_paused = can_pause_resume(self.board.statuses.values())
        self.torrent_actions["pause_all"].setEnabled(has_engine and some_run)
        self.torrent_actions["resume_all"].setEnabled(has_engine and some_paused)
        self.keep_full.setEnabled(selected)
        self.copy_magnet.setEnabled(status is not None)
        self.keep_full.setChecked(bool(status is not None and status.keep_full_copy))

    def _show_detail(self) -> None:
        self._enable()
        status = self.selected()
        if status is None:
            self.title.setText("No torrent selected")
            self.piece_map.set_pieces(None)
            self.piece_map.set_reading(())
            for widget in (self.files, self.users, self.health):
                widget.clear()
            self._files_of = None
            return
        self.title.setText(
            f"<b>{status.name}</b> · {status.pieces_done} of {status.num_pieces} pieces"
            f" · {status.info_hash}"
        )
        self.piece_map.set_pieces(status.pieces)
        self.piece_map.set_reading(status.reading_pieces)
        users = self.usage.get(status.info_hash, [])
        if [self.users.item(n).text() for n in range(self.users.count())] != users:
            one_line_items(self.users, users or ["(no library item)"])
        events = [
            f"{time.strftime('%H:%M:%S', time.localtime(event.time))} {event.kind}: {event.message}"
            for event in status.health
        ]
        if status.waiting:
            events.insert(0, f"Now: {status.waiting}")
        events = events or ["No stalls or errors so far."]
        if [self.health.item(n).text() for n in range(self.health.count())] != events:
            one_line_items(self.health, events)
        if self._files_of != status.info_hash:
            self._files_of = status.info_hash
            self.files.clear()
            spawn(self._load_files(status.info_hash), "torrent files")

    async def _load_files(self, info_hash: str) -> None:
        info = await asyncio.to_thread(self.core.torrents.get, info_hash)
        if self._files_of != info_hash:
            return
        if info is None:
            one_line_items(self.files, ["(waiting for metadata)"])
            self._files_of = None
            return
        one_line_items(self.files, [f"{f.path}  ({human_size(f.size)})" for f in info.files])

    # ---- actions -----------------------------------------------------------------------

    def run_action(self, key: str) -> None:
        spawn(self._action(key, self.selected()), f"torrent {key}")

    async def _action(self, key: str, status: Any) -> None:
        torrents = self.core.torrents
        try:
            if key.endswith("_all"):
                await asyncio.to_thread(getattr(torrents, key))
            elif status is None:
                return
            elif key == "remove":
                await self._remove(status)
            else:
                await asyncio.to_thread(getattr(torrents, key), status.info_hash)
        except Exception as exc:
            logger.warning("Torrent action %s failed: %s", key, exc)
            box = QMessageBox(QMessageBox.Icon.Warning, "Torrent", str(exc), parent=self)
            box.open()
        self.board.poll()

    def _keep_full_clicked(self, keep: bool) -> None:
        status = self.selected()
        if status is not None:
            spawn(self._keep_full(status.info_hash, keep), "keep full copy")

    async def _keep_full(self, info_hash: str, keep: bool) -> None:
        try:
            await asyncio.to_thread(self.core.torrents.set_keep_full_copy, info_hash, keep)
        except Exception as exc:
            logger.warning("Keep a full copy failed: %s", exc)
        self.board.poll()

    async def _remove(self, status: Any) -> None:
        dialog = RemoveDialog(status.name, self.usage.get(status.info_hash, []), self)
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return
        # The dialog named the items that lose their source: remove it even if used.
        await asyncio.to_thread(
            self.core.assigner.remove_torrent,
            status.info_hash,
            force=True,
            delete_data=dialog.delete_data.isChecked(),
        )
