"""Render resources/icons/reelbox.svg to the PNG sizes desktops and installers want.

Run after editing the SVG: `python resources/render_icons.py`. The PNGs are committed so a
packaged app needs no SVG renderer; a test checks they exist at every size.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from resources import APP_ICON_SIZES as SIZES  # noqa: E402

ICONS = Path(__file__).resolve().parent / "icons"


def render() -> list[Path]:
    renderer = QSvgRenderer(str(ICONS / "reelbox.svg"))
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        target = ICONS / f"reelbox-{size}.png"
        image.save(str(target))
        written.append(target)
    return written


if __name__ == "__main__":
    app = QGuiApplication(sys.argv)
    for path in render():
        print(path)
