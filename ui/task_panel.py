"""The Tasks dock: one row per wait the user started (a torrent link read, a torrent's file
list fetched from its peers, a torrent fetched by the debrid account), saying what it is,
how long it has taken, the peers found or the percentage done, with a Cancel button. The
window stays usable meanwhile; the dock shows only while a task runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def elapsed_text(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def progress_text(doing: str, seconds: float, peers: int | None) -> str:
    parts = [doing, elapsed_text(seconds)]
    if peers is not None:
        parts.append("no peer yet" if peers == 0 else f"{peers} peer{'s' if peers != 1 else ''}")
    return " · ".join(parts)


class TaskRow(QFrame):
    """One task: its name, what it does now, Cancel."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel(name)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.detail = QLabel("")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setEnabled(False)  # the palette's quieter text
        self.cancel_button = QPushButton("Cancel")
        self.bar = QProgressBar()  # a download's percentage, when the task has one
        self.bar.setRange(0, 100)
        self.bar.hide()
        texts = QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(self.name)
        texts.addWidget(self.detail)
        texts.addWidget(self.bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addLayout(texts, 1)
        layout.addWidget(self.cancel_button)

    def show_progress(self, doing: str, seconds: float, peers: int | None = None) -> None:
        self.detail.setText(progress_text(doing, seconds, peers))

    def show_percent(self, doing: str, percent: float, cancellable: bool = True) -> None:
        """A wait with a known end: what it does and how far it is."""
        self.detail.setText(doing)  # the bar says how far
        self.bar.setValue(round(percent))
        self.bar.show()
        self.cancel_button.setEnabled(cancellable)

    def show_waiting_for_user(self, text: str) -> None:
        """A dialog of this task is open: it has its own Cancel."""
        self.detail.setText(text)
        self.cancel_button.setEnabled(False)


class TaskPanel(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tasks", parent)
        self.setObjectName("tasks")
        # a task ends by Cancel or by itself: the dock cannot be closed or floated away
        self.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        body = QWidget()
        self.rows_layout = QVBoxLayout(body)
        self.rows_layout.setContentsMargins(4, 0, 4, 4)
        self.rows_layout.setSpacing(3)
        self.setWidget(body)
        self.hide()

    def rows(self) -> list[TaskRow]:
        return [
            widget
            for number in range(self.rows_layout.count())
            if isinstance(widget := self.rows_layout.itemAt(number).widget(), TaskRow)
        ]

    def add(self, name: str) -> TaskRow:
        row = TaskRow(name)
        self.rows_layout.addWidget(row)
        self.show()
        return row

    def remove(self, row: TaskRow) -> None:
        self.rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()
        if not self.rows():
            self.hide()


def task_panel(window: QMainWindow) -> TaskPanel:
    """The window's Tasks dock (at the bottom), made on first use."""
    panel = window.findChild(TaskPanel)
    if panel is None:
        panel = TaskPanel(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
    return panel
