"""The status bar: the share's LAN URL (with Copy and Connect a device), total rates, active
streams, free disk."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from ui.tasks import spawn
from ui.widgets import CopyField, human_rate, human_size

logger = logging.getLogger(__name__)


def lan_url(urls: list[str]) -> str:
    """The URL to show: a LAN address when there is one, loopback otherwise."""
    for url in urls:
        if "127.0.0.1" not in url and "localhost" not in url and "[::1]" not in url:
            return url
    return urls[0] if urls else ""


def free_disk(folder: Path) -> int:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return psutil.disk_usage(str(folder)).free


class StatusBar(QStatusBar):
    connect_requested = Signal()  # "Connect a device…": the login, a QR code, steps

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share = CopyField("")
        self.share.label.setText("Starting…")
        self.connect_button = QPushButton("Connect a device…")
        self.connect_button.setToolTip("The share's address, user name and password, and steps")
        self.connect_button.clicked.connect(self.connect_requested)
        self.rates = QLabel("")
        self.streams = QLabel("")
        self.disk = QLabel("")
        self.addWidget(self.share)
        self.addWidget(self.connect_button)
        self.addWidget(QWidget(), 1)  # the rest of the bar's left side
        for label in (self.rates, self.streams, self.disk):
            self.addPermanentWidget(label)
        self._checking_disk = False

    def show_share(self, core: Any) -> None:
        share = getattr(core, "share", None)
        if share is None:
            error = getattr(core, "share_error", None)
            self.share.set_text("")
            self.share.label.setText(f"Share off: {error}" if error else "Share off")
            self.share.label.setToolTip("Change the share's port or address in Settings")
            return
        url = lan_url(list(share.urls()))
        self.share.set_text(url)
        self.share.label.setToolTip("\n".join(share.urls()))

    def show_error(self, message: str) -> None:
        self.share.set_text("")
        self.share.label.setText(message)

    def show_statuses(self, statuses: dict[str, Any], core: Any) -> None:
        down = sum(status.download_rate for status in statuses.values())
        up = sum(status.upload_rate for status in statuses.values())
        streams = sum(status.active_readers for status in statuses.values())
        self.rates.setText(f"↓ {human_rate(down)}  ↑ {human_rate(up)}")
        self.streams.setText(f"{streams} stream{'s' if streams != 1 else ''}")
        if not self._checking_disk and core is not None:
            self._checking_disk = True
            spawn(self._update_disk(core), "free disk")

    async def _update_disk(self, core: Any) -> None:
        folder = Path(core.settings.torrents.storage_dir or core.paths.default_storage_dir)
        try:
            free = await asyncio.to_thread(free_disk, folder)
            self.disk.setText(f"{human_size(free)} free")
        except OSError as exc:
            self.disk.setText(f"disk: {exc.strerror or exc}")
        finally:
            self._checking_disk = False
