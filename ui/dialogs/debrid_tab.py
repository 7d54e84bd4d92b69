"""The Settings dialog's "Debrid" tab: the Real-Debrid account Reelbox takes as a source.

Log in by pasting the account's API token (checked with the service before it is kept) or
with "Log in with Real-Debrid…", the device flow (app/debrid/auth.py): the code to enter is
shown large, with the website as a link, while the credentials are polled at the interval
the service gives until approved or expired; Cancel stops it. Tokens go to the keyring
through the core (which renews a device login's token), never the settings file. The tab
shows the account (user, premium until) or why it cannot (an invalid token), Log out
(forgets the secrets; the account's source and files leave the library and the share), and
the two settings of the account, which the dialog checks and saves with the others.

Nothing here blocks the Qt thread: the keyring is read and written in workers, requests run
on the app's loop with their own client, and every step is a task Cancel (or closing the
dialog) ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.debrid import realdebrid
from app.debrid.auth import Login, device_login
from app.debrid.base import Account, DebridError, DeviceCode
from app.settings import describe
from ui.tasks import run_dialog, spawn

logger = logging.getLogger(__name__)

TOKEN_URL = "https://real-debrid.com/apitoken"
ERROR_STYLE = "color: #d0413c"
SETTINGS = (
    ("debrid.check_seconds", "Check the account every (seconds)"),
    ("debrid.add_unmatched", "Add unmatched files as new movies and shows"),
)


def account_text(account: Account) -> str:
    """ "Logged in as ana: premium until 2027-01-01" (or not premium)."""
    if account.premium_seconds > 0 and account.expiration:
        return f"Logged in as {account.username}: premium until {account.expiration[:10]}"
    return f"Logged in as {account.username}: not premium (streaming needs premium)"


def keyring_note(reason: str | None) -> str:
    """What the user must know when the login lasts for this run only ("" when kept)."""
    if reason is None:
        return ""
    return (
        f"The system keyring cannot keep secrets ({reason}). The Real-Debrid login works "
        "until Reelbox quits; after a restart, log in again."
    )


class DebridTab(QWidget):
    def __init__(self, core: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.task: asyncio.Task[Any] | None = None  # the step running (check, login, ...)
        self.dialog: QMessageBox | None = None  # the logout question, while open
        self.logged_in = False  # a token is kept (Log out has something to forget)
        self.fields: dict[str, QLineEdit | QCheckBox] = {}
        self.errors: dict[str, QLabel] = {}

        intro = QLabel(
            "Reelbox lists the torrents of your Real-Debrid account, matches their videos to "
            "the library and streams them from Real-Debrid's servers."
        )
        intro.setWordWrap(True)
        self.account = QLabel("Reading the keyring…")
        self.account.setWordWrap(True)
        self.account.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.logout_button = QPushButton("Log out")
        self.logout_button.setToolTip(
            "Forget the login; the account's files leave the library and the share"
        )
        self.logout_button.clicked.connect(lambda: self._start(self._logout(), "debrid logout"))
        account_row = QHBoxLayout()
        account_row.addWidget(self.account, 1)
        account_row.addWidget(self.logout_button, 0, Qt.AlignmentFlag.AlignTop)

        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Paste the account's API token")
        self.show_token = QToolButton(text="Show", checkable=True)
        self.show_token.toggled.connect(
            lambda shown: self.token.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            )
        )
        self.use_token = QPushButton("Use this token")
        self.use_token.clicked.connect(self.paste_token)
        self.token.returnPressed.connect(self.paste_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.show_token)
        token_row.addWidget(self.use_token)
        token_link = QLabel(f'Your token is at <a href="{TOKEN_URL}">{TOKEN_URL}</a>')
        token_link.setOpenExternalLinks(True)

        self.login_button = QPushButton("Log in with Real-Debrid…")
        self.login_button.setToolTip("Approve Reelbox on Real-Debrid's website with a code")
        self.login_button.clicked.connect(lambda: self._start(self._device_login(), "debrid login"))
        self.device_box = self._device_box()

        self.keyring_note = QLabel("")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet(ERROR_STYLE)
        self.keyring_note.hide()

        form = QFormLayout()
        form.addRow("Account", account_row)
        form.addRow("API token", token_row)
        form.addRow("", token_link)
        login_row = QHBoxLayout()
        login_row.addWidget(self.login_button)
        login_row.addStretch(1)
        form.addRow("Or", login_row)
        form.addRow(self.device_box)
        form.addRow(self.keyring_note)
        for name, label in SETTINGS:
            form.addRow(label, self._setting(name))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        self._set_busy(True)
        self._start(self._load(), "debrid account")

    def _device_box(self) -> QWidget:
        """The device flow's code, link and progress; shown while it runs."""
        self.code_hint = QLabel("")
        self.code_hint.setOpenExternalLinks(True)
        self.code_hint.setWordWrap(True)
        self.user_code = QLabel("")
        font = QFont(self.user_code.font())
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.user_code.setFont(font)
        self.user_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_code = QToolButton(text="Copy")
        self.copy_code.setToolTip("Copy the code to the clipboard")
        self.copy_code.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.user_code.text())
        )
        self.device_status = QLabel("")
        self.device_status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.stop)
        code_row = QHBoxLayout()
        code_row.addWidget(self.user_code)
        code_row.addWidget(self.copy_code)
        code_row.addStretch(1)
        status_row = QHBoxLayout()
        status_row.addWidget(self.device_status, 1)
        status_row.addWidget(self.cancel_button)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.code_hint)
        layout.addLayout(code_row)
        layout.addLayout(status_row)
        box.hide()
        return box

    def _setting(self, name: str) -> QVBoxLayout:
        value = self.core.settings.get(name)
        if isinstance(value, bool):
            widget: QLineEdit | QCheckBox = QCheckBox()
            widget.setChecked(value)
        else:
            widget = QLineEdit(str(value))
        widget.setToolTip(describe(name))
        error = QLabel("")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        self.fields[name], self.errors[name] = widget, error
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        return box

    # ---- steps ---------------------------------------------------------------------------

    def _start(self, step: Coroutine[Any, Any, None], name: str) -> None:
        if self.task is not None and not self.task.done():
            step.close()
            return
        self._set_busy(True)
        self.task = spawn(self._guarded(step), name)

    async def _guarded(self, step: Coroutine[Any, Any, None]) -> None:
        try:
            await step
        except asyncio.CancelledError:
            if shiboken6.isValid(self):
                self.device_box.hide()
                self.say("Stopped; nothing was saved.")
            raise
        except DebridError as exc:
            if shiboken6.isValid(self):
                self.device_box.hide()
                text = str(exc)
                self.say(text[:1].upper() + text[1:], error=True)
        except Exception as exc:  # the keyring, a stopped core: said, not lost in the log
            logger.exception("Debrid tab: %s failed", asyncio.current_task().get_name())
            if shiboken6.isValid(self):
                self.device_box.hide()
                self.say(f"That did not work: {exc}", error=True)
        finally:
            if shiboken6.isValid(self):
                self._set_busy(False)

    def stop(self) -> None:
        """Cancel (or the dialog closing): the running step ends, nothing more is saved."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def paste_token(self) -> None:
        token = self.token.text().strip()
        if not token:
            self.say("Paste the API token first.", error=True)
            return
        self._start(self._use_token(token), "debrid token")

    async def _load(self) -> None:
        """The account as it stands: the token from the keyring (a worker), then the user."""
        token = await asyncio.to_thread(self.core.debrid_token)
        self._show_keyring_note()
        client = self.core.debrid
        self.logged_in = bool(token)
        if not token:
            self.say("Not logged in: paste an API token, or log in with Real-Debrid.")
        elif client is None:
            self.say("A token is set; the account is checked once Reelbox has started.")
        else:
            self.say("Checking the account…")
            self.say(account_text(await client.user()))

    async def _use_token(self, token: str) -> None:
        """A pasted token is tried first: a refused one is said and not kept."""
        self.say("Checking the token…")
        account = await _ask_user(token)
        await asyncio.to_thread(self.core.set_debrid_token, token)
        self._show_keyring_note()
        self.token.clear()
        self.logged_in = True
        self.say(account_text(account) + ". Saved; the account's torrents are being listed.")

    async def _device_login(self) -> None:
        client = _client(None)
        try:
            tokens = await device_login(client, self._show_code)
            self.cancel_button.setEnabled(False)  # what follows is saved as a whole
            self.device_status.setText("Approved; saving the login…")
            client.token = tokens.access_token
            account = await client.user()
        finally:
            await client.aclose()
        await asyncio.to_thread(self.core.set_debrid_login, Login.new(tokens))
        self._show_keyring_note()
        self.device_box.hide()
        self.logged_in = True
        self.say(account_text(account) + ". Saved; the account's torrents are being listed.")

    def _show_code(self, code: DeviceCode) -> None:
        url = code.verification_url
        self.code_hint.setText(f'Open <a href="{url}">{url}</a> and enter this code:')
        self.user_code.setText(code.user_code)
        until = (datetime.now() + timedelta(seconds=code.expires_in)).strftime("%H:%M")
        self.device_status.setText(f"Waiting for you to enter the code (it expires at {until})…")
        self.cancel_button.setEnabled(True)
        self.device_box.show()
        self.say("Logging in…")

    async def _logout(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Log out of Real-Debrid",
            "Forget the Real-Debrid login?\n\nThe account's movies and episodes stay in the "
            "library, but their Real-Debrid files leave it and the share. The account itself "
            "is not changed.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        self.dialog = box
        try:
            answer = await run_dialog(box)
        finally:
            self.dialog = None
            box.deleteLater()
        if answer != QMessageBox.StandardButton.Yes:
            return
        gone = await asyncio.to_thread(self.core.debrid_logout)
        self.logged_in = False
        files = "1 file" if gone == 1 else f"{gone} files"
        self.say(f"Logged out; {files} left the share. Paste a token or log in again.")

    # ---- showing -------------------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        self.account.setText(text)
        self.account.setStyleSheet(ERROR_STYLE if error else "")

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.token, self.show_token, self.use_token, self.login_button):
            widget.setEnabled(not busy)
        self.logout_button.setEnabled(not busy and self.logged_in)

    def _show_keyring_note(self) -> None:
        note = keyring_note(self.core.secrets.fallback_reason)
        self.keyring_note.setText(note)
        self.keyring_note.setVisible(bool(note))


def _client(token: str | None) -> realdebrid.RealDebridClient:
    """A client of its own for a login: the app's keeps serving the current one meanwhile."""
    return realdebrid.RealDebridClient(
        token, api_url=realdebrid.API_URL, oauth_url=realdebrid.OAUTH_URL
    )


async def _ask_user(token: str) -> Account:
    client = _client(token)
    try:
        return await client.user()
    finally:
        await client.aclose()
