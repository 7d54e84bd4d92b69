"""Small widgets and helpers shared by several views (copyable labels, clipboard, sizes)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

logger = logging.getLogger(__name__)


def clipboard_mime() -> QMimeData | None:
    """A copy of what the clipboard holds (the clipboard's own object may change under us)."""
    source = QGuiApplication.clipboard().mimeData()
    if source is None or not (source.hasUrls() or source.hasText()):
        return None
    copy = QMimeData()
    if source.hasUrls():
        copy.setUrls(source.urls())
    if source.hasText():
        copy.setText(source.text())
    return copy


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def human_rate(rate: float) -> str:
    return f"{human_size(rate)}/s"


class CopyField(QWidget):
    """A selectable line of text with a button that copies it (share URLs, paths)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setTextInteractionFlags(self.label.textInteractionFlags().TextSelectableByMouse)
        self.button = QToolButton(text="Copy")
        self.button.setToolTip("Copy to the clipboard")
        self.button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.button.setEnabled(bool(text))

    def text(self) -> str:
        return self.label.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.label.text())
