"""Paints one movie (or show) in the poster grid: poster or placeholder, title, year, state.

A delegate paints every visible cell from the model's data, so the grid holds no widget per
item and a library of thousands scrolls as fast as a plain list.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.library.movies_model import POSTER_ROLE, ROW_ROLE, STATE_ROLE
from ui.library.posters import POSTER_SIZE

logger = logging.getLogger(__name__)

CELL = QSize(POSTER_SIZE.width() + 24, POSTER_SIZE.height() + 62)


def initials(title: str) -> str:
    words = [word for word in title.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def placeholder_color(title: str) -> QColor:
    # Stable per title, so a placeholder does not change colour between paints.
    hue = sum(ord(ch) for ch in title) * 37 % 360
    return QColor.fromHsl(hue, 60, 90)


class PosterDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        return CELL

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(ROW_ROLE)
        if row is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(
                rect.adjusted(2, 2, -2, -2), palette.color(QPalette.ColorRole.Highlight)
            )
        poster_rect = QRect(
            rect.x() + (rect.width() - POSTER_SIZE.width()) // 2,
            rect.y() + 8,
            POSTER_SIZE.width(),
            POSTER_SIZE.height(),
        )
        pixmap = index.data(POSTER_ROLE)
        if pixmap is not None and not pixmap.isNull():
            source = QRect(
                (pixmap.width() - poster_rect.width()) // 2,
                (pixmap.height() - poster_rect.height()) // 2,
                poster_rect.width(),
                poster_rect.height(),
            )
            painter.drawPixmap(poster_rect, pixmap, source)
        else:
            painter.fillRect(poster_rect, placeholder_color(row.title))
            font = QFont(option.font)
            font.setPointSizeF(font.pointSizeF() * 2.2)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor(255, 255, 255, 220))
            painter.drawText(poster_rect, Qt.AlignmentFlag.AlignCenter, initials(row.title))
        state = index.data(STATE_ROLE)
        if state is not None:
            dot = QRect(poster_rect.right() - 17, poster_rect.y() + 5, 12, 12)
            painter.setPen(QColor(255, 255, 255))
            painter.setBrush(state.color)
            painter.drawEllipse(dot)
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        painter.setPen(text_color)
        painter.setFont(option.font)
        metrics = painter.fontMetrics()
        text_rect = QRect(
            rect.x() + 6, poster_rect.bottom() + 6, rect.width() - 12, metrics.height()
        )
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignHCenter,
            metrics.elidedText(row.title, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        small = QFont(option.font)
        small.setPointSizeF(small.pointSizeF() * 0.85)
        painter.setFont(small)
        sub = str(row.year) if row.year else ""
        if state is not None:
            sub = f"{sub} · {state.text}" if sub else state.text
        sub_rect = text_rect.translated(0, metrics.height() + 2)
        painter.setPen(state.color if state is not None and not selected else text_color)
        painter.drawText(
            sub_rect,
            Qt.AlignmentFlag.AlignHCenter,
            painter.fontMetrics().elidedText(sub, Qt.TextElideMode.ElideRight, sub_rect.width()),
        )
        painter.restore()
