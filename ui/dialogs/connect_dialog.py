"""The Connect a device panel: everything a player needs to reach the share, in one place.

The share's LAN addresses, the user name, the password (masked, with Show and Copy), a QR
code of the WebDAV address (with the user name, never the password, in it) and short steps
for Infuse, VLC, Kodi and Finder. When the keyring cannot keep secrets it says so: the
password then lasts for this run only. The password is read in a worker (the keyring may
take seconds), as the Settings dialog does.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from typing import Any
from urllib.parse import urlsplit

import segno
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.player import webdav_login_url
from ui.status_bar import lan_url
from ui.tasks import run_dialog
from ui.widgets import CopyField

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
QR_SCALE = 5  # pixels per QR module: about 200 px for a typical address


def steps(host: str, port: str, url: str, user: str) -> dict[str, str]:
    """Short steps per player, with this share's address filled in (rich text: the user
    name may hold '<' or '&')."""
    host, port, url, user = (html.escape(part) for part in (host, port, url, user))
    return {
        "Infuse": (
            "<ol><li>Settings → Shares → <b>Add Share</b> → <b>WebDAV</b>.</li>"
            f"<li>Address <b>{host}</b>, port <b>{port}</b>, path <b>/</b>.</li>"
            f"<li>User name <b>{user}</b> and the password above; Save.</li>"
            "<li>Add the Movies and TV Shows folders to the library.</li></ol>"
        ),
        "VLC": (
            "<ol><li>Phone or tablet: Network → Connect to server → <b>WebDAV</b>, "
            f"address <b>{url}</b>.</li>"
            "<li>Computer: Media → Open Network Stream, and paste an item's URL "
            "(<b>Copy URL</b> in the detail pane).</li>"
            f"<li>Log in as <b>{user}</b> with the password above.</li></ol>"
        ),
        "Kodi": (
            "<ol><li>Videos → Files → Add videos → Browse → <b>Add network location</b>.</li>"
            f"<li>Protocol <b>WebDAV server (HTTP)</b>, server <b>{host}</b>, "
            f"port <b>{port}</b>.</li>"
            f"<li>User name <b>{user}</b> and the password above; OK.</li>"
            "<li>Set the content of Movies to movies and of TV Shows to TV shows.</li></ol>"
        ),
        "Finder": (
            f"<ol><li>Go → <b>Connect to Server…</b> (⌘K), enter <b>{url}</b>.</li>"
            f"<li>Connect as a registered user: <b>{user}</b> and the password above.</li>"
            "<li>Windows: Map network drive with the same address. Linux Files: "
            f"<b>dav://{host}:{port}/</b>.</li></ol>"
        ),
    }


def qr_pixmap(text: str) -> tuple[QPixmap, Any]:
    """A QR code of `text` as a pixmap, and segno's code (its matrix holds exactly `text`)."""
    code = segno.make(text, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=QR_SCALE, border=2)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap, code


def keyring_note(reason: str | None) -> str:
    """What the user must know when secrets last for this run only ("" when they are kept)."""
    if reason is None:
        return ""
    return (
        f"The system keyring cannot keep secrets ({reason}). The share password works until "
        "Reelbox quits; after a restart there is a new one (or set one in Settings each time, "
        "or start Reelbox with REELBOX_SHARE_PASSWORD), and devices must be given it again."
    )


class ConnectDialog(QDialog):
    def __init__(self, core: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Connect a device")
        self.resize(680, 560)
        share = core.share
        urls = list(share.urls()) if share is not None else []
        lan = [url for url in urls if not any(host in url for host in LOOPBACK)]
        self.urls = lan or urls  # loopback only when the share listens on nothing else
        self.url = lan_url(urls)
        self.username = core.settings.share.username
        layout = QVBoxLayout(self)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #d0413c")
        self.note.hide()
        layout.addWidget(self.note)
        if share is None:
            off = QLabel(
                "The share is off"
                + (f": {core.share_error}" if core.share_error else "")
                + ". Turn it on, or change its port, in Settings → Share."
            )
            off.setWordWrap(True)
            layout.addWidget(off)
        else:
            layout.addLayout(self._login_form())
            layout.addWidget(self._qr_and_steps(), 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.password_read = asyncio.ensure_future(self._read_password())
        self.finished.connect(self.password_read.cancel)

    def _login_form(self) -> QFormLayout:
        form = QFormLayout()
        self.addresses = [CopyField(url) for url in self.urls]
        box = QVBoxLayout()
        for field in self.addresses:
            box.addWidget(field)
        form.addRow("Address" if len(self.urls) == 1 else "Addresses", box)
        self.user = CopyField(self.username)
        form.addRow("User name", self.user)
        self.password = QLineEdit()
        self.password.setReadOnly(True)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Reading the keyring…")
        self.show_button = QToolButton(text="Show", checkable=True)
        self.show_button.toggled.connect(self._reveal)
        self.copy_button = QToolButton(text="Copy")
        self.copy_button.setToolTip("Copy the password to the clipboard")
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.password.text())
        )
        for widget in (self.show_button, self.copy_button):
            widget.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.copy_button)
        form.addRow("Password", row)
        return form

    def _qr_and_steps(self) -> QWidget:
        parts = urlsplit(self.url)
        self.qr_text = webdav_login_url(self.url, self.username)
        pixmap, self.qr_code = qr_pixmap(self.qr_text)
        self.qr = QLabel()
        self.qr.setPixmap(pixmap)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.qr.setToolTip(f"Scan to open {self.qr_text} (the password is asked for)")
        caption = QLabel("Scan with a phone or tablet")
        caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        left = QVBoxLayout()
        left.addWidget(self.qr)
        left.addWidget(caption)
        left.addStretch(1)
        self.steps = QTabWidget()
        host, port = parts.hostname or "", str(parts.port or "")
        if ":" in host:  # an IPv6 literal goes in brackets wherever a port follows it
            host = f"[{host}]"
        for name, text in steps(host, port, self.url, self.username).items():
            label = QLabel(text)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.steps.addTab(label, name)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 8, 0, 0)
        row.addLayout(left)
        row.addWidget(self.steps, 1)
        return box

    def _reveal(self, shown: bool) -> None:
        self.password.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.show_button.setText("Hide" if shown else "Show")

    async def _read_password(self) -> None:
        core = self.core
        try:
            password = await asyncio.to_thread(core.share_password)
        except Exception as exc:  # Secrets falls back to memory; anything else is said here
            logger.warning("Reading the share password failed: %s", exc)
            password, note = "", f"Could not read the share password: {exc}"
        else:
            note = keyring_note(core.secrets.fallback_reason)
        if not shiboken6.isValid(self):
            return
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if core.share is None:
            return
        if core.settings.share.anonymous:
            self.password.setPlaceholderText("not needed: anonymous access is on")
        self.password.setText(password)
        for widget in (self.show_button, self.copy_button):
            widget.setEnabled(bool(password))


async def open_connect(reelbox: Any) -> None:
    """Show the panel until it is closed."""
    if reelbox.core.library is None:
        reelbox.actions.show_error("Not ready", "Reelbox is still starting.")
        return
    dialog = ConnectDialog(reelbox.core, reelbox.window)
    reelbox.actions.dialog = dialog
    try:
        await run_dialog(dialog)
    finally:
        if reelbox.actions.dialog is dialog:
            reelbox.actions.dialog = None
        dialog.deleteLater()
