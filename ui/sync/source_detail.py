"""The pane under the Sync view's table: the selected source's recent runs (start, duration,
reason, outcome, what changed or the error) and, for a watched folder, the files it could not
match to a library item: Assign… links one to an item, "Add as new items" (the selected
videos) and "Add all as new" make new movies and shows of many at once. For the debrid
account, the same list with Assign… under the account's line (premium, last check and
change) and its failing torrents with their reasons.
"""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.sync.elide import MiddleElide
from ui.sync.texts import debrid_status, failing_text, run_cells

logger = logging.getLogger(__name__)

HISTORY_HEADERS = ("Started", "Took", "Why", "Outcome", "What changed / error")
UNMATCHED_HEADERS = ("File", "Kind", "Why it waits")


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    """Replace the rows only when they differ, so the selection survives the 1 s refresh."""
    current = [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]
    if current == rows:
        return
    selected = table.currentRow()
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(row, column, item)
    if 0 <= selected < len(rows):
        table.selectRow(selected)


class SourceDetail(QWidget):
    assign_requested = Signal(str, str)  # (file path, kind "video" | "torrent")
    add_new_requested = Signal(list)  # the video paths to add as new items

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._adding = False
        self.history_title = QLabel("History")
        self.history = _table(HISTORY_HEADERS)
        self.unmatched_title = QLabel("Unmatched files")
        self.folder_error = QLabel("")
        self.folder_error.setStyleSheet("color: #d0413c")
        self.folder_error.setWordWrap(True)
        self.folder_error.hide()
        self.account_line = QLabel("")  # the debrid account's state
        self.account_line.setWordWrap(True)
        self.failing = QLabel("")  # the debrid account's failing torrents
        self.failing.setWordWrap(True)
        self.failing.setStyleSheet("color: #d0413c")
        self.failing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unmatched = _table(UNMATCHED_HEADERS)
        self.unmatched.setItemDelegateForColumn(0, MiddleElide(self.unmatched))
        self.assign_button = QPushButton("Assign…")
        self.assign_button.setToolTip("Choose the movie or episode this file is")
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self._assign_selected)
        self.unmatched.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.add_new_button = QPushButton("Add as new items")
        self.add_new_button.setToolTip(
            "Add the selected videos as new movies and shows (from TMDB when a key is set, "
            "else from their names) and link each file to its item"
        )
        self.add_new_button.setEnabled(False)
        self.add_new_button.clicked.connect(lambda: self._add_new(self._selected_rows()))
        self.add_all_button = QPushButton("Add all as new")
        self.add_all_button.setToolTip("Add every unmatched video as a new movie or show")
        self.add_all_button.setEnabled(False)
        self.add_all_button.clicked.connect(lambda: self._add_new(range(len(self.files))))
        self.unmatched.itemSelectionChanged.connect(self._selection_changed)
        self.unmatched.itemDoubleClicked.connect(lambda _item: self._assign_selected())
        self.files: list[dict[str, Any]] = []

        history_box = QWidget()
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(self.history_title)
        history_layout.addWidget(self.history, 1)
        self.unmatched_box = QWidget()
        unmatched_layout = QVBoxLayout(self.unmatched_box)
        unmatched_layout.setContentsMargins(0, 0, 0, 0)
        # the actions on a row of their own: beside the title they were cut off
        bar = QHBoxLayout()
        bar.addWidget(self.assign_button)
        bar.addWidget(self.add_new_button)
        bar.addWidget(self.add_all_button)
        bar.addStretch(1)
        unmatched_layout.addWidget(self.account_line)
        unmatched_layout.addWidget(self.failing)
        unmatched_layout.addWidget(self.unmatched_title)
        unmatched_layout.addLayout(bar)
        unmatched_layout.addWidget(self.folder_error)
        unmatched_layout.addWidget(self.unmatched, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(history_box)
        self.splitter.addWidget(self.unmatched_box)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 4)  # the unmatched files' reasons need the room
        self.splitter.setStretchFactor(1, 5)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.unmatched_box.hide()

    def show_state(self, state: Any | None, label: str = "", folder: bool = False) -> None:
        """`folder`: the source has files to list (a watched folder or the debrid account)."""
        if state is None:
            self.history_title.setText("History")
            _fill(self.history, [])
            self.unmatched_box.hide()
            return
        count = len(state.history)
        self.history_title.setText(
            f"History of {label}: the last {count} run" + ("s" if count != 1 else "")
            if count
            else f"History of {label}: no runs yet"
        )
        kind = state.detail.get("kind", "")
        _fill(self.history, [run_cells(run, kind) for run in state.history])
        self.unmatched_box.setVisible(folder)
        if not folder:
            return
        detail = state.detail or {}
        debrid = kind == "debrid"
        self.account_line.setText(debrid_status(detail) if debrid else "")
        self.account_line.setVisible(debrid)
        self.failing.setText(failing_text(detail) if debrid else "")
        self.failing.setVisible(bool(self.failing.text()))
        # the account adds new items itself (setting debrid.add_unmatched)
        self.add_new_button.setVisible(not debrid)
        self.add_all_button.setVisible(not debrid)
        self.files = list(detail.get("unmatched") or [])
        error = detail.get("error")
        self.folder_error.setText(f"The folder cannot be scanned: {error}" if error else "")
        self.folder_error.setVisible(bool(error))
        self.unmatched_title.setText(
            f"Unmatched files ({len(self.files)}): not linked to any library item"
            if self.files
            else "Unmatched files: none, every file found its item"
        )
        _fill(
            self.unmatched,
            [
                (
                    PurePath(str(entry.get("path", ""))).name,
                    str(entry.get("kind", "")),
                    str(entry.get("reason", "")),
                )
                for entry in self.files
            ],
        )
        for row, entry in enumerate(self.files):
            self.unmatched.item(row, 0).setToolTip(str(entry.get("path", "")))
        self._selection_changed()

    def set_adding(self, adding: bool) -> None:
        """While a bulk add runs, no other one starts."""
        self._adding = adding
        self._selection_changed()

    def _selection_changed(self) -> None:
        rows = self._selected_rows()
        self.assign_button.setEnabled(len(rows) == 1)
        idle = not self._adding
        self.add_new_button.setEnabled(idle and bool(self._videos(rows)))
        self.add_all_button.setEnabled(idle and bool(self._videos(range(len(self.files)))))

    def _selected_rows(self) -> list[int]:
        rows = self.unmatched.selectionModel().selectedRows()
        return sorted(r.row() for r in rows if r.row() < len(self.files))

    def _selected_row(self) -> int:
        rows = self._selected_rows()
        return rows[0] if len(rows) == 1 else -1

    def _videos(self, rows) -> list[str]:
        """The video files among `rows` (a .torrent is assigned through the Torrents flow)."""
        return [
            str(self.files[row].get("path", ""))
            for row in rows
            if self.files[row].get("kind") == "video"
        ]

    def _add_new(self, rows) -> None:
        paths = self._videos(rows)
        if paths:
            self.add_new_requested.emit(paths)

    def _assign_selected(self) -> None:
        row = self._selected_row()
        if 0 <= row < len(self.files):
            entry = self.files[row]
            self.assign_requested.emit(str(entry.get("path", "")), str(entry.get("kind", "")))
