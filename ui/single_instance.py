"""One running copy per data dir: a second launch hands its links to the first and exits.

The first copy listens on a QLocalServer whose name is derived from the data dir, so two
portable installs (or a test's temporary dir) never see each other. A later launch connects,
writes its links as one JSON line and exits; the first copy emits `links_received`. The check
runs before the core is built, so a second launch never opens the database or binds ports.

macOS starts no second launch: it sends the running app (starting it if need be) an Apple
event for a clicked `magnet:` link or a double-clicked `.torrent`, which Qt delivers to the
application object as a QFileOpenEvent; `OpenEvents` turns those into the same
`links_received` list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1000
MAX_MESSAGE = 1024 * 1024  # links, not files


def server_name(data_dir: Path | str) -> str:
    """A short, stable socket name per user and data dir (Unix socket paths are limited)."""
    key = f"{os.getuid() if hasattr(os, 'getuid') else ''}:{Path(data_dir).resolve()}"
    return "reelbox-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def hand_off(name: str, links: list[str]) -> bool:
    """Send links to a running copy; True if one answered (then this launch should exit)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write((json.dumps({"links": list(links)}) + "\n").encode())
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    logger.info("Handed %d link(s) to the running Reelbox", len(links))
    return True


class InstanceServer(QObject):
    """Listens for later launches; `links_received` carries their links (maybe empty: 'show')."""

    links_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        if not self._server.listen(name):
            # A crashed copy leaves its socket file behind; nobody answered, so it is stale.
            QLocalServer.removeServer(name)
            if not self._server.listen(name):
                logger.warning("Cannot listen for other launches (%s)", self._server.errorString())

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        for socket in list(self._buffers):
            self._drop(socket)
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(self._read)

    def _read(self) -> None:
        socket = self.sender()
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        if len(data) > MAX_MESSAGE:
            logger.warning("Ignoring an oversized message from another launch")
            self._drop(socket)
            return
        self._buffers[socket] = data
        if not data.endswith(b"\n"):
            return  # the rest of the line is still on its way
        self._drop(socket)
        try:
            links = json.loads(data.decode()).get("links", [])
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            logger.warning("Ignoring a malformed message from another launch")
            return
        if not isinstance(links, list):
            return
        self.links_received.emit([str(link) for link in links if isinstance(link, str)])

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.readyRead.disconnect(self._read)
        socket.abort()
        socket.deleteLater()


class OpenEvents(QObject):
    """An event filter for the QApplication: each QFileOpenEvent becomes `links_received`."""

    links_received = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        link = url.toLocalFile() if url.isLocalFile() else url.toString()
        if link:
            self.links_received.emit([link])
        return True
