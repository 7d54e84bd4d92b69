"""The TV shows tree: shows, their seasons, their episodes, each with its source state, and
the filter proxy that searches and sorts it.

A QStandardItemModel is plenty for shows (hundreds of rows, not thousands of posters). Each
item carries its snapshot row; the state column is recomputed from live torrent status and
only written when its text changes. Links dropped onto a show, season or episode arrive via
dropMimeData with row -1 and the target in `parent` and go out as `links_dropped`.
`ShowsFilter` searches titles ignoring case and accents (ui/library/folding.py) and sorts
shows by the clicked column while seasons and episodes stay in their numbered order.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel

from ui.item_state import aggregate, source_state
from ui.library.folding import SearchFilter, fold, title_key
from ui.library.movies_model import DROP_TYPES, ROW_ROLE, STATE_ROLE
from ui.library.snapshot import EpisodeRow, SeasonRow, ShowRow

logger = logging.getLogger(__name__)

HEADERS = ("Title", "Source", "Year", "Added")
TITLE, STATE, YEAR, ADDED = range(len(HEADERS))
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 5  # the label, folded once for the filter
Index = QModelIndex | QPersistentModelIndex
_NO_DATE = datetime.min.replace(tzinfo=UTC)
# how shows compare under each header; ties go A to Z
SHOW_KEYS = {
    TITLE: title_key,
    YEAR: lambda show: (show.year or 0, title_key(show)),
    ADDED: lambda show: (show.added_at or _NO_DATE, show.id),
}


def key_of(row: Any) -> tuple[str, int]:
    return (type(row).__name__, row.id)


class ShowsModel(QStandardItemModel):
    links_dropped = Signal(object, QMimeData)

    def __init__(self, board: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.board = board
        self._given: tuple[ShowRow, ...] = ()  # the shows as last set
        self.setHorizontalHeaderLabels(list(HEADERS))
        for section in (YEAR, ADDED):  # a first click on these: newest first
            self.setHeaderData(
                section,
                Qt.Orientation.Horizontal,
                Qt.SortOrder.DescendingOrder.value,
                Qt.ItemDataRole.InitialSortOrderRole,
            )
        board.updated.connect(self.refresh_states)

    def set_rows(self, shows: tuple[ShowRow, ...] | list[ShowRow]) -> None:
        given = tuple(shows)
        if given == self._given:  # a reload that changed nothing keeps expansion and selection
            return
        self._given = given
        self.removeRows(0, self.rowCount())
        for show in shows:
            show_item = self._item(show, f"{show.title} ({show.year})" if show.year else show.title)
            for season in show.seasons:
                season_item = self._item(season, f"{season.display_title} ({len(season.episodes)})")
                for episode in season.episodes:
                    label = f"{episode.number}. {episode.display_title}"
                    season_item.appendRow([self._item(episode, label), *self._cells()])
                show_item.appendRow([season_item, *self._cells()])
            year = str(show.year) if show.year else ""
            added = show.added_at.astimezone().strftime("%Y-%m-%d") if show.added_at else ""
            self.appendRow([show_item, self._cell(), self._cell(year), self._cell(added)])
        self.refresh_states()

    def _item(self, row: Any, text: str) -> QStandardItem:
        item = QStandardItem(text)
        item.setData(row, ROW_ROLE)
        item.setData(fold(text), SEARCH_ROLE)
        item.setEditable(False)
        item.setDropEnabled(True)
        item.setDragEnabled(False)
        return item

    def _cell(self, text: str = "") -> QStandardItem:
        """A cell beside the title: the state (filled by refresh_states), year, added."""
        item = QStandardItem(text)
        item.setEditable(False)
        item.setDropEnabled(True)
        return item

    def _cells(self) -> list[QStandardItem]:
        """A season's or episode's: a state, and no year or date of its own."""
        return [self._cell() for _ in range(len(HEADERS) - 1)]

    def state_of(self, row: Any) -> Any:
        if isinstance(row, EpisodeRow):
            return source_state(row.source, self.board)
        episodes = (
            row.episodes
            if isinstance(row, SeasonRow)
            else [episode for season in row.seasons for episode in season.episodes]
        )
        return aggregate([self.state_of(episode) for episode in episodes])

    def refresh_states(self) -> None:
        self._refresh(self.invisibleRootItem())

    def _refresh(self, parent: QStandardItem) -> None:
        for number in range(parent.rowCount()):
            item = parent.child(number, 0)
            state_item = parent.child(number, 1)
            state = self.state_of(item.data(ROW_ROLE))
            if state_item.text() != state.text:
                state_item.setText(state.text)
                state_item.setForeground(state.color)
                item.setData(state, STATE_ROLE)
            if item.hasChildren():
                self._refresh(item)

    def find(self, key: tuple[str, int], parent: QStandardItem | None = None) -> QModelIndex:
        parent = parent or self.invisibleRootItem()
        for number in range(parent.rowCount()):
            item = parent.child(number, 0)
            if key_of(item.data(ROW_ROLE)) == key:
                return item.index()
            found = self.find(key, item)
            if found.isValid():
                return found
        return QModelIndex()

    # ---- drops -------------------------------------------------------------------------

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
        if not parent.isValid():
            return False
        target = parent.siblingAtColumn(0).data(ROW_ROLE)
        self.links_dropped.emit(target, data)
        return True


class ShowsFilter(SearchFilter):
    """Search over show, season and episode titles (a match keeps its parents), and the
    order of the clicked header for shows; seasons and episodes keep their numbers' order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        label = self.sourceModel().index(source_row, TITLE, source_parent).data(SEARCH_ROLE)
        return all(word in label for word in self._words)

    def lessThan(self, left: Index, right: Index) -> bool:
        a = left.siblingAtColumn(TITLE).data(ROW_ROLE)
        b = right.siblingAtColumn(TITLE).data(ROW_ROLE)
        if not isinstance(a, ShowRow) or not isinstance(b, ShowRow):
            # Qt reverses this comparison for a descending sort: reverse it back
            descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return a.number > b.number if descending else a.number < b.number
        key = SHOW_KEYS.get(left.column())
        if key is None:  # the Source column: by its text, then title
            return (fold(left.data()), title_key(a)) < (fold(right.data()), title_key(b))
        return key(a) < key(b)
