"""Drops on the movie grid, the movie list and the show tree: real drag enter, move and drop
events proposing Copy, Move or Link are all accepted and performed as Copy, the item under
the cursor is highlighted while dragging and the highlight goes on leave and on drop."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication

from tests.ui.helpers import uri_list
from tests.ui.test_movies_view import make_page, movies
from tests.ui.test_shows_page import shows
from ui.library.drop_target import DropTarget
from ui.library.movies_model import ROW_ROLE, TITLE
from ui.library.posters import PosterProvider
from ui.library.shows_model import STATE
from ui.library.shows_page import ShowsPage
from ui.status_board import StatusBoard

MAGNET = "magnet:?xt=urn:btih:" + "ef" * 20
ALL = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction
# What the source proposes, as Qt derives it from the keyboard (QPlatformDrag::defaultAction).
PROPOSALS = {
    "copy": (ALL, Qt.KeyboardModifier.ControlModifier, Qt.DropAction.CopyAction),
    "move": (ALL, Qt.KeyboardModifier.ShiftModifier, Qt.DropAction.MoveAction),
    "link": (ALL, Qt.KeyboardModifier.AltModifier, Qt.DropAction.LinkAction),
}


def drag(view: QAbstractItemView, point: QPoint, mime: QMimeData, proposal: str, kind: str):
    """Send one real drag event of `kind` (enter, move, drop) to the view's viewport."""
    actions, mods, proposed = PROPOSALS[proposal]
    button = Qt.MouseButton.LeftButton
    if kind == "enter":
        event = QDragEnterEvent(point, actions, mime, button, mods)
    elif kind == "move":
        event = QDragMoveEvent(point, actions, mime, button, mods)
    else:
        event = QDropEvent(QPointF(point), actions, mime, button, mods)
    assert event.proposedAction() == proposed
    QApplication.sendEvent(view.viewport(), event)
    return event


def centre(view: QAbstractItemView, index) -> QPoint:
    view.scrollTo(index)
    return view.visualRect(index).center()


def target_of(view: QAbstractItemView) -> DropTarget:
    return view.findChild(DropTarget)


@pytest.mark.parametrize("proposal", list(PROPOSALS))
@pytest.mark.parametrize("layout", ["grid", "list"])
def test_movie_views_accept_every_proposal_and_highlight_the_row(qtbot, proposal, layout):
    page, model, _board, _posters = make_page(qtbot)
    page.set_rows(movies(30))
    view = page.view
    view.set_layout(layout)
    widget = view.current_view()
    dropped = []
    view.links_dropped.connect(lambda row, mime: dropped.append((row.title, mime.urls()[0])))
    heat = view.proxy.mapFromSource(model.index(model.row_of(31), TITLE))
    other = view.proxy.index(3, TITLE)
    mime = uri_list(MAGNET)
    target = target_of(widget)

    assert drag(widget, centre(widget, other), mime, proposal, "enter").isAccepted()
    assert target.target.row() == other.row() and target.highlight.isVisible()
    move = drag(widget, centre(widget, heat), mime, proposal, "move")
    assert move.isAccepted() and move.dropAction() == Qt.DropAction.CopyAction
    assert target.target.row() == heat.row() and target.highlight.isVisible()
    rect = widget.visualRect(heat)
    assert target.highlight.geometry().top() == rect.top()
    assert target.highlight.geometry().height() == rect.height()
    drop = drag(widget, centre(widget, heat), mime, proposal, "drop")
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    assert dropped == [("Heat", mime.urls()[0])]  # the assign flow starts for Heat
    assert not target.target.isValid() and not target.highlight.isVisible()


def test_leaving_clears_the_highlight_and_a_drop_between_items_does_nothing(qtbot):
    page, model, _board, _posters = make_page(qtbot)
    page.set_rows(movies(3))
    grid = page.view.grid
    dropped = []
    page.view.links_dropped.connect(lambda row, mime: dropped.append(row))
    mime = uri_list(MAGNET)
    target = target_of(grid)
    drag(grid, centre(grid, page.view.proxy.index(0, TITLE)), mime, "move", "enter")
    assert target.highlight.isVisible()
    QApplication.sendEvent(grid.viewport(), QDragLeaveEvent())
    assert not target.target.isValid() and not target.highlight.isVisible()
    empty = QPoint(grid.viewport().width() - 5, grid.viewport().height() - 5)
    assert not grid.indexAt(empty).isValid()
    assert drag(grid, empty, mime, "move", "enter").isAccepted()  # moves keep coming
    assert not drag(grid, empty, mime, "move", "move").isAccepted()
    assert not target.highlight.isVisible()
    assert not drag(grid, empty, mime, "move", "drop").isAccepted()
    assert dropped == []


@pytest.mark.parametrize("proposal", list(PROPOSALS))
def test_show_tree_accepts_every_proposal_on_show_season_and_episode(qtbot, proposal):
    page = ShowsPage(StatusBoard(), PosterProvider())
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    page.set_rows(shows())
    tree = page.tree
    dropped = []
    page.links_dropped.connect(lambda row, mime: dropped.append(row))
    dark = page.proxy.index(0, 0)
    tree.expand(dark)
    season = page.proxy.index(0, 0, dark)
    tree.expand(season)
    episode = page.proxy.index(1, STATE, season)  # "2. Lies", in its state column
    mime = uri_list(MAGNET)
    target = target_of(tree)
    for index in (dark, season, episode):
        point = centre(tree, index)
        assert drag(tree, point, mime, proposal, "enter").isAccepted()
        move = drag(tree, point, mime, proposal, "move")
        assert move.isAccepted() and move.dropAction() == Qt.DropAction.CopyAction
        assert target.target == index and target.highlight.isVisible()
        # the whole row lights up, whichever column is under the cursor
        assert target.highlight.geometry().left() == 0
        assert target.highlight.geometry().width() == tree.viewport().width()
        drop = drag(tree, point, mime, proposal, "drop")
        assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
        assert not target.highlight.isVisible()
    assert dropped == [
        dark.data(ROW_ROLE),
        season.data(ROW_ROLE),
        episode.siblingAtColumn(0).data(ROW_ROLE),
    ]


def test_resting_near_the_bottom_edge_scrolls_to_later_items(qtbot):
    page, _model, _board, _posters = make_page(qtbot)
    page.set_rows(movies(300))
    grid = page.view.grid
    bar = grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the grid lays its items out later
    assert bar.value() == 0
    edge = QPoint(grid.viewport().width() // 3, grid.viewport().height() - 2)
    target = target_of(grid)
    drag(grid, edge, uri_list(MAGNET), "move", "enter")
    first = target.target.row()
    qtbot.waitUntil(lambda: bar.value() > 0 and target.target.row() > first, timeout=10_000)
    QApplication.sendEvent(grid.viewport(), QDragLeaveEvent())
    assert not target._scroll.isActive() and not target.highlight.isVisible()
