"""The TV Shows page: a searchable, sortable tree of shows, seasons and episodes, the detail
pane, a right-click menu on each item, the Delete key, and what shows when the tree is empty."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.library import context_menu
from ui.library.detail_pane import DetailPane, scrollable
from ui.library.drop_target import DropTarget
from ui.library.empty_state import EmptyState
from ui.library.movies_model import ROW_ROLE
from ui.library.search_field import search_field
from ui.library.shows_model import STATE, TITLE, YEAR, ShowsFilter, ShowsModel, key_of
from ui.tool_bar import tool_bar
from ui.widgets import clipboard_mime

logger = logging.getLogger(__name__)


class ShowsPage(QWidget):
    add_requested = Signal()
    links_dropped = Signal(object, QMimeData)

    def __init__(self, board: Any, posters: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ShowsModel(board, self)
        self.proxy = ShowsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.model.links_dropped.connect(self.links_dropped)
        self.search = search_field("Search shows and episodes")
        self.search.textChanged.connect(self.proxy.set_search)
        self.search.textChanged.connect(self._update_empty)
        self.add_button = QPushButton("Add show…")
        self.add_button.clicked.connect(self.add_requested)
        bar = tool_bar(self.search, self.add_button)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setAcceptDrops(True)
        self.tree.viewport().setAcceptDrops(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        DropTarget(self.tree)  # any proposed action, performed as Copy; highlights the target
        self.tree.header().setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.setColumnWidth(STATE, 170)
        self.tree.setColumnWidth(YEAR, 60)
        self.tree.setSortingEnabled(True)  # the headers sort (ShowsFilter.lessThan)
        self.tree.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.detail = DetailPane(board, posters)
        context_menu.attach(self.tree, self.detail)
        context_menu.delete_key(self, self.selected, self.detail)
        self.empty = EmptyState("shows")
        self.empty.add_requested.connect(self.add_requested)
        self.empty.clear_search_requested.connect(self.search.clear)
        self.body = QStackedWidget()  # the tree, or the empty state instead of it
        self.body.addWidget(self.tree)
        self.body.addWidget(self.empty)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(bar)
        left_layout.addWidget(self.body, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(scrollable(self.detail))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)
        self._update_empty()

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
        self._update_empty()

    def _update_empty(self) -> None:
        self.empty.update_for(self.model.rowCount(), self.proxy.rowCount(), self.search.text())
        self.body.setCurrentWidget(self.empty if self.empty.showing() else self.tree)

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
