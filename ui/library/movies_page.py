"""The Movies page: the movies view beside the detail pane of the selected movie, a
right-click menu on each movie and the Delete key."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from ui.library import context_menu
from ui.library.detail_pane import DetailPane
from ui.library.movies_model import MoviesModel
from ui.library.movies_view import MoviesView

logger = logging.getLogger(__name__)


class MoviesPage(QWidget):
    def __init__(self, model: MoviesModel, board: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = MoviesView(model)
        self.detail = DetailPane(board, model.posters)
        self.view.selection_changed.connect(self.detail.show_row)
        self.search = self.view.search  # what Ctrl+F focuses
        for view in (self.view.grid, self.view.table):
            context_menu.attach(view, self.detail)
        context_menu.delete_key(self, self.view.selected, self.detail)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def set_rows(self, rows: Any) -> None:
        self.view.set_rows(rows)
        self.detail.show_row(self.view.selected())
