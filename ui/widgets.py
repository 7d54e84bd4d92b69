"""Small widgets and helpers shared by several views (copyable labels, clipboard, sizes)."""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

# One size format for the whole app, the share's web page included: binary units (KiB, MiB,
# GiB), the units the settings' limits and budgets are typed in.
from app.share.browse import human_size
from app.words import plural as plural  # the views import it from here
from ui.elided_label import ElidedLabel

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


def popup(menu: QMenu, at: QPoint) -> None:
    """Show a right-click menu at a global position; it is deleted once closed (a menu has its
    view as parent, so each right-click's menu would otherwise live as long as the view)."""
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(at)


def human_rate(rate: float) -> str:
    return f"{human_size(int(rate))}/s"


class CopyField(QWidget):
    """A selectable line of text with a button that copies it (share URLs, paths)."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, wrap: bool = False
    ) -> None:
        super().__init__(parent)
        self._text = ""
        # one line shortened in the middle (URLs), or wrapped after separators (paths)
        self.label = QLabel() if wrap else ElidedLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(wrap)
        self.wrap = wrap
        self.button = QToolButton(text="Copy")
        self.button.setToolTip("Copy to the clipboard")
        self.button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1 if wrap else 0)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        if not wrap:
            layout.addStretch(1)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self._text = text
        self.label.setText(breakable(text) if self.wrap else text)
        self.button.setVisible(bool(text))

    def text(self) -> str:
        return self._text

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._text)


def breakable(text: str) -> str:
    """Let a long path or release name wrap after its separators (a zero-width space each)."""
    return re.sub(r"([/._-])", "\\1\u200b", text)
