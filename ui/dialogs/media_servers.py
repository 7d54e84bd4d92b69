"""The Settings dialog's "Media servers" tab: targets told about library changes.

One row per target (app/notify/): its kind, address (or command), path mapping and token,
with a Test button that sends a test notification to the row as typed, before it is saved.
Rows are checked with the settings' own parser (app/settings.py: parse_notify_targets), so
the tab, the settings file and `--set` refuse the same things. Tokens are read from and
saved to the keyring by the dialog, off the Qt thread; the tab only holds them.
"""

from __future__ import annotations

import logging
from typing import Any

import shiboken6
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.settings import NOTIFY_KINDS, NotifyTarget, SettingsError, parse_notify_targets
from ui.tasks import spawn

logger = logging.getLogger(__name__)

COLUMNS = ("Name", "Kind", "Address or command", "Share path", "Server path", "Token", "", "Result")
NAME, KIND, WHERE, PATH_FROM, PATH_TO, TOKEN, TEST, RESULT = range(len(COLUMNS))
_WIDTHS = {NAME: 90, KIND: 85, PATH_FROM: 70, PATH_TO: 100, TOKEN: 80, TEST: 50, RESULT: 110}


class MediaServersTab(QWidget):
    def __init__(self, core: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        # the address (or command) is the long one: it takes what the others leave
        for column, width in _WIDTHS.items():
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(WHERE, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.timeouts: list[float] = []  # per row: kept as saved (settings file or --set)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(lambda: self.add_row(None))
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d0413c")
        self.error.setWordWrap(True)
        intro = QLabel(
            "Jellyfin, Emby and Plex rescan the folders that changed, a few seconds after the "
            "library changes; a command gets them as arguments. Server path: where the server "
            "mounts the share (for example /mnt/reelbox)."
        )
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.tokens_read = False
        for spec in core.settings.notify.targets:
            self.add_row(spec)
        self._show_last_results()

    # ---- rows -------------------------------------------------------------------------------

    def add_row(self, spec: NotifyTarget | None) -> int:
        spec = spec or NotifyTarget(f"server-{self.table.rowCount() + 1}", "jellyfin")
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.timeouts.append(spec.timeout)
        kind = QComboBox()
        kind.addItems(NOTIFY_KINDS)
        kind.setCurrentText(spec.kind)
        token = QLineEdit()
        token.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        token.setEnabled(self.tokens_read)
        token.setPlaceholderText("" if self.tokens_read else "Reading the keyring…")
        test = QPushButton("Test")
        test.clicked.connect(lambda: self.test(self._row_of(test)))
        where = QLineEdit(spec.command if spec.kind == "command" else spec.url)
        where.setPlaceholderText("http://192.168.1.5:8096, or a command")
        for column, widget in (
            (NAME, QLineEdit(spec.name)),
            (KIND, kind),
            (WHERE, where),
            (PATH_FROM, QLineEdit(spec.path_from)),
            (PATH_TO, QLineEdit(spec.path_to)),
            (TOKEN, token),
            (TEST, test),
            (RESULT, QLabel("")),
        ):
            self.table.setCellWidget(row, column, widget)
        return row

    def _show_last_results(self) -> None:
        """Each saved target's last delivery (the notifier keeps them in memory)."""
        notifier = self.core.notifier
        reports = {r.target.name: r for r in notifier.report()} if notifier else {}
        for row in range(self.table.rowCount()):
            report = reports.get(self._text(row, NAME))
            if report is not None and report.history:
                last = report.history[0]
                when = last.started.astimezone().strftime("%H:%M")
                self._say(self.table.cellWidget(row, RESULT), last, f"Last ({when}) ")

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
            del self.timeouts[row]

    def set_tokens(self, tokens: dict[str, str]) -> None:
        """The tokens read from the keyring, by target name; their fields turn on."""
        self.tokens_read = True
        for row in range(self.table.rowCount()):
            field = self.table.cellWidget(row, TOKEN)
            field.setText(tokens.get(self._text(row, NAME), ""))
            field.setPlaceholderText("")
            field.setEnabled(True)

    # ---- values -----------------------------------------------------------------------------

    def targets(self) -> tuple[NotifyTarget, ...]:
        """Every row checked; raises SettingsError naming the first bad one."""
        return parse_notify_targets(
            "Media servers", [self._row(r) for r in range(self.table.rowCount())]
        )

    def tokens(self) -> dict[str, str]:
        return {
            self._text(row, NAME): self._text(row, TOKEN) for row in range(self.table.rowCount())
        }

    def show_problem(self, message: str) -> None:
        self.error.setText(message)

    def _row(self, row: int) -> dict[str, Any]:
        kind = self.table.cellWidget(row, KIND).currentText()
        where = self._text(row, WHERE)
        return {
            "name": self._text(row, NAME),
            "kind": kind,
            "url": "" if kind == "command" else where,
            "command": where if kind == "command" else "",
            "path_from": self._text(row, PATH_FROM),
            "path_to": self._text(row, PATH_TO),
            "timeout": self.timeouts[row],
        }

    def _text(self, row: int, column: int) -> str:
        return self.table.cellWidget(row, column).text().strip()

    def _row_of(self, widget: QWidget) -> int:
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, TEST) is widget:
                return row
        return -1

    # ---- test -------------------------------------------------------------------------------

    def test(self, row: int) -> None:
        if row < 0:
            return
        result = self.table.cellWidget(row, RESULT)
        try:
            (spec,) = parse_notify_targets(f"Row {row + 1}", [self._row(row)])
        except SettingsError as exc:
            result.setText(str(exc).split(": ", 1)[-1])
            return
        notifier = self.core.notifier
        if notifier is None:
            result.setText("Notifications are not running (the app is starting or stopping).")
            return
        result.setText("Testing…")
        spawn(self._test(notifier, spec, self._text(row, TOKEN) or None, result), "notify test")

    async def _test(self, notifier: Any, spec: NotifyTarget, token: str | None, label: QLabel):
        delivery = await notifier.test_unsaved(spec, token)
        if shiboken6.isValid(label):  # the dialog may have closed meanwhile
            self._say(label, delivery)

    @staticmethod
    def _say(label: QLabel, delivery: Any, prefix: str = "") -> None:
        ok = delivery.outcome == "ok"
        label.setText(prefix + (f"OK: {delivery.summary}" if ok else f"Failed: {delivery.error}"))
        label.setToolTip(label.text())
