"""Choose the movie's file in a torrent: videos first (largest first), samples and extras
marked, the single or largest video preselected (ranking by app/library/matching.py)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.library.matching import rank_movie_files
from ui.widgets import human_size, plural

logger = logging.getLogger(__name__)

CHOICE_ROLE = Qt.ItemDataRole.UserRole + 1


def note_of(choice: Any) -> str:
    if not choice.is_video:
        return "not a video"
    if choice.is_extra:
        return "sample or extra"
    return "video"


class MovieFileDialog(QDialog):
    def __init__(self, title: str, info: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Choose the file for {title}")
        self.resize(640, 420)
        self.choices = rank_movie_files([(f.index, f.path, f.size) for f in info.files])
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Size", "Kind"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for choice in self.choices:
            item = QTreeWidgetItem([choice.path, human_size(choice.size), note_of(choice)])
            item.setData(0, CHOICE_ROLE, choice)
            if not choice.is_video:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(item)
            if choice.preselected:
                self.tree.setCurrentItem(item)
        self.tree.itemDoubleClicked.connect(lambda *_: self._accept())
        self.tree.currentItemChanged.connect(lambda *_: self._validate())
        header = QLabel(
            f"<b>{info.name}</b> · {human_size(info.total_size)} · {plural(len(info.files), 'file')}"
        )
        header.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Assign")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.buttons)
        self._validate()

    def chosen(self) -> Any:
        item = self.tree.currentItem()
        choice = item.data(0, CHOICE_ROLE) if item is not None else None
        return choice if choice is not None and choice.is_video else None

    def _validate(self) -> None:
        self.ok_button.setEnabled(self.chosen() is not None)

    def _accept(self) -> None:
        if self.chosen() is not None:
            self.accept()
