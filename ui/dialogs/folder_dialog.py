"""The dialog that adds a watched folder or edits a source's mode and interval.

The interval is checked with the scheduler's own rule ("must be 0 or at least 1 minute")
before anything is sent; then `save(values)` (the Sync view's call into the core) runs while
the dialog stays open. A refusal (a duplicate folder, a bad interval, an unknown mode) is
shown beside its field and the dialog stays, so nothing is saved until the values are good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.library.validation import MAX_SYNC_MINUTES, sync_interval
from ui.sync.texts import MODE_LABELS

logger = logging.getLogger(__name__)

MODE_HINTS = {
    "watch": "Rescans a moment after files change.",
    "poll": "Syncs every interval, counted from the last sync.",
    "manual": "Syncs when you press Refresh or Rescan all.",
}


@dataclass(frozen=True)
class FolderValues:
    path: str
    mode: str
    interval_minutes: int


def _error_label() -> QLabel:
    label = QLabel("")
    label.setStyleSheet("color: #d0413c")
    label.setWordWrap(True)
    label.hide()
    return label


class FolderDialog(QDialog):
    """Add a folder (`path` None) or edit the source `name` (its path shown, not editable)."""

    def __init__(
        self,
        save: Callable[[FolderValues], Awaitable[object]],
        parent: QWidget | None = None,
        *,
        name: str | None = None,
        path: str | None = None,
        mode: str = "watch",
        interval_minutes: int = 10,
        modes: tuple[str, ...] = ("watch", "poll", "manual"),
        kind: str = "folder",
    ) -> None:
        super().__init__(parent)
        self.save = save
        self.editing = name is not None
        self.setWindowTitle(f"Edit {path or name}" if self.editing else "Add a watched folder")
        self.resize(560, 0)
        self.path = QLineEdit(path or "")
        self.path.setPlaceholderText("/path/to/a/folder with videos or .torrent files")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        self.path.setReadOnly(self.editing)
        self.path.setFrame(not self.editing)  # shown, not edited: a folder stays where it is
        self.browse.setVisible(not self.editing)
        self.mode = QComboBox()
        for key in modes:
            self.mode.addItem(MODE_LABELS[key], key)
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))
        self.mode_hint = QLabel()
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.interval = QLineEdit(str(interval_minutes))
        self.interval.setToolTip("Whole minutes; 0 turns the timer off")
        self.interval.setMaximumWidth(100)
        interval_row = QHBoxLayout()
        interval_row.addWidget(self.interval)
        interval_row.addWidget(QLabel("0 = no timer; used in poll mode"), 1)
        self.errors = {key: _error_label() for key in ("path", "mode", "interval")}
        form = QFormLayout()
        form.addRow("Folder" if kind == "folder" else "Source", self._with_error(path_row, "path"))
        form.addRow("Mode", self._with_error(self.mode, "mode", self.mode_hint))
        form.addRow("Interval (minutes)", self._with_error(interval_row, "interval"))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Save" if self.editing else "Add folder")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.saving: asyncio.Task[None] | None = None
        self._file_dialog: QFileDialog | None = None
        self._mode_changed()

    def _with_error(self, field: object, key: str, hint: QLabel | None = None) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        if isinstance(field, QHBoxLayout):
            box.addLayout(field)
        else:
            box.addWidget(field)
        if hint is not None:
            box.addWidget(hint)
        box.addWidget(self.errors[key])
        return box

    def _mode_changed(self) -> None:
        self.mode_hint.setText(MODE_HINTS[self.mode.currentData()])

    def _browse(self) -> None:
        start = self.path.text().strip() or str(Path.home())
        dialog = QFileDialog(self, "Choose a folder to watch", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.path.setText)
        self._file_dialog = dialog
        dialog.open()

    def show_error(self, key: str, text: str) -> None:
        label = self.errors[key]
        label.setText(text)
        label.show()
        self._fit()

    def _fit(self) -> None:
        """Grow to fit wrapped error lines (the dialog's minimum height ignores wrapping)."""
        self.layout().activate()
        needed = self.heightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()
        self.status.setText("")

    def values(self) -> FolderValues | None:
        """What was typed, or None after showing each problem beside its field."""
        self._clear_errors()
        ok = True
        path = self.path.text().strip()
        if not self.editing and not path:
            self.show_error("path", "Choose a folder.")
            ok = False
        try:
            minutes = sync_interval(self.interval.text())
        except ValueError:
            self.show_error(
                "interval",
                "The interval must be 0 or at least 1 minute, "
                f"and at most a year ({MAX_SYNC_MINUTES} minutes).",
            )
            minutes, ok = 0, False
        return FolderValues(path, self.mode.currentData(), minutes) if ok else None

    def submit(self) -> None:
        values = self.values()
        if values is None or self.saving is not None:
            return
        self.buttons.setEnabled(False)
        self.status.setText("Saving…")
        self.saving = asyncio.ensure_future(self._save(values))

    async def _save(self, values: FolderValues) -> None:
        try:
            await self.save(values)
        except Exception as exc:  # refused by the library or the scheduler: nothing saved
            logger.info("Saving the sync source failed: %s", exc)
            self.status.setText("Nothing was saved.")
            self.show_error(self._field_of(str(exc)), _sentence(str(exc)))
            return
        finally:
            self.saving = None
            self.buttons.setEnabled(True)
        self.accept()

    def _field_of(self, message: str) -> str:
        text = message.lower()
        if "minute" in text or "interval" in text:
            return "interval"
        if "mode" in text:
            return "mode"
        return "path" if not self.editing else "mode"


def _sentence(text: str) -> str:
    text = text.strip() or "It was refused."
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
