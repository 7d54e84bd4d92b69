"""A strip that shows every piece of a torrent: downloaded, being fetched now, or missing.

Pieces are binned into the strip's width so a torrent of 100,000 pieces paints as fast as
one of 100; a bin shows "fetching" if any of its pieces is being fetched, else the share of
pieces it has. Missing pieces take the palette's Midlight, so the strip reads in the dark
theme too. Each open reader's piece (where a player is reading) gets a marker: a line across
the strip under a small triangle. `legend_html` names the colours under the strip.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.torrents.status import PIECE_FETCHING, PIECE_HAVE

logger = logging.getLogger(__name__)

HAVE_COLOR = QColor("#2e9b4f")
FETCHING_COLOR = QColor("#2f7fd8")
READER_COLOR = QColor("#e8590c")  # orange: apart from green, blue and grey in both themes
MARKER_HALF_WIDTH = 5


def missing_color(palette: QPalette) -> QColor:
    return palette.color(QPalette.ColorRole.Midlight)


def legend_html(palette: QPalette) -> str:
    """The strip's colours in words, each after a swatch of its colour."""
    return " &nbsp; ".join(
        f"<span style='color:{color.name()}'>{swatch}</span> {label}"
        for color, swatch, label in (
            (HAVE_COLOR, "■", "downloaded"),
            (FETCHING_COLOR, "■", "being fetched now"),
            (missing_color(palette), "■", "not downloaded"),
            (READER_COLOR, "▼", "player reading here"),
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
        self.reading: tuple[int, ...] = ()
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, 22)

    def set_pieces(self, pieces: bytes | None) -> None:
        pieces = pieces or b""
        if pieces != self.pieces:
            self.pieces = pieces
            self.update()

    def set_reading(self, pieces: tuple[int, ...]) -> None:
        """The pieces players read now, one marker each."""
        if pieces != self.reading:
            self.reading = pieces
            self.update()

    def markers(self) -> list[tuple[int, float]]:
        """(piece, x of its marker) for each reader's piece on the strip."""
        total = len(self.pieces)
        return [
            (piece, (piece + 0.5) * self.width() / total)
            for piece in self.reading
            if 0 <= piece < total
        ]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        width, height = self.width(), self.height()
        painter.fillRect(0, 0, width, height, missing_color(self.palette()))
        slices = bins(self.pieces, width)
        if not slices:
            return
        self._paint_pieces(painter, slices)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for _piece, x in self.markers():
            painter.fillRect(QRectF(x - 1, 0, 2, height), READER_COLOR)
            painter.setPen(READER_COLOR)
            painter.setBrush(READER_COLOR)
            top = QPolygonF(
                [
                    QPointF(x - MARKER_HALF_WIDTH, 0),
                    QPointF(x + MARKER_HALF_WIDTH, 0),
                    QPointF(x, 7),
                ]
            )
            painter.drawPolygon(top)

    def _paint_pieces(self, painter: QPainter, slices: list[tuple[float, bool]]) -> None:
        width, height = self.width(), self.height()
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
