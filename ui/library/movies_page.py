"""The Movies page: the view's bar across the page, the movies view beside the detail pane of
the selected movie, a right-click menu on each movie and the Delete key."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ui.library import context_menu
from ui.library.detail_pane import DetailPane, scrollable
from ui.library.movies_model import MoviesModel
from ui.library.movies_view import MoviesView

logger = logging.getLogger(__name__)

# The view's and the detail pane's shares of the page's width (at any window size, each at
# least its minimum): the detail pane keeps a quarter, not its narrowest size, on a 4K screen.
SHARES = (3, 1)


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
        splitter.addWidget(scrollable(self.detail))
        splitter.setChildrenCollapsible(False)
        for index, share in enumerate(SHARES):
            splitter.setStretchFactor(index, share)
        # relative weights: Qt scales them to the splitter's width when it is laid out
        splitter.setSizes([share * 1000 for share in SHARES])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view.bar)
        layout.addWidget(splitter, 1)

    def set_rows(self, rows: Any) -> None:
        self.view.set_rows(rows)
        self.detail.show_row(self.view.selected())
