"""Desktop conventions in the library pages on their own: search and sort that ignore case
and accents, clickable headers, Esc in a search field, the empty states, and which actions
an item's right-click menu has. The same on the real window (shortcuts, the menu's actions
doing their work) is in test_conventions_app.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt

from tests.ui.test_movies_view import make_page
from tests.ui.test_shows_page import SOURCE, shows
from ui.library.context_menu import build_menu, item_actions
from ui.library.folding import fold, title_key
from ui.library.movies_model import ADDED, TITLE, YEAR
from ui.library.posters import PosterProvider
from ui.library.shows_model import YEAR as SHOW_YEAR
from ui.library.shows_page import ShowsPage
from ui.library.snapshot import EpisodeRow, MovieRow, SeasonRow, ShowRow
from ui.status_board import StatusBoard

START = datetime(2024, 1, 1, tzinfo=UTC)


def movie(number: int, title: str, sort_title: str, year: int, source=None) -> MovieRow:
    return MovieRow(
        number, title, sort_title, year, START + timedelta(days=number), None, "", source
    )


MOVIES = [
    movie(1, "Zorro", "Zorro", 1998),
    movie(2, "Léon", "Léon", 1994),
    movie(3, "Æon Flux", "Æon Flux", 2005),
    movie(4, "The Abyss", "Abyss", 1989),
    movie(5, "Amélie", "Amélie", 2001),
]


def titles(view) -> list[str]:
    return [view.proxy.index(r, TITLE).data() for r in range(view.proxy.rowCount())]


def click_header(qtbot, header, section: int) -> None:
    point = header.rect().center()
    point.setX(header.sectionViewportPosition(section) + header.sectionSize(section) // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_folding_spells_out_letters_without_accents():
    assert fold("Léon") == fold("LEON") == "leon"
    assert fold("Æon Flux") == "aeon flux" and fold("Œuvre") == "oeuvre"
    assert fold("Straße") == "strasse"
    assert title_key(MOVIES[2]) < title_key(MOVIES[4]) < title_key(MOVIES[0])


def test_movie_search_and_sort_ignore_accents_and_case(qtbot):
    page, *_ = make_page(qtbot)
    view = page.view
    page.set_rows(MOVIES)
    # "The" is left out of the title order, as the library's sort title does; Æ reads "Ae"
    assert titles(view) == ["The Abyss", "Æon Flux", "Amélie", "Léon", "Zorro"]
    qtbot.keyClicks(view.search, "leon")
    assert titles(view) == ["Léon"]
    view.search.clear()
    qtbot.keyClicks(view.search, "AMELIE 2001")
    assert titles(view) == ["Amélie"]
    qtbot.keyClicks(view.search, "\b\b\b\b\b\b\b\b\b\b\baeon")
    assert titles(view) == ["Æon Flux"]


def test_list_headers_sort_like_the_sort_box(qtbot):
    page, *_ = make_page(qtbot)
    view = page.view
    page.set_rows(MOVIES)
    view.set_layout("list")
    header = view.table.horizontalHeader()
    view.select_movie(2)
    click_header(qtbot, header, YEAR)  # first click: newest first
    assert titles(view) == ["Æon Flux", "Amélie", "Zorro", "Léon", "The Abyss"]
    assert view.sort.currentText() == "Year"
    assert header.sortIndicatorSection() == YEAR
    assert view.selected().title == "Léon"  # a new order keeps the selection
    click_header(qtbot, header, YEAR)  # again: oldest first
    assert titles(view) == ["The Abyss", "Léon", "Zorro", "Amélie", "Æon Flux"]
    click_header(qtbot, header, ADDED)
    assert titles(view)[0] == "Amélie" and view.sort.currentText() == "Recently added"
    click_header(qtbot, header, 2)  # Source has no order: nothing moves
    assert titles(view)[0] == "Amélie" and header.sortIndicatorSection() == ADDED
    view.sort.setCurrentText("Title")  # the box moves the header's arrow too
    assert header.sortIndicatorSection() == TITLE
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert titles(view)[:2] == ["The Abyss", "Æon Flux"]


def show_texts(page, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [page.proxy.index(n, 0, parent).data() for n in range(page.proxy.rowCount(parent))]


def shows_page(qtbot) -> ShowsPage:
    page = ShowsPage(StatusBoard(), PosterProvider())
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    return page


def test_shows_search_ignores_accents_and_headers_sort_shows_only(qtbot):
    page = shows_page(qtbot)
    elite = ShowRow(3, "Élite", "Élite", 2018, START, None, "", (SeasonRow(3, 3, 1, "", ()),))
    page.set_rows([*shows(), elite])
    assert show_texts(page) == ["Dark (2017)", "Élite (2018)", "The Office (2005)"]
    qtbot.keyClicks(page.search, "ELITE")
    assert show_texts(page) == ["Élite (2018)"]
    page.search.clear()
    qtbot.keyClicks(page.search, "secrets")  # an episode's title: its show and season stay
    dark = page.proxy.index(0, 0)
    assert show_texts(page) == ["Dark (2017)"]
    assert show_texts(page, page.proxy.index(0, 0, dark)) == ["1. Secrets"]
    page.search.clear()
    header = page.tree.header()
    click_header(qtbot, header, SHOW_YEAR)  # newest first
    assert show_texts(page) == ["Élite (2018)", "Dark (2017)", "The Office (2005)"]
    dark = page.proxy.index(1, 0)
    season = page.proxy.index(0, 0, dark)
    # seasons and episodes keep their numbers' order whichever way the shows go
    assert show_texts(page, season) == ["1. Secrets", "2. Lies", "3. Episode 3"]
    click_header(qtbot, header, SHOW_YEAR)
    assert show_texts(page) == ["The Office (2005)", "Dark (2017)", "Élite (2018)"]
    season = page.proxy.index(0, 0, page.proxy.index(1, 0))
    assert show_texts(page, season) == ["1. Secrets", "2. Lies", "3. Episode 3"]


def test_esc_in_a_search_field_clears_it(qtbot):
    page, *_ = make_page(qtbot)
    page.set_rows(MOVIES)
    shows = shows_page(qtbot)
    for search in (page.view.search, shows.search):
        search.window().activateWindow()
        search.setFocus()
        qtbot.waitUntil(search.hasFocus)
        qtbot.keyClicks(search, "zor")
        qtbot.keyClick(search, Qt.Key.Key_Escape)
        assert search.text() == ""
    assert len(titles(page.view)) == len(MOVIES)


def test_empty_states_say_what_to_do_and_their_buttons_work(qtbot):
    page, *_ = make_page(qtbot)
    view = page.view
    page.set_rows([])
    assert view.body.currentWidget() is view.empty  # first start: how to begin
    assert view.empty.title.text() == "No movies yet"
    assert "drop a magnet link" in view.empty.text.text()
    assert view.empty.add_button.isVisible() and not view.empty.clear_button.isVisible()
    with qtbot.waitSignal(view.add_requested, timeout=1000):
        qtbot.mouseClick(view.empty.add_button, Qt.MouseButton.LeftButton)
    page.set_rows(MOVIES)
    assert view.body.currentWidget() is view.stack
    qtbot.keyClicks(view.search, "<b>xyz")
    assert view.body.currentWidget() is view.empty
    assert view.empty.title.text() == "No movies match '<b>xyz'"  # as typed, not as markup
    assert view.empty.title.textFormat() == Qt.TextFormat.PlainText
    assert view.empty.clear_button.isVisible() and not view.empty.add_button.isVisible()
    qtbot.mouseClick(view.empty.clear_button, Qt.MouseButton.LeftButton)
    assert view.search.text() == "" and view.body.currentWidget() is view.stack
    assert len(titles(view)) == len(MOVIES)

    shows_view = shows_page(qtbot)
    assert shows_view.body.currentWidget() is shows_view.empty
    assert shows_view.empty.title.text() == "No shows yet"
    with qtbot.waitSignal(shows_view.add_requested, timeout=1000):
        qtbot.mouseClick(shows_view.empty.add_button, Qt.MouseButton.LeftButton)
    shows_view.set_rows(shows())
    qtbot.keyClicks(shows_view.search, "xyz")
    assert shows_view.empty.title.text() == "No shows match 'xyz'"
    qtbot.mouseClick(shows_view.empty.clear_button, Qt.MouseButton.LeftButton)
    assert shows_view.body.currentWidget() is shows_view.tree
    assert show_texts(shows_view) == ["Dark (2017)", "The Office (2005)"]


def menu_entries(row, share_base: str) -> list[tuple[str, bool]]:
    pane = _pane(share_base)
    menu = build_menu(row, pane)
    return [(entry.text(), entry.isEnabled()) for entry in menu.actions() if entry.text()]


def _pane(share_base: str):
    from ui.library.detail_pane import DetailPane

    pane = DetailPane(StatusBoard(), PosterProvider())
    pane.share_base = share_base
    return pane


def test_each_kind_of_item_has_its_actions_enabled_when_they_apply(qtbot):
    bare = MOVIES[0]
    sourced = movie(9, "Heat", "Heat", 1995, SOURCE)
    share = "http://127.0.0.1:8484/"
    assert menu_entries(bare, share) == [
        ("Play", False),
        ("Copy URL", False),
        ("Assign source…", True),
        ("Remove source", False),
        ("Delete…", True),
    ]
    assert menu_entries(sourced, share) == [
        ("Play", True),
        ("Copy URL", True),
        ("Replace source…", True),
        ("Remove source", True),
        ("Delete…", True),
    ]
    # the share off: nothing to play from, the source can still go
    assert [enabled for _text, enabled in menu_entries(sourced, "")] == [
        False,
        False,
        True,
        True,
        True,
    ]
    dark = shows()[0]
    season = dark.seasons[0]
    episode = EpisodeRow(2, 1, 1, 2, "Lies", SOURCE)
    assert menu_entries(dark, share) == [("Assign source…", True), ("Delete…", True)]
    assert menu_entries(season, share) == [("Assign source…", True)]
    assert menu_entries(episode, share) == [
        ("Play", True),
        ("Copy URL", True),
        ("Replace source…", True),
        ("Remove source", True),
    ]
    assert item_actions(None, share) == []


def test_the_detail_pane_buttons_follow_the_same_rule(qtbot):
    pane = _pane("http://127.0.0.1:8484/")
    qtbot.addWidget(pane)
    pane.show()
    pane.show_row(shows()[0].seasons[0])
    shown = {name for name, button in pane.buttons.items() if button.isVisible()}
    assert shown == {"assign"}
    pane.show_row(movie(9, "Heat", "Heat", 1995, SOURCE))
    assert all(button.isVisible() and button.isEnabled() for button in pane.buttons.values())
    pane.show_row(MOVIES[0])
    enabled = {name for name, button in pane.buttons.items() if button.isEnabled()}
    assert enabled == {"assign", "delete"}
    pane.show_row(None)  # nothing selected: a title, no empty fields under it
    assert pane.title.text() == "Nothing selected"
    assert not pane.state.isVisible()
    assert not any(button.isVisible() for button in pane.buttons.values())
    pane.show_row(MOVIES[0])
    assert pane.state.isVisible()
