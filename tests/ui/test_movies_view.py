"""The movies page on its own: 5,000 movies in a grid and a list, search as you type, sort,
state updates in place, posters loaded in the background with a placeholder first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import qasync
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage

from app.metadata.posters import PosterCache
from app.torrents.status import TorrentStatus
from tests.ui.conftest import until
from ui.item_state import COLORS, NOT_ASSIGNED
from ui.library.movies_model import POSTER_ROLE, STATE, TITLE, MoviesModel
from ui.library.movies_page import MoviesPage
from ui.library.posters import PosterProvider
from ui.library.snapshot import MovieRow, Source
from ui.status_board import StatusBoard

HASH = "ab" * 20


def status(**changes) -> TorrentStatus:
    values = dict(
        info_hash=HASH,
        name="Heat.1995.1080p",
        total_size=1000,
        progress=0.25,
        state="downloading",
        paused=False,
        download_rate=500_000,
        upload_rate=0,
        peers=1,
        seeds=1,
        pieces_done=1,
        num_pieces=4,
        error=None,
        stalled=False,
        keep_full_copy=False,
        active_readers=0,
        last_streamed=None,
        health=(),
        pieces=bytes([1, 2, 0, 0]),
    )
    values.update(changes)
    return TorrentStatus(**values)


def movies(count: int) -> list[MovieRow]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        MovieRow(
            n + 1,
            f"Movie {n:05d}",
            f"Movie {n:05d}",
            1950 + n % 70,
            start + timedelta(minutes=n),
            None,
            "",
        )
        for n in range(count)
    ]
    source = Source(
        1, HASH, 0, "Heat.mkv", 1000, "1080p", "BluRay", "Movies/Heat (1995)/Heat (1995).mkv"
    )
    rows.append(
        MovieRow(
            count + 1, "Heat", "Heat", 1995, start - timedelta(days=1), "/heat.jpg", "", source
        )
    )
    rows.append(
        MovieRow(count + 2, "The Matrix", "Matrix", 1999, start + timedelta(days=99), None, "")
    )
    return rows


def make_page(qtbot):
    board = StatusBoard()
    posters = PosterProvider()
    model = MoviesModel(board, posters)
    page = MoviesPage(model, board)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    return page, model, board, posters


def test_five_thousand_movies_search_sort_and_layout_toggle(qtbot):
    page, model, _board, _posters = make_page(qtbot)
    view = page.view
    # how long this takes, and how smoothly the grid scrolls, is measured by
    # bench/movies_view.py: a unit test checks what is shown, not how fast
    page.set_rows(movies(5000))
    assert view.proxy.rowCount() == 5002
    # Search as you type: every keystroke filters.
    qtbot.keyClicks(view.search, "matr")
    assert [view.proxy.index(r, TITLE).data() for r in range(view.proxy.rowCount())] == [
        "The Matrix"
    ]
    view.search.clear()
    qtbot.keyClicks(view.search, "heat 1995")
    assert view.proxy.rowCount() == 1
    view.search.clear()
    # Title sort uses the sort title: "The Matrix" under M, before "Movie ...".
    titles = [view.proxy.index(r, TITLE).data() for r in range(view.proxy.rowCount())]
    assert titles[:3] == ["Heat", "The Matrix", "Movie 00000"]
    view.sort.setCurrentText("Recently added")
    assert view.proxy.index(0, TITLE).data() == "The Matrix"
    view.sort.setCurrentText("Year")
    newest = [view.proxy.index(r, TITLE).data() for r in range(3)]
    assert newest == ["Movie 00069", "Movie 00139", "Movie 00209"]  # 2019, then A to Z
    # Select in the grid, switch to the list: the same movie stays selected.
    assert view.select_movie(5001)
    qtbot.mouseClick(view.list_button, Qt.MouseButton.LeftButton)
    assert view.layout_name == "list" and view.stack.currentWidget() is view.table
    assert view.selected().title == "Heat"
    assert page.detail.title.text() == "Heat (1995)"
    assert page.detail.path.text() == "Movies/Heat (1995)/Heat (1995).mkv"
    qtbot.mouseClick(view.grid_button, Qt.MouseButton.LeftButton)
    assert view.layout_name == "grid" and view.selected().title == "Heat"
    view.sort.setCurrentText("Title")
    assert view.selected().title == "Heat"  # a new order keeps the selection


def test_state_updates_repaint_in_place_without_reset(qtbot):
    page, model, board, _posters = make_page(qtbot)
    page.set_rows(movies(10))
    view = page.view
    view.select_movie(11)
    row = view.selected()
    assert model.state(row).text == "ready"  # assigned, no live status yet
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    board.statuses = {HASH: status()}
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as changed:
        board.updated.emit()
    assert changed.args[0].row() == 0 and changed.args[1].column() == STATE
    # bytes arrive and nobody reads: background work, in a neutral colour, not a warning
    assert model.state(row).text == "fetching ahead 25 %"
    assert "fetching ahead 25 %" in page.detail.state.text()
    assert model.state(row).color == COLORS[NOT_ASSIGNED]
    board.statuses = {HASH: status(keep_full_copy=True)}
    board.updated.emit()
    assert model.state(row).text == "downloading a full copy 25 %"
    board.statuses = {HASH: status(active_readers=2, streaming_files=frozenset({5}))}
    board.updated.emit()
    assert model.state(row).text == "ready"  # another file of the torrent plays
    playing = frozenset({row.source.file_index})
    board.statuses = {HASH: status(active_readers=2, streaming_files=playing)}
    board.updated.emit()
    assert model.state(row).text == "streaming"
    board.statuses = {HASH: status(error="disk full")}
    board.updated.emit()
    assert model.state(row).kind == "error" and "disk full" in model.state(row).text
    other = next(r for r in model.rows if r.source is None)
    assert model.state(other).text == "not assigned"
    assert not resets and view.selected().id == 11


def test_posters_load_in_the_background_after_a_placeholder(qapp, qtbot, tmp_path):
    page, model, _board, posters = make_page(qtbot)
    cache = PosterCache(tmp_path / "posters", None)
    image = QImage(QSize(200, 300), QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    target = cache.path_for("/heat.jpg")
    target.parent.mkdir(parents=True)
    assert image.save(str(target))
    posters.set_cache(cache)
    page.set_rows(movies(3))
    index = model.index(model.row_of(4), TITLE)

    page.view.select_movie(4)
    assert page.detail.poster.isHidden()  # nothing to show until the poster is loaded

    async def load():
        ready = []
        posters.poster_ready.connect(ready.append)
        assert index.data(POSTER_ROLE) is None  # the placeholder paints first
        await until(lambda: ready == ["/heat.jpg"], what="poster_ready")
        await until(lambda: index.data(POSTER_ROLE) is not None, what="the poster")
        return index.data(POSTER_ROLE)

    async def main():
        return await load()

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        pixmap = runner.run(main())
    assert pixmap.width() == 120 and pixmap.height() == 180
    assert not page.detail.poster.isHidden()  # the detail pane shows it too
    # A movie whose poster cannot be had stays a placeholder and is not retried.
    assert posters.pixmap(None) is None


def test_a_reload_that_changes_nothing_keeps_the_model(qtbot):
    # Every reload reset the model, even with the same rows: the selection, the scroll and
    # any index a caller held were lost (a test's drop used a freed index and crashed).
    page, model, _board, _posters = make_page(qtbot)
    rows = movies(10)
    page.set_rows(rows)
    page.view.select_movie(11)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    page.set_rows(list(rows))
    assert not resets and page.view.selected().id == 11
    changed = [*rows[1:], rows[0]]  # another order: a reset, the selection kept
    page.set_rows(changed)
    assert resets == [1]
    assert page.view.selected().id == 11
