"""Driving the window the way a user does: drops built from QMimeData onto real rows,
clicks on dialog buttons, and finding the dialogs and message boxes that opened."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialogButtonBox, QMessageBox


def uri_list(*links: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(
        [
            QUrl(link) if "://" in link or link.startswith("magnet:") else QUrl.fromLocalFile(link)
            for link in links
        ]
    )
    return mime


def plain_text(text: str) -> QMimeData:
    mime = QMimeData()
    mime.setText(text)
    return mime


def drop_on(view: QAbstractItemView, index: QModelIndex, mime: QMimeData) -> bool:
    """Drag `mime` over the row at `index` and drop it there, as the mouse would."""
    assert index.isValid()
    view.scrollTo(index)
    point = QPointF(view.visualRect(index).center())
    actions = Qt.DropAction.CopyAction | Qt.DropAction.LinkAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    viewport = view.viewport()
    enter = QDragEnterEvent(point.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(point.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(point, actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def message_boxes(parent: Any) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox) if box.isVisible()]


def message_text(parent: Any) -> str:
    return "\n".join(box.text() for box in message_boxes(parent))


def close_message_boxes(parent: Any) -> None:
    for box in message_boxes(parent):
        box.button(QMessageBox.StandardButton.Ok).click() if box.button(
            QMessageBox.StandardButton.Ok
        ) else box.reject()


def click(buttons: QDialogButtonBox, which: QDialogButtonBox.StandardButton) -> None:
    button = buttons.button(which)
    assert button is not None and button.isEnabled(), f"{which} is not clickable"
    button.click()


def pick(chooser: Any, search: str) -> None:
    """Type `search` in the chooser (its first match becomes the choice) and press Assign."""
    chooser.search.setText(search)
    ok = chooser.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled(), chooser.chosen()
    ok.click()
