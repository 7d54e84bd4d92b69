"""The tray icon: show/hide the window, pause all / resume all, quit, and notifications for
finished downloads and errors. Only built when QSystemTrayIcon.isSystemTrayAvailable().
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from app import APP_NAME
from ui.tasks import spawn
from ui.torrents.torrents_page import can_pause_resume

logger = logging.getLogger(__name__)


class Tray(QSystemTrayIcon):
    def __init__(self, reelbox: Any) -> None:
        super().__init__(QApplication.windowIcon(), reelbox)
        self.reelbox = reelbox
        self.core: Any = None
        self.setToolTip(APP_NAME)
        menu = QMenu()
        self.toggle_action = QAction("Show/Hide window", menu)
        self.toggle_action.triggered.connect(self.toggle_window)
        self.pause_action = QAction("Pause all", menu)
        self.pause_action.triggered.connect(lambda: self._all("pause_all"))
        self.resume_action = QAction("Resume all", menu)
        self.resume_action.triggered.connect(lambda: self._all("resume_all"))
        self.quit_action = QAction("Quit", menu)
        self.quit_action.triggered.connect(reelbox.quit)
        for action in (self.toggle_action, self.pause_action, self.resume_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.menu = menu
        self.setContextMenu(menu)
        self.activated.connect(self._activated)
        self.show()

    def set_core(self, core: Any) -> None:
        self.core = core

    def show_statuses(self, statuses: dict[str, Any]) -> None:
        """Pause all only while something runs, Resume all only while something is paused."""
        some_run, some_paused = can_pause_resume(statuses.values())
        self.pause_action.setEnabled(some_run)
        self.resume_action.setEnabled(some_paused)

    def toggle_window(self) -> None:
        window = self.reelbox.window
        if window.isVisible():
            window.hide()
        else:
            window.bring_to_front()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def _all(self, method: str) -> None:
        if self.core is not None and self.core.torrents is not None:
            spawn(asyncio.to_thread(getattr(self.core.torrents, method)), method)

    def show_message(self, title: str, text: str, error: bool = False) -> None:
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if error
            else QSystemTrayIcon.MessageIcon.Information
        )
        self.showMessage(title, text, icon, 5000)

    def torrent_event(self, event: str, info_hash: str, users: list[str]) -> None:
        what = ", ".join(users) if users else info_hash[:12]
        if event == "finished":
            self.show_message("Download finished", what)
        elif event == "error":
            self.show_message("Torrent error", what, error=True)
