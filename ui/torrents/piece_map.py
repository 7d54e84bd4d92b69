"""A strip that shows every piece of a torrent: downloaded, being fetched now, or missing.

Pieces are binned into the strip's width so a torrent of 100,000 pieces paints as fast as
one of 100; a bin shows "fetching" if any of its pieces is being fetched, else the share of
pieces it has. Missing pieces take the palette's Midlight, so the strip reads in the dark
theme too; `legend_html` names the colours under the strip.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.torrents.status import PIECE_FETCHING, PIECE_HAVE

logger = logging.getLogger(__name__)

HAVE_COLOR = QColor("#2e9b4f")
FETCHING_COLOR = QColor("#2f7fd8")


def missing_color(palette: QPalette) -> QColor:
    return palette.color(QPalette.ColorRole.Midlight)


def legend_html(palette: QPalette) -> str:
    """The strip's colours in words, each after a swatch of its colour."""
    return " &nbsp; ".join(
        f"<span style='color:{color.name()}'>■</span> {label}"
        for color, label in (
            (HAVE_COLOR, "downloaded"),
            (FETCHING_COLOR, "being fetched now"),
            (missing_color(palette), "not downloaded"),
        )
    )


def bins(pieces: bytes, count: int) -> list[tuple[float, bool]]:
    """(share of pieces had, any fetching) for `count` equal slices of the piece list."""
    total = len(pieces)
    if not total or count <= 0:
        return []
    count = min(count, total)
    result = []
    for number in range(count):
        chunk = pieces[number * total // count : (number + 1) * total // count]
        have = chunk.count(PIECE_HAVE)
        result.append((have / len(chunk), PIECE_FETCHING in chunk))
    return result


class PieceMap(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pieces: bytes = b""
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, 22)

    def set_pieces(self, pieces: bytes | None) -> None:
        pieces = pieces or b""
        if pieces != self.pieces:
            self.pieces = pieces
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        width, height = self.width(), self.height()
        painter.fillRect(0, 0, width, height, missing_color(self.palette()))
        slices = bins(self.pieces, width)
        if not slices:
            return
        step = width / len(slices)
        for number, (have, fetching) in enumerate(slices):
            if fetching:
                color = FETCHING_COLOR
            elif have:
                color = QColor(HAVE_COLOR)
                color.setAlphaF(0.35 + 0.65 * have)
            else:
                continue
            painter.fillRect(QRectF(number * step, 0, step + 0.5, height), color)
