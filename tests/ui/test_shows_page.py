"""The TV Shows page on its own: the tree of shows, seasons and episodes, search, and states
that add up from episodes to seasons and shows, updated in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex

from tests.ui.test_movies_view import HASH, status
from ui.library.movies_model import ROW_ROLE
from ui.library.posters import PosterProvider
from ui.library.shows_page import ShowsPage
from ui.library.snapshot import EpisodeRow, SeasonRow, ShowRow, Source
from ui.status_board import StatusBoard

SOURCE = Source(
    7,
    HASH,
    1,
    "Dark.S01E02.mkv",
    10,
    "720p",
    "WEB-DL",
    "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02 - Lies.mkv",
)


def shows() -> list[ShowRow]:
    episodes = (
        EpisodeRow(1, 1, 1, 1, "Secrets", replace(SOURCE, assignment_id=6, file_index=0)),
        EpisodeRow(2, 1, 1, 2, "Lies", SOURCE),
        EpisodeRow(3, 1, 1, 3, ""),
    )
    dark = ShowRow(
        1, "Dark", "Dark", 2017, datetime.now(UTC), None, "", (SeasonRow(1, 1, 1, "", episodes),)
    )
    office = ShowRow(
        2,
        "The Office",
        "Office",
        2005,
        datetime.now(UTC),
        None,
        "",
        (SeasonRow(2, 2, 1, "", (EpisodeRow(4, 2, 1, 1, "Pilot"),)),),
    )
    return [dark, office]


def texts(page, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [page.proxy.index(n, 0, parent).data() for n in range(page.proxy.rowCount(parent))]


def test_tree_search_and_states(qtbot):
    board = StatusBoard()
    page = ShowsPage(board, PosterProvider())
    qtbot.addWidget(page)
    page.show()
    page.set_rows(shows())
    assert texts(page) == ["Dark (2017)", "The Office (2005)"]
    dark = page.proxy.index(0, 0)
    season = page.proxy.index(0, 0, dark)
    assert texts(page, season) == ["1. Secrets", "2. Lies", "3. Episode 3"]
    assert page.proxy.index(0, 1).data() == "2 of 3 ready"
    assert page.proxy.index(1, 1, season).data() == "ready"
    assert page.proxy.index(2, 1, season).data() == "not assigned"
    assert page.proxy.index(1, 1).data() == "not assigned"
    # Live status of the episode's torrent bubbles up to its season and show.
    # A season pack: only the episode being played streams.
    board.statuses = {HASH: status(active_readers=1, streaming_files=frozenset({1}))}
    board.updated.emit()
    assert page.proxy.index(1, 1, season).data() == "streaming"
    assert page.proxy.index(0, 1, season).data() == "ready"  # not the one downloading
    assert page.proxy.index(0, 1).data() == "streaming"
    # Selecting an episode fills the detail pane; a rebuild keeps selection and expansion.
    page.tree.expand(dark)
    page.tree.expand(season)
    assert page.select(("EpisodeRow", 2))
    assert page.detail.title.text() == "S01E02 · Lies"
    assert page.detail.path.text() == SOURCE.share_path
    page.set_rows(shows())
    assert page.selected().id == 2 and isinstance(page.selected(), EpisodeRow)
    assert page.tree.isExpanded(page.proxy.index(0, 0))
    # Search reaches into seasons and episodes.
    qtbot.keyClicks(page.search, "pilot")
    assert texts(page) == ["The Office (2005)"]
    office = page.proxy.index(0, 0)
    assert texts(page, page.proxy.index(0, 0, office)) == ["1. Pilot"]
    assert page.proxy.index(0, 0).data(ROW_ROLE).title == "The Office"
