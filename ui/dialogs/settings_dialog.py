"""The Settings dialog: share, torrents, library metadata (TMDB key), media servers told
about library changes (media_servers.py), the Real-Debrid account (debrid_tab.py) and
window options.

Every field is checked with Settings.set, the same validation the settings file and
`--set` use; a bad value is shown under its field and nothing is saved until all are good.
Applying hands the new Settings to core.update_settings, which saves them and restarts only
the parts whose settings changed. Secrets (share password, TMDB key, media-server tokens)
go to the keyring through the core, never into the settings file.

The keyring is a D-Bus service that can take seconds to answer (or wait for an unlock
prompt), so it is never called on the Qt thread: the secrets are read in a worker while the
dialog shows (their fields stay disabled until they arrive) and saved in a worker on Apply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.settings import THEMES, Settings, SettingsError, describe
from ui.dialogs.connect_dialog import keyring_note
from ui.dialogs.debrid_tab import DebridTab
from ui.dialogs.media_servers import MediaServersTab
from ui.tasks import run_dialog
from ui.widgets import CopyField

logger = logging.getLogger(__name__)

TMDB_KEY_URL = "https://www.themoviedb.org/settings/api"
TMDB_KEY_WIDTH = 360

TABS: dict[str, tuple[tuple[str, str], ...]] = {
    "Share": (
        ("share.enabled", "Share the library"),
        ("share.port", "Port"),
        ("share.bind_address", "Bind address"),
        ("share.username", "User name"),
        ("share.anonymous", "Allow access without a password"),
    ),
    "Torrents": (
        ("torrents.storage_dir", "Download folder"),
        ("torrents.cache_budget_mib", "Disk budget (MiB, 0 = no limit)"),
        ("torrents.download_rate_limit_kib", "Download limit (KiB/s, 0 = none)"),
        ("torrents.upload_rate_limit_kib", "Upload limit (KiB/s, 0 = none)"),
        ("torrents.connections_limit", "Connections in total"),
        ("torrents.connections_per_torrent", "Connections per torrent"),
        ("torrents.active_limit", "Torrents active at once"),
        ("torrents.idle_timeout", "Quiet a torrent after (seconds idle)"),
        ("torrents.start_paused", "Start with torrents paused"),
        ("torrents.listen_port", "Listen port for peers (0 = any free port)"),
        ("torrents.dht", "Find peers through the DHT"),
        ("torrents.lsd", "Find peers on the local network (LSD)"),
        ("torrents.upnp", "Open the listen port on the router (UPnP)"),
        ("torrents.natpmp", "Open the listen port on the router (NAT-PMP)"),
    ),
    "Library": (
        ("sync.enabled", "Sync sources on their timers (intervals are set in the Sync view)"),
    ),
    "Window": (
        ("ui.close_to_tray", "Closing the window keeps Reelbox in the tray"),
        ("ui.player", "Player for Play"),
        ("ui.theme", "Theme (system follows the desktop)"),
    ),
}


@dataclass(frozen=True)
class StoredSecrets:
    share_password: str
    api_token: str
    tmdb_key: str
    notify_tokens: dict[str, str]  # by target name


def read_secrets(core: Any) -> StoredSecrets:
    """In a worker thread: the keyring may take seconds."""
    tokens = {t.name: core.notify_token(t.name) or "" for t in core.settings.notify.targets}
    return StoredSecrets(core.share_password(), core.api_token(), core.tmdb_key() or "", tokens)


class SettingsDialog(QDialog):
    sync_view_requested = Signal()  # the Library tab's pointer to the folder editor

    def __init__(
        self,
        core: Any,
        parent: QWidget | None = None,
        on_applied: Callable[[set[str]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.core = core
        self.on_applied = on_applied
        self.setWindowTitle("Settings")
        self.resize(760, 480)
        self.fields: dict[str, QLineEdit | QCheckBox | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        tabs = QTabWidget()
        for tab, names in TABS.items():
            page = QWidget()
            form = QFormLayout(page)
            for name, label in names:
                value = core.settings.get(name)
                if isinstance(value, bool):
                    widget: QLineEdit | QCheckBox | QComboBox = QCheckBox()
                    widget.setChecked(value)
                elif name == "ui.theme":
                    widget = QComboBox()
                    widget.addItems(THEMES)
                    widget.setCurrentText(value)
                else:
                    widget = QLineEdit(str(value))
                    if name == "torrents.storage_dir":
                        widget.setPlaceholderText(str(core.paths.default_storage_dir))
                    if name == "ui.player":
                        widget.setPlaceholderText(
                            "empty: the desktop's player for playlists; or vlc, mpv, open -a IINA, a path"
                        )
                widget.setToolTip(describe(name))
                error = QLabel("")
                error.setStyleSheet("color: #d0413c")
                error.setWordWrap(True)
                error.hide()
                box = QVBoxLayout()
                box.setSpacing(2)
                if name == "torrents.storage_dir":
                    box.addLayout(self._with_browse(widget))
                else:
                    box.addWidget(widget)
                box.addWidget(error)
                form.addRow(label, box)
                self.fields[name] = widget
                self.errors[name] = error
            if tab == "Share":
                self.password = QLineEdit()
                self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
                form.addRow("Password", self._password_row())
                # said once the secrets are read: only then is it known whether they last
                self.keyring_note = QLabel("")
                self.keyring_note.setWordWrap(True)
                self.keyring_note.setStyleSheet("color: #d0413c")
                self.keyring_note.hide()
                form.addRow(self.keyring_note)
                self.api_token = CopyField()
                self.api_token.setToolTip("For scripts: Authorization: Bearer <token> on /api/")
                form.addRow("API token", self.api_token)
            if tab == "Torrents":
                # libtorrent takes another port when the one set is in use, without a word
                note = getattr(core.torrents, "listen_note", None)
                self.listen_note = QLabel(f"Peers: {note}" if note else "")
                self.listen_note.setWordWrap(True)
                self.listen_note.setStyleSheet("color: #d0413c")
                self.listen_note.setVisible(bool(note))
                form.addRow(self.listen_note)
            if tab == "Library":
                self.tmdb_key = QLineEdit()
                self.tmdb_key.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
                self.tmdb_key.setMinimumWidth(TMDB_KEY_WIDTH)  # a v4 token is 200+ characters
                form.addRow("TMDB key", self.tmdb_key)
                self.tmdb_link = QLabel(
                    f'<a href="{TMDB_KEY_URL}">Get a free key on themoviedb.org</a>'
                    " (an account, then Settings → API)"
                )
                self.tmdb_link.setOpenExternalLinks(True)
                form.addRow("", self.tmdb_link)
                form.addRow(self._sync_pointer())
            tabs.addTab(page, tab)
            if tab == "Library":
                self.media_servers = MediaServersTab(core)
                tabs.addTab(self.media_servers, "Media servers")
                self.debrid = DebridTab(core)  # its settings are checked and saved here
                tabs.addTab(self.debrid, "Debrid")
                self.fields.update(self.debrid.fields)
                self.errors.update(self.debrid.errors)
        self.tabs = tabs
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(lambda: self.apply(close=True))
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.applied: asyncio.Task[Any] | None = None
        # What the keyring holds, once read; None until then (the secret fields are off).
        self.secrets: StoredSecrets | None = None
        self._show_secrets(None)
        self.secrets_read = asyncio.ensure_future(self._read_secrets())
        self.finished.connect(self.secrets_read.cancel)
        self.finished.connect(self.debrid.stop)

    async def _read_secrets(self) -> None:
        try:
            secrets = await asyncio.to_thread(read_secrets, self.core)
        except Exception as exc:  # Secrets falls back to memory; anything else is said here
            logger.warning("Reading the secrets failed: %s", exc)
            self.status.setText(f"Could not read the keyring: {exc}")
            return
        self._show_secrets(secrets)

    def _show_secrets(self, secrets: StoredSecrets | None) -> None:
        self.secrets = secrets
        reading = "Reading the keyring…"
        self.password.setPlaceholderText(reading if secrets is None else "")
        self.tmdb_key.setPlaceholderText(
            reading if secrets is None else "TMDB API key (v3) or read access token (v4)"
        )
        for field in (self.password, self.tmdb_key, self.show_password, self.copy_password):
            field.setEnabled(secrets is not None)
        if secrets is not None:
            note = keyring_note(self.core.secrets.fallback_reason)
            self.keyring_note.setText(note)
            self.keyring_note.setVisible(bool(note))
            self.media_servers.set_tokens(secrets.notify_tokens)
            self.password.setText(secrets.share_password)
            self.api_token.set_text(secrets.api_token)
            self.tmdb_key.setText(secrets.tmdb_key)

    def _password_row(self) -> QHBoxLayout:
        """The password with Show (it is masked) and Copy (for a device's login)."""
        self.show_password = QToolButton(text="Show", checkable=True)
        self.show_password.toggled.connect(
            lambda shown: self.password.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.PasswordEchoOnEdit
            )
        )
        self.copy_password = QToolButton(text="Copy")
        self.copy_password.setToolTip("Copy the password to the clipboard")
        self.copy_password.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.password.text())
        )
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.show_password)
        row.addWidget(self.copy_password)
        return row

    def _with_browse(self, field: QLineEdit) -> QHBoxLayout:
        """The download folder's field with a Browse… button beside it."""
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(lambda: self._browse(field))
        self.folder_dialog: QFileDialog | None = None
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(self.browse_button)
        return row

    def _browse(self, field: QLineEdit) -> None:
        start = field.text().strip() or field.placeholderText()
        dialog = QFileDialog(self, "Download folder", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.fileSelected.connect(field.setText)
        dialog.finished.connect(dialog.deleteLater)
        self.folder_dialog = dialog
        dialog.open()

    def _sync_pointer(self) -> QWidget:
        """Watched folders and each source's interval live in the Sync view: say so here."""
        pointer = QLabel(
            "Watched folders, and how often each source syncs, are set in the Sync view."
        )
        pointer.setWordWrap(True)
        self.sync_view_button = QPushButton("Close and open the Sync view")
        self.sync_view_button.clicked.connect(self.sync_view_requested)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 8, 0, 0)
        row.addWidget(pointer, 1)
        row.addWidget(self.sync_view_button)
        return box

    def collect(self) -> Settings | None:
        """The settings as typed, or None after showing every bad value beside its field."""
        new = self.core.settings.copy()
        ok = True
        first_bad: QWidget | None = None
        for name, widget in self.fields.items():
            if isinstance(widget, QCheckBox):
                value: str | bool = widget.isChecked()
            else:
                value = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            error = self.errors[name]
            try:
                new.set(name, value)
            except SettingsError as exc:
                error.setText(str(exc).split(": ", 1)[-1])
                error.show()
                ok = False
                first_bad = first_bad or widget
            else:
                error.hide()
        try:
            new.notify.targets = self.media_servers.targets()
            self.media_servers.show_problem("")
        except SettingsError as exc:
            self.media_servers.show_problem(str(exc))
            ok = False
            first_bad = first_bad or self.media_servers.table
        if first_bad is not None:  # show the first problem, on whichever tab it is
            for number in range(self.tabs.count()):
                if self.tabs.widget(number).isAncestorOf(first_bad):
                    self.tabs.setCurrentIndex(number)
            first_bad.setFocus()
        if self.secrets is not None and not self.password.text().strip():
            self.status.setText("The share password cannot be empty.")
            ok = False
        return new if ok else None

    def apply(self, close: bool = False) -> None:
        new = self.collect()
        if new is None:
            if not self.status.text():
                self.status.setText("Fix the values marked in red; nothing was saved.")
            return
        self.status.setText("Applying…")
        self.buttons.setEnabled(False)
        # what was typed is read now: the dialog may be closed (and deleted) while it applies
        typed = _Typed(
            self.password.text().strip(), self.tmdb_key.text().strip(), self.media_servers.tokens()
        )
        self.applied = asyncio.ensure_future(self._apply(new, typed, close))

    async def _apply(self, new: Settings, typed: _Typed, close: bool) -> None:
        core = self.core
        try:
            # Off the Qt thread: a share restart binds sockets, secrets go through the
            # keyring; Core hops the sync and TMDB parts back onto this loop itself.
            changed = await asyncio.to_thread(core.update_settings, new)
            # Compared with what was read, not asked again; None: the keyring has not
            # answered yet, so the secrets are left alone.
            if self.secrets is not None:
                if typed.password != self.secrets.share_password:
                    await asyncio.to_thread(core.set_share_password, typed.password)
                    self.secrets = replace(self.secrets, share_password=typed.password)
                    changed.add("share")
                if typed.tmdb_key != self.secrets.tmdb_key:
                    await asyncio.to_thread(core.set_tmdb_key, typed.tmdb_key or None)
                    self.secrets = replace(self.secrets, tmdb_key=typed.tmdb_key)
                    changed.add("tmdb")
                if typed.tokens != self.secrets.notify_tokens:
                    old_tokens = self.secrets.notify_tokens
                    await asyncio.to_thread(_save_tokens, core, old_tokens, typed.tokens)
                    self.secrets = replace(self.secrets, notify_tokens=typed.tokens)
                    changed.add("notify")
        except Exception as exc:  # a port in use after a share restart, a keyring failure
            logger.warning("Applying settings failed: %s", exc)
            if shiboken6.isValid(self):
                self.status.setText(f"Could not apply the settings: {exc}")
            return
        finally:
            if shiboken6.isValid(self):
                self.buttons.setEnabled(True)
        if changed and self.on_applied is not None:
            self.on_applied(changed)
        if not shiboken6.isValid(self):
            return  # closed (and deleted) while applying: the settings are applied all the same
        self.status.setText(
            "Saved; restarted: " + ", ".join(sorted(changed)) if changed else "Nothing changed."
        )
        if close:
            self.accept()


def _save_tokens(core: Any, old: dict[str, str], new: dict[str, str]) -> None:
    """In a worker: the changed tokens to the keyring, those of removed targets out of it."""
    for name in old.keys() - new.keys():
        core.set_notify_token(name, None)
    for name, token in new.items():
        if old.get(name, "") != token:
            core.set_notify_token(name, token or None)


@dataclass(frozen=True)
class _Typed:
    """The secrets as typed when Apply or OK was pressed."""

    password: str
    tmdb_key: str
    tokens: dict[str, str]


async def open_settings(reelbox: Any) -> None:
    """Show the dialog; the window shows the effect of each Apply (a new share URL...)."""
    if reelbox.core.library is None:
        reelbox.actions.show_error("Not ready", "Reelbox is still starting.")
        return
    dialog = SettingsDialog(reelbox.core, reelbox.window, reelbox.settings_applied)
    reelbox.actions.dialog = dialog

    def open_sync_view() -> None:
        reelbox.window.show_page("sync")
        dialog.reject()

    dialog.sync_view_requested.connect(open_sync_view)
    try:
        await run_dialog(dialog)
    finally:
        reelbox.actions.dialog = None
        dialog.deleteLater()
