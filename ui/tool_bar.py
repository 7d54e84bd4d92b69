"""The bars above the pages' lists: a QToolBar, so at a small window size what does not fit
moves into its » overflow menu instead of being clipped, and a search box that keeps a
usable width (and its placeholder) there and does not stretch across a 4K screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QSizePolicy, QToolBar, QWidget

SEARCH_MIN_WIDTH = 160
SEARCH_MAX_WIDTH = 480


def tool_bar(*widgets: QWidget) -> QToolBar:
    bar = QToolBar()
    for widget in widgets:
        if isinstance(widget, QLineEdit):
            widget.setMinimumWidth(SEARCH_MIN_WIDTH)
            widget.setMaximumWidth(SEARCH_MAX_WIDTH)
            widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        bar.addWidget(widget)
    return bar
