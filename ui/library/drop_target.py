"""Item views that take dropped links: the item under the cursor is highlighted, and a drop
proposed as Copy, Move or Link is accepted and performed as Copy.

Qt's own handling refuses a proposed action the model does not list (a file manager proposes
Move) and would report Move back to the source, which then deletes the file. So `DropTarget`
handles the drag events of the view's viewport itself and hands the drop to the model's
`dropMimeData` with CopyAction. Since Qt's drag handling is bypassed, it also scrolls when the
cursor rests near the top or bottom edge, as Qt does.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView

SCROLL_MS = 50
DRAGS = (QEvent.Type.DragEnter, QEvent.Type.DragMove)


class DropTarget(QObject):
    """Installed on one view's viewport; `target` is the highlighted index (invalid when none)."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view
        self.target = QPersistentModelIndex()
        self.highlight = QFrame(view.viewport())
        self.highlight.setObjectName("dropHighlight")
        self.highlight.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.highlight.setStyleSheet(
            "#dropHighlight { border: 2px solid palette(highlight); border-radius: 4px; }"
        )
        self.highlight.hide()
        self._pos = QPoint()
        self._mime = None
        self._scroll = QTimer(self)
        self._scroll.setInterval(SCROLL_MS)
        self._scroll.timeout.connect(self._scroll_step)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in DRAGS:
            self._drag_over(event)  # type: ignore[arg-type]
            return True
        if kind == QEvent.Type.Drop:
            self._drop(event)  # type: ignore[arg-type]
            return True
        if kind == QEvent.Type.DragLeave:
            self._clear()
            return True
        return False

    def _index_at(self, pos: QPoint, mime: object) -> QModelIndex:
        index = self.view.indexAt(pos)
        if not index.isValid() or not index.flags() & Qt.ItemFlag.ItemIsDropEnabled:
            return QModelIndex()
        if not self.view.model().canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, index):
            return QModelIndex()
        return index

    def _drag_over(self, event: QDragMoveEvent) -> None:
        mime = event.mimeData()
        if not (mime.hasUrls() or mime.hasText()):
            event.ignore()
            return
        self._pos, self._mime = event.position().toPoint(), mime
        index = self._show(self._index_at(self._pos, mime))
        # Enter is accepted anywhere so the moves keep coming; a move only over an item.
        if index.isValid() or event.type() == QEvent.Type.DragEnter:
            event.setDropAction(
                Qt.DropAction.CopyAction
            )  # Qt keeps the proposed one if Copy is not offered
            event.accept()
        else:
            event.ignore()
        if self._near_edge() and not self._scroll.isActive():
            self._scroll.start()

    def _drop(self, event: QDropEvent) -> None:
        index = self._index_at(event.position().toPoint(), event.mimeData())
        self._clear()
        model = self.view.model()
        if index.isValid() and model.dropMimeData(
            event.mimeData(), Qt.DropAction.CopyAction, -1, -1, index
        ):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def _show(self, index: QModelIndex) -> QModelIndex:
        self.target = QPersistentModelIndex(index)
        if not index.isValid():
            self.highlight.hide()
            return index
        rect = self.view.visualRect(index)
        if not isinstance(self.view, QListView):  # trees and tables: the whole row
            rect.setLeft(0)
            rect.setRight(self.view.viewport().width() - 1)
        self.highlight.setGeometry(rect)
        self.highlight.show()
        self.highlight.raise_()
        return index

    def _clear(self) -> None:
        self._scroll.stop()
        self._mime = None
        self._show(QModelIndex())

    def _near_edge(self) -> int:
        """-1 near the top, 1 near the bottom, 0 elsewhere."""
        margin = self.view.autoScrollMargin()
        if self._pos.y() < margin:
            return -1
        return 1 if self._pos.y() > self.view.viewport().height() - margin else 0

    def _scroll_step(self) -> None:
        direction = self._near_edge()
        if not direction or self._mime is None:
            self._scroll.stop()
            return
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.value() + direction * max(bar.singleStep(), 20))
        self._show(self._index_at(self._pos, self._mime))  # the row under the cursor moved
