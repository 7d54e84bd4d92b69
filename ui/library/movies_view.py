"""The Movies page's view: search, sort, a poster grid or a list (one model, one selection),
Add. Its bar (`bar`) is laid out by the page, above both the view and the detail pane, so
the common actions have the page's width and stay out of the bar's » overflow at 800 px.

Both views sit on the same filter proxy and share one selection model, so toggling the
layout keeps the selected movie. Links dropped on a movie or pasted with Ctrl+V go out
through `links_dropped(row, mime)`; the window runs the assign flow.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHeaderView,
    QListView,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.library.drop_target import DropTarget
from ui.library.empty_state import EmptyState
from ui.library.movies_model import (
    ADDED,
    ROW_ROLE,
    SORT_KEYS,
    TITLE,
    YEAR,
    MoviesFilter,
    MoviesModel,
)
from ui.library.poster_delegate import CELL, PosterDelegate
from ui.library.search_field import search_field
from ui.tool_bar import tool_bar
from ui.widgets import clipboard_mime

logger = logging.getLogger(__name__)

SORTS = {
    "Title": (TITLE, Qt.SortOrder.AscendingOrder),
    "Year": (YEAR, Qt.SortOrder.DescendingOrder),
    "Recently added": (ADDED, Qt.SortOrder.DescendingOrder),
}


def _drop_target(view: QAbstractItemView) -> None:
    view.setAcceptDrops(True)
    view.viewport().setAcceptDrops(True)
    view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
    DropTarget(view)  # any proposed action, performed as Copy; highlights the target


class MoviesView(QWidget):
    add_requested = Signal()
    links_dropped = Signal(object, QMimeData)
    selection_changed = Signal(object)  # MovieRow or None
    layout_changed = Signal(str)  # "grid" | "list"

    def __init__(self, model: MoviesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = MoviesFilter(self)
        self.proxy.setSourceModel(model)
        model.links_dropped.connect(self.links_dropped)

        self.search = search_field("Search movies")
        self.search.textChanged.connect(self.proxy.set_search)
        self.search.textChanged.connect(self._update_empty)
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.currentTextChanged.connect(self._sort)
        self.grid_button = QToolButton(text="Grid", checkable=True)
        self.list_button = QToolButton(text="List", checkable=True)
        toggle = QButtonGroup(self)
        toggle.addButton(self.grid_button)
        toggle.addButton(self.list_button)
        self.grid_button.toggled.connect(lambda on: on and self.set_layout("grid"))
        self.list_button.toggled.connect(lambda on: on and self.set_layout("list"))
        self.add_button = QPushButton("Add movie…")
        self.add_button.clicked.connect(self.add_requested)
        self.bar = tool_bar(
            self.search, self.sort, self.grid_button, self.list_button, self.add_button
        )

        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setGridSize(CELL)
        self.grid.setSpacing(4)
        self.grid.setItemDelegate(PosterDelegate(self.grid))
        self.grid.setModel(self.proxy)
        self.grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionModel(self.grid.selectionModel())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        # Headers sort like the Sort box (the model sorts once, see MoviesModel.sort).
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self._header_sort)
        for view in (self.grid, self.table):
            _drop_target(view)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.table)
        self.empty = EmptyState("movies")
        self.empty.add_requested.connect(self.add_requested)
        self.empty.clear_search_requested.connect(self.search.clear)
        self.body = QStackedWidget()  # the view, or the empty state instead of it
        self.body.addWidget(self.stack)
        self.body.addWidget(self.empty)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.proxy.modelReset.connect(lambda: self.selection_changed.emit(self.selected()))
        self.proxy.modelReset.connect(self._update_empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.body, 1)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)
        self._sort(self.sort.currentText())
        self.set_layout("grid")
        self._update_empty()

    # ---- layout, sort, selection -------------------------------------------------------

    @property
    def layout_name(self) -> str:
        return "grid" if self.stack.currentWidget() is self.grid else "list"

    def set_layout(self, name: str) -> None:
        view = self.grid if name == "grid" else self.table
        (self.grid_button if name == "grid" else self.list_button).setChecked(True)
        if self.stack.currentWidget() is not view:
            self.stack.setCurrentWidget(view)
            self.layout_changed.emit(name)
        current = self.grid.selectionModel().currentIndex()
        if current.isValid():
            view.scrollTo(current)

    def current_view(self) -> QAbstractItemView:
        return self.stack.currentWidget()

    def _sort(self, name: str) -> None:
        self.sort_by(*SORTS[name])

    def _header_sort(self, column: int, order: Qt.SortOrder) -> None:
        if column not in SORT_KEYS:  # the Source column has no order: keep the current one
            column, order = self.model.sort_column, self.sort_order()
        self.sort_by(column, order)

    def sort_order(self) -> Qt.SortOrder:
        descending = Qt.SortOrder.DescendingOrder
        return descending if self.model.sort_reverse else Qt.SortOrder.AscendingOrder

    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        """Sort on `column`; the Sort box and the list's header both show it."""
        name = next(name for name, (key, _order) in SORTS.items() if key == column)
        with QSignalBlocker(self.sort), QSignalBlocker(self.table.horizontalHeader()):
            self.sort.setCurrentText(name)
            self.table.horizontalHeader().setSortIndicator(column, order)
        keep = self.selected()
        self.model.sort(column, order)
        if keep is not None:
            self.select_movie(keep.id)

    def selected(self) -> Any:
        index = self.grid.selectionModel().currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def select_movie(self, movie_id: int) -> bool:
        source_row = self.model.row_of(movie_id)
        if source_row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, TITLE))
        if not index.isValid():
            self.search.clear()
            index = self.proxy.mapFromSource(self.model.index(source_row, TITLE))
        self.grid.selectionModel().setCurrentIndex(
            index,
            self.grid.selectionModel().SelectionFlag.ClearAndSelect
            | self.grid.selectionModel().SelectionFlag.Rows,
        )
        self.current_view().scrollTo(index)
        return True

    def set_rows(self, rows: Any) -> None:
        keep = self.selected()
        self.model.set_rows(rows)
        if keep is not None:
            self.select_movie(keep.id)

    def _update_empty(self) -> None:
        self.empty.update_for(self.model.rowCount(), self.proxy.rowCount(), self.search.text())
        self.body.setCurrentWidget(self.empty if self.empty.showing() else self.stack)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.selection_changed.emit(current.data(ROW_ROLE) if current.isValid() else None)

    def paste(self) -> None:
        row = self.selected()
        mime = clipboard_mime()
        if row is not None and mime is not None:
            self.links_dropped.emit(row, mime)
