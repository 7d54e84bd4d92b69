"""The window laid out at the smallest size it supports (800×560) and at 4K (3840×2160): on
every page no visible label or button is cut (its text fits, or it is elided in the middle
with the whole text in its tooltip), nothing sticks out of the window, a long word never
wraps mid-word, the search box keeps a usable width, the Movies bar shows Sort, Grid, List
and Add movie… (none in the » overflow) and the detail pane gets a fair share at 4K. The real
app runs on a real core, with the share on and a torrent from a loopback seeder; each page
is also saved as a PNG in the test's tmp_path (layout-<size>-<page>.png) for a human to look
at.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QAbstractButton, QLabel, QToolButton, QWidget

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from ui.elided_label import ElidedLabel
from ui.library.posters import POSTER_SIZE
from ui.tool_bar import SEARCH_MIN_WIDTH

FILES = {"Heat.1995.720p.BluRay.x264-GROUP/Heat.1995.720p.BluRay.x264-GROUP.mkv": 2 * MiB}


def plain(label: QLabel) -> str:
    if label.textFormat() == Qt.TextFormat.PlainText or not GuiQt.mightBeRichText(label.text()):
        return label.text()
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def problems(window: QWidget) -> list[str]:
    """What is cut on screen, one line each ([] when nothing is)."""
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, (QLabel, QAbstractButton)):
            continue
        if widget.window() is not window or not widget.width():
            continue
        right = widget.mapTo(window, QPoint(widget.width(), widget.height()))
        if right.x() > window.width() or right.y() > window.height():
            found.append(f"{widget!r} {widget.text()!r} sticks out of the window at {right}")
        metrics, room = widget.fontMetrics(), widget.contentsRect().width()
        if isinstance(widget, ElidedLabel):
            shown, full = widget.shown_text(), widget.text()
            if metrics.horizontalAdvance(shown) > room:
                found.append(f"{full!r} is cut")
            if shown != full and (widget.toolTip() != full or "…" not in shown):
                found.append(f"{full!r} is shortened to {shown!r} without the whole in a tooltip")
        elif isinstance(widget, QLabel):
            text = plain(widget)
            if widget.wordWrap():
                # words break at spaces and at the zero-width spaces breakable() puts in paths
                words = re.split(r"[\s\u200b]+", text)
                too_long = [w for w in words if metrics.horizontalAdvance(w) > room]
                if too_long or widget.height() < widget.heightForWidth(widget.width()):
                    found.append(f"{text!r} wraps mid-word or is cut off below: {too_long}")
            elif text and metrics.horizontalAdvance(text) > room:
                found.append(f"{text!r} is cut ({metrics.horizontalAdvance(text)} > {room})")
        else:
            text = widget.text().replace("&", "")
            if not text or (
                isinstance(widget, QToolButton) and widget.objectName() == "qt_toolbar_ext_button"
            ):
                continue
            if (
                metrics.horizontalAdvance(text) > room
                or widget.width() < widget.minimumSizeHint().width()
            ):
                found.append(f"button {text!r} is cut ({widget.width()} px)")
    return found


@pytest.mark.parametrize(("width", "height", "name"), [(800, 560, "800"), (3840, 2160, "4k")])
def test_every_page_fits_at_800x560_and_4k(qapp, make_core, tmp_path, width, height, name):
    path = next(iter(FILES))
    with Seeder(tmp_path / "seed", FILES, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            core = reelbox.core
            poster = core.posters.path_for("/heat.jpg")  # a poster in the cache, as TMDB's
            poster.parent.mkdir(parents=True, exist_ok=True)
            image = QImage(POSTER_SIZE, QImage.Format.Format_RGB32)
            image.fill(Qt.GlobalColor.darkGreen)
            assert image.save(str(poster), "JPEG")
            movie = await asyncio.to_thread(
                core.library.add_movie, "Heat", 1995, poster_path="/heat.jpg"
            )
            await asyncio.to_thread(
                core.assigner.assign, "movie", movie.id, seeder.magnet, file_path=path
            )
            window = reelbox.window
            window.resize(width, height)
            window.show()
            view = reelbox.movies_page.view
            await until(lambda: view.proxy.rowCount() == 1, what="the movie")
            view.grid.setCurrentIndex(view.proxy.index(0, 0))
            detail = reelbox.movies_page.detail
            await until(lambda: detail.url.text().startswith("http://"), what="the URL")
            found = {}
            torrents = reelbox.torrents_page
            for page in ("movies", "shows", "torrents"):
                window.show_page(page)
                if page == "torrents":
                    await until(lambda: torrents.select(seeder.info_hash), what="the torrent")
                    await until(lambda: torrents.files.count() == 1, what="its files")
                await asyncio.sleep(0.05)  # let Qt lay out and paint (see test_architecture)
                assert window.size().width() == width and window.size().height() == height
                found[page] = problems(window)
                window.grab().save(str(tmp_path / f"layout-{name}-{page}.png"))
            window.show_page("movies")
            await asyncio.sleep(0.05)  # let Qt lay out and paint (see test_architecture)
            search = view.search
            assert search.isVisible() and search.width() >= SEARCH_MIN_WIDTH
            # the common actions sit in the bar itself, none hidden in its » overflow menu
            for control in (view.sort, view.grid_button, view.list_button, view.add_button):
                assert control.isVisible() and not control.visibleRegion().isEmpty(), control
            # the poster is not drawn over the title: in a short window the pane scrolls
            await until(lambda: detail.poster.isVisible(), what="the poster")
            poster_box, title_box = detail.poster.geometry(), detail.title.geometry()
            assert poster_box.bottom() < title_box.top(), (poster_box, title_box)
            # the detail pane takes a share of the page, not just its narrowest size
            page_width = reelbox.movies_page.width()
            assert detail.width() >= page_width // 5, (detail.width(), page_width)
            assert view.width() >= page_width // 2 or width < 1000, (view.width(), page_width)
            assert search.placeholderText() == "Search movies"
            shows_search = reelbox.shows_page.search
            window.show_page("shows")
            await asyncio.sleep(0.05)  # let Qt lay out and paint (see test_architecture)
            assert shows_search.width() >= SEARCH_MIN_WIDTH
            # the URL is whole where it is kept: tooltip when shortened, Copy URL copies all
            assert detail.url.text() == detail.url.toolTip() or "…" not in detail.url.shown_text()
            return found

        code, found = run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)
        assert code == 0
        assert found == {"movies": [], "shows": [], "torrents": []}
