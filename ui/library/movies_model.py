"""The movies table model: one row per movie, shared by the poster grid and the list.

Rows are plain MovieRow snapshots. A library change replaces the rows (the view keeps its
selection by movie id); torrent progress only repaints the state column with one
dataChanged, so a 5,000-movie library costs nothing per second. Drops of links onto a row
arrive through dropMimeData with row -1 and the target in `parent` (Qt's way for a drop onto
an item) and are handed on as `links_dropped(target, mime)`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ui.item_state import source_state
from ui.library.folding import SearchFilter, fold, title_key
from ui.library.snapshot import MovieRow

logger = logging.getLogger(__name__)

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
POSTER_ROLE = Qt.ItemDataRole.UserRole + 4

TITLE, YEAR, STATE, ADDED = range(4)
HEADERS = ("Title", "Year", "Source", "Added")
DROP_TYPES = ["text/uri-list", "text/plain"]

Index = QModelIndex | QPersistentModelIndex
_NO_DATE = datetime.min.replace(tzinfo=UTC)
SORT_KEYS = {
    TITLE: title_key,
    YEAR: lambda row: row.year or 0,
    ADDED: lambda row: (row.added_at or _NO_DATE, row.id),
}


class MoviesModel(QAbstractTableModel):
    links_dropped = Signal(object, QMimeData)  # (MovieRow, mime data)

    def __init__(self, board: Any, posters: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.board = board
        self.posters = posters
        self.rows: list[MovieRow] = []
        self.search_texts: list[str] = []  # each row's folded title and year, for the filter
        self.sort_column = TITLE
        self.sort_reverse = False
        self._rows_by_poster: dict[str, list[int]] = {}
        self._given: tuple[MovieRow, ...] = ()  # the rows as last set, before sorting
        board.updated.connect(self.refresh_states)
        posters.poster_ready.connect(self._poster_ready)

    def set_rows(self, rows: list[MovieRow] | tuple[MovieRow, ...]) -> None:
        given = tuple(rows)
        if given == self._given:  # a reload that changed nothing keeps selection and scroll
            return
        self._given = given
        self._fill(given)

    def _fill(self, rows: tuple[MovieRow, ...]) -> None:
        self.beginResetModel()
        # Title order first, then a stable sort on the chosen key: ties stay A to Z.
        ordered = sorted(rows, key=SORT_KEYS[TITLE])
        if self.sort_column != TITLE or self.sort_reverse:
            ordered.sort(key=SORT_KEYS[self.sort_column], reverse=self.sort_reverse)
        self.rows = ordered
        self.search_texts = [fold(f"{row.title} {row.year or ''}") for row in ordered]
        self._rows_by_poster = {}
        for number, row in enumerate(self.rows):
            if row.poster_path:
                self._rows_by_poster.setdefault(row.poster_path, []).append(number)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in Python, once, instead of a proxy calling data() n·log n times: with
        5,000 movies that is the difference between a stall and none."""
        self.sort_column = column if column in SORT_KEYS else TITLE
        self.sort_reverse = order == Qt.SortOrder.DescendingOrder
        self._fill(self._given)

    def row_of(self, movie_id: int) -> int:
        return next((n for n, row in enumerate(self.rows) if row.id == movie_id), -1)

    def refresh_states(self) -> None:
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, STATE), [STATE_ROLE]
            )

    def _poster_ready(self, poster_path: str) -> None:
        for number in self._rows_by_poster.get(poster_path, ()):
            index = self.index(number, TITLE)
            self.dataChanged.emit(index, index, [POSTER_ROLE, Qt.ItemDataRole.DecorationRole])

    # ---- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.InitialSortOrderRole:  # a first click: newest first
            descending = section in (YEAR, ADDED)
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            return order.value  # an int: the header reads the role with toInt()
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TITLE:
                return row.title
            if column == YEAR:
                return str(row.year) if row.year else ""
            if column == STATE:
                return self.state(row).text
            if column == ADDED:
                return row.added_at.astimezone().strftime("%Y-%m-%d") if row.added_at else ""
        elif role == ROW_ROLE:
            return row
        elif role == STATE_ROLE:
            return self.state(row)
        elif role == POSTER_ROLE:
            return self.posters.pixmap(row.poster_path)
        elif role == Qt.ItemDataRole.ForegroundRole and column == STATE:
            return self.state(row).color
        elif role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.title} ({row.year})" if row.year else row.title
        return None

    def state(self, row: MovieRow) -> Any:
        return source_state(row.source, self.board)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return DROP_TYPES

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.LinkAction

    def canDropMimeData(
        self, data: QMimeData, action: Any, row: int, column: int, parent: Index
    ) -> bool:
        return parent.isValid() and (data.hasUrls() or data.hasText())

    def dropMimeData(
        self, data: QMimeData, action: Any, row: int, column: int, parent: Index
    ) -> bool:
        # A drop onto a row comes with row -1 and the row in `parent`; between rows there is no item.
        if not parent.isValid():
            return False
        self.links_dropped.emit(self.rows[parent.row()], data)
        return True


class MoviesFilter(SearchFilter):
    """Search-as-you-type over titles and years, ignoring case and accents; the order is
    the model's (see sort)."""

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        haystack = self.sourceModel().search_texts[source_row]
        return all(word in haystack for word in self._words)
