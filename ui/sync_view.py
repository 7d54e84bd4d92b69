"""The Sync page: every source of the sync scheduler with its last attempt, last success,
last error and a countdown to the next run, and a "Sync now" button per source.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.tasks import spawn

logger = logging.getLogger(__name__)

HEADERS = ("Source", "Last attempt", "Last success", "Next in", "Result")


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def countdown(due: datetime | None, running: bool, enabled: bool = True) -> str:
    if running:
        return "running…"
    if due is None or not enabled:
        return "off"
    left = max(0, int((due - datetime.now(UTC)).total_seconds()))
    return f"{left // 3600:d}:{left % 3600 // 60:02d}:{left % 60:02d}"


class SyncView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core: Any = None
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(self.sync_selected)
        self.note = QLabel(
            "Keeps movies and shows added from TMDB up to date (new episodes appear). "
            "The countdown starts again after every sync, manual or automatic."
        )
        self.note.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(self.sync_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self.refresh)

    def set_core(self, core: Any) -> None:
        self.core = core
        self._timer.start()
        self.refresh()

    def states(self) -> list[Any]:
        sync = getattr(self.core, "sync", None)
        return list(sync.states()) if sync is not None else []

    def refresh(self) -> None:
        states = self.states()
        self.sync_button.setEnabled(bool(states))
        if self.core is not None and getattr(self.core, "sync", None) is None:
            self.note.setText("Sync is not running: Reelbox did not start completely.")
        self.table.setRowCount(len(states))
        for number, state in enumerate(states):
            error = state.last_error
            values = (
                state.name,
                when(state.last_attempt),
                when(state.last_success),
                countdown(state.next_due, state.running, state.enabled),
                f"error: {error}" if error else (state.last_summary or ""),
            )
            for column, text in enumerate(values):
                item = self.table.item(number, column)
                if item is None:
                    self.table.setItem(number, column, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)
        if states and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def sync_selected(self) -> None:
        row = self.table.currentRow()
        states = self.states()
        if 0 <= row < len(states):
            spawn(self._sync(states[row].name), "sync now")

    async def _sync(self, name: str) -> None:
        try:
            await self.core.sync.sync_now(name)
        except Exception as exc:  # recorded by the scheduler as last_error too
            logger.info("Sync of %s failed: %s", name, exc)
        self.refresh()
