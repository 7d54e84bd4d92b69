"""The library pages' search field: a clear button, and Esc clears it as browsers do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit


def search_field(placeholder: str) -> QLineEdit:
    field = QLineEdit(placeholderText=placeholder)
    field.setClearButtonEnabled(True)
    escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), field)
    escape.setContext(Qt.ShortcutContext.WidgetShortcut)  # only while the field has focus
    escape.activated.connect(field.clear)
    return field
