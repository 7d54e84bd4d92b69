"""A delegate that cuts long text in the middle, for file paths in the Sync view's tables:
the start and the end (the file's or folder's own name) stay readable."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

logger = logging.getLogger(__name__)


class MiddleElide(QStyledItemDelegate):
    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
