"""The Sync view's table: one row per source with its mode, interval, live countdown, state,
last attempt, last success and last result, and a Refresh button of its own.

Rows are updated in place every second (only the cells whose text changed), so the selection
and the scroll position survive the countdown; rows are rebuilt only when sources come or go.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui.sync.elide import MiddleElide
from ui.sync.texts import (
    debrid_label,
    full_time,
    interval_text,
    next_sync,
    notify_label,
    result_text,
    state_text,
    when,
)

logger = logging.getLogger(__name__)

HEADERS = (
    "Source",
    "Mode",
    "Interval",
    "Next sync in",
    "State",
    "Last attempt",
    "Last success",
    "Last result",
    "",
)
SOURCE, MODE, INTERVAL, NEXT, STATE, ATTEMPT, SUCCESS, RESULT, BUTTON = range(len(HEADERS))


REFRESH_TIPS = {
    "notify": "Send this media server a test notification now",
    "": "Sync this source now; its countdown starts again afterwards",
}


def source_label(
    name: str, kind: str, path: str | None, detail: dict[str, Any] | None = None
) -> str:
    """What the user calls a source: TMDB, the folder's path (home shown as ~), or the media
    server told of the share's changes (its state's detail names it)."""
    if kind == "tmdb":
        return "TMDB (titles, posters, episodes)"
    if kind == "notify":
        return notify_label(detail or {})
    if kind == "debrid":
        return debrid_label(detail or {})
    if not path:
        return name
    home = str(Path.home())
    if home not in ("", os.sep) and (path == home or path.startswith(home + os.sep)):
        return "~" + path[len(home) :]
    return path


class SourcesTable(QTableWidget):
    refresh_requested = Signal(str)  # source name
    selected_changed = Signal(str)  # source name, "" when none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(list(HEADERS))
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setItemDelegateForColumn(SOURCE, MiddleElide(self))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Long texts (a deep path, a backoff, an error) are elided, in full in the tooltip;
        # the last result takes what is left.
        header.setSectionResizeMode(SOURCE, QHeaderView.ResizeMode.Interactive)
        self.setColumnWidth(SOURCE, 240)
        header.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.names: list[str] = []
        self.buttons: dict[str, QPushButton] = {}
        self.itemSelectionChanged.connect(lambda: self.selected_changed.emit(self.selected()))

    def selected(self) -> str:
        row = self.currentRow()
        selected = self.selectionModel().selectedRows()
        if not selected or not 0 <= row < len(self.names):
            return ""
        return self.names[row]

    def select(self, name: str) -> None:
        if name in self.names:
            self.selectRow(self.names.index(name))

    def row_of(self, name: str) -> int:
        return self.names.index(name)

    def cell(self, name: str, column: int) -> str:
        return self.item(self.row_of(name), column).text()

    def show_states(self, states: list[Any], sources: dict[str, tuple[str, str | None]]) -> None:
        """Show `states`; `sources` maps a name to (kind, path) from the library."""
        names = [state.name for state in states]
        if names != self.names:
            self._rebuild(names)
        for row, state in enumerate(states):
            detail = state.detail
            kind, path = sources.get(state.name, (detail.get("kind", "folder"), None))
            path = detail.get("path") or detail.get("address") or path
            texts = (
                source_label(state.name, kind, path, detail),
                state.mode,
                interval_text(state.interval_minutes) if state.mode == "poll" else "—",
                next_sync(state),
                state_text(state),
                when(state.last_attempt),
                when(state.last_success),
                result_text(state),
            )
            tips = dict(enumerate(texts))
            tips[SOURCE] = f"{state.name}: {path}" if path else state.name
            tips[INTERVAL] = f"{interval_text(state.interval_minutes)} in poll mode"
            tips[ATTEMPT] = full_time(state.last_attempt)
            tips[SUCCESS] = full_time(state.last_success)
            if state.last_error:
                tips[STATE] = f"{texts[STATE]}\nLast error: {state.last_error}"
            for column, text in enumerate(texts):
                item = self.item(row, column)
                if item.text() != text:
                    item.setText(text)
                if item.toolTip() != tips[column]:
                    item.setToolTip(tips[column])
            button = self.buttons[state.name]
            button.setEnabled(not state.running)
            tip = REFRESH_TIPS.get(kind, REFRESH_TIPS[""])
            if button.toolTip() != tip:
                button.setToolTip(tip)

    def _rebuild(self, names: list[str]) -> None:
        current = self.selected()
        # Emptying the table changes the selection; its signal must not re-enter show_states()
        # (a nested rebuild in the middle of setRowCount() crashes Qt).
        blocked = self.blockSignals(True)
        try:
            self.names = names
            self.buttons.clear()
            self.setRowCount(0)
            self.setRowCount(len(names))
            for row, name in enumerate(names):
                for column in range(BUTTON):
                    self.setItem(row, column, QTableWidgetItem(""))
                button = QPushButton("Refresh")
                button.clicked.connect(
                    lambda _checked=False, name=name: self.refresh_requested.emit(name)
                )
                self.buttons[name] = button
                self.setCellWidget(row, BUTTON, button)
            if current in names:
                self.select(current)
            elif names:
                self.selectRow(0)
        finally:
            self.blockSignals(blocked)
        if self.selected() != current:
            self.selected_changed.emit(self.selected())
