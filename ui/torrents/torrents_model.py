"""The torrents table: one row per torrent, updated in place about once a second.

`update(statuses)` changes rows with dataChanged, inserts new torrents at the end and removes
gone ones with beginRemoveRows, and never resets the model, so the selection and the scroll
position survive every refresh. `TorrentsSort` sorts the table by any column, numbers by value.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from app.torrents.health import latest
from ui.widgets import human_rate, human_size

logger = logging.getLogger(__name__)

STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
HEADERS = ("Name", "Size", "Progress", "State", "Down", "Up", "Peers", "Seeds", "Health", "Error")
NAME, SIZE, PROGRESS, STATE, DOWN, UP, PEERS, SEEDS, HEALTH, ERROR = range(len(HEADERS))
Index = QModelIndex | QPersistentModelIndex


def health_text(status: Any, now: float | None = None) -> str:
    if status.error:
        return "error"
    if status.stalled:
        return "stalled"
    if status.waiting and not status.peers:
        return "no peers"  # and a player waits: the detail pane says what is being done
    last = latest(status.health, time.time() if now is None else now)
    return f"{last.kind}: {last.message}" if last is not None else "good"


def cell(status: Any, column: int) -> str:
    if column == NAME:
        return status.name or status.info_hash
    if column == SIZE:
        return human_size(status.total_size) if status.total_size else ""
    if column == PROGRESS:
        return f"{status.progress * 100:.1f} %"
    if column == STATE:
        return "paused" if status.paused and status.state != "error" else status.state
    if column == DOWN:
        return human_rate(status.download_rate) if status.download_rate else ""
    if column == UP:
        return human_rate(status.upload_rate) if status.upload_rate else ""
    if column == PEERS:
        return str(status.peers)
    if column == SEEDS:
        return str(status.seeds)
    if column == HEALTH:
        return health_text(status)
    return status.error or ""


def sort_key(status: Any, column: int) -> Any:
    """What a column sorts by: numbers by value ("9 KiB/s" before "10 KiB/s"), words by
    their text regardless of case."""
    numbers = {
        SIZE: status.total_size,
        PROGRESS: status.progress,
        DOWN: status.download_rate,
        UP: status.upload_rate,
        PEERS: status.peers,
        SEEDS: status.seeds,
    }
    return numbers[column] if column in numbers else cell(status, column).casefold()


class TorrentsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def update(self, statuses: list[Any]) -> None:
        fresh = {status.info_hash: status for status in statuses}
        for number in reversed(range(len(self.rows))):
            if self.rows[number].info_hash not in fresh:
                self.beginRemoveRows(QModelIndex(), number, number)
                del self.rows[number]
                self.endRemoveRows()
        known = {row.info_hash for row in self.rows}
        for number, old in enumerate(self.rows):
            new = fresh[old.info_hash]
            if new != old:
                self.rows[number] = new
                self.dataChanged.emit(self.index(number, 0), self.index(number, len(HEADERS) - 1))
        added = [status for status in statuses if status.info_hash not in known]
        if added:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self.rows.extend(added)
            self.endInsertRows()

    def row_of(self, info_hash: str) -> int:
        return next((n for n, row in enumerate(self.rows) if row.info_hash == info_hash), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        status = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell(status, index.column())
        if role == STATUS_ROLE:
            return status
        if role == SORT_ROLE:
            return sort_key(status, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (
            SIZE,
            PROGRESS,
            DOWN,
            UP,
            PEERS,
            SEEDS,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (NAME, ERROR, HEALTH):
            return cell(status, index.column())
        return None


class TorrentsSort(QSortFilterProxyModel):
    """The table's order: by the clicked column, rows that tie stay in name order."""

    def __init__(self, model: TorrentsModel) -> None:
        super().__init__(model)
        self.setSourceModel(model)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)  # a row whose rate changes moves to its place

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a != b:
            return a < b
        return left.data(STATUS_ROLE).name.casefold() < right.data(STATUS_ROLE).name.casefold()
