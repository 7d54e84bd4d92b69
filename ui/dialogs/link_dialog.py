"""Ask for a torrent by hand (the Assign button): paste a magnet or http(s) link, or pick a
.torrent file. The answer goes through the same path as a drop."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)


class LinkDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Assign a source to {title}")
        self.resize(560, 140)
        self.link = QLineEdit(placeholderText="magnet:?xt=urn:btih:…  or  https://…/file.torrent")
        browse = QPushButton("Open .torrent…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.link, 1)
        row.addWidget(browse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Continue")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.link.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A magnet link, a link to a .torrent file, or a .torrent file:"))
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.ok_button.setEnabled(False)
        self._file_dialog: QFileDialog | None = None

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Open a .torrent file", "", "Torrent files (*.torrent)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.link.setText)
        self._file_dialog = dialog
        dialog.open()

    def value(self) -> str:
        return self.link.text().strip()
