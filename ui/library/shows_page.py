"""The TV Shows page: a searchable tree of shows, seasons and episodes, and the detail pane."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.library.detail_pane import DetailPane
from ui.library.movies_model import ROW_ROLE
from ui.library.shows_model import ShowsModel, key_of
from ui.tool_bar import tool_bar
from ui.widgets import clipboard_mime

logger = logging.getLogger(__name__)


class ShowsPage(QWidget):
    add_requested = Signal()
    links_dropped = Signal(object, QMimeData)

    def __init__(self, board: Any, posters: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ShowsModel(board, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.model.links_dropped.connect(self.links_dropped)
        self.search = QLineEdit(placeholderText="Search shows and episodes")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.add_button = QPushButton("Add show…")
        self.add_button.clicked.connect(self.add_requested)
        bar = tool_bar(self.search, self.add_button)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setAcceptDrops(True)
        self.tree.viewport().setAcceptDrops(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.setDropIndicatorShown(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.setColumnWidth(1, 170)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.detail = DetailPane(board, posters)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(bar)
        left_layout.addWidget(self.tree, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)

    def selected(self) -> Any:
        index = self.tree.selectionModel().currentIndex()
        return index.siblingAtColumn(0).data(ROW_ROLE) if index.isValid() else None

    def set_rows(self, shows: Any) -> None:
        expanded = self._expanded_keys()
        current = self.selected()
        self.model.set_rows(shows)
        for key in expanded:
            index = self.proxy.mapFromSource(self.model.find(key))
            if index.isValid():
                self.tree.expand(index)
        if current is not None:
            self.select(key_of(current))
        self.detail.show_row(self.selected())

    def select(self, key: tuple[str, int]) -> bool:
        index = self.proxy.mapFromSource(self.model.find(key))
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _expanded_keys(self) -> list[tuple[str, int]]:
        keys = []
        stack = [QModelIndex()]
        while stack:
            parent = stack.pop()
            for number in range(self.proxy.rowCount(parent)):
                index = self.proxy.index(number, 0, parent)
                if self.tree.isExpanded(index):
                    keys.append(key_of(index.data(ROW_ROLE)))
                    stack.append(index)
        return keys

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.detail.show_row(
            current.siblingAtColumn(0).data(ROW_ROLE) if current.isValid() else None
        )

    def paste(self) -> None:
        row = self.selected()
        mime = clipboard_mime()
        if row is not None and mime is not None:
            self.links_dropped.emit(row, mime)
