"""Adding movies and shows: by hand without a TMDB key, from TMDB search results (TMDB
behind httpx.MockTransport with answers shaped like the real ones), and duplicates."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout

from app.metadata.tmdb import TmdbClient
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click, close_message_boxes, message_text
from ui.dialogs.add_dialog import AddDialog

OK = QDialogButtonBox.StandardButton.Ok


def jpeg(color: QColor) -> bytes:
    image = QImage(QSize(92, 138), QImage.Format.Format_RGB32)
    image.fill(color)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "JPEG")
    return bytes(data.data())


async def open_add(reelbox, button):
    button.click()
    return await until(
        lambda: isinstance(reelbox.actions.dialog, AddDialog) and reelbox.actions.dialog,
        what="the Add dialog",
    )


def test_manual_movie_and_show_and_duplicates_without_tmdb(qapp, qtbot, make_core):
    async def scenario(reelbox):
        library = reelbox.core.library
        view = reelbox.movies_page.view
        dialog = await open_add(reelbox, view.add_button)
        assert "No TMDB key" in dialog.info.text() and not dialog.results.isVisible()
        qtbot.keyClicks(dialog.title, "Heat")
        qtbot.keyClicks(dialog.year, "19x5")
        assert not dialog.add_button.isEnabled()
        assert "four digits" in dialog.error.text()
        dialog.year.clear()
        qtbot.keyClicks(dialog.year, "1995")
        click(dialog.buttons, OK)
        await until(lambda: view.selected() is not None and view.selected().title == "Heat")
        assert [(m.title, m.year) for m in library.list_movies()] == [("Heat", 1995)]

        # The same movie again: the app says so and selects the one that is there.
        view.grid.clearSelection()
        dialog = await open_add(reelbox, view.add_button)
        qtbot.keyClicks(dialog.title, "heat")
        qtbot.keyClicks(dialog.year, "1995")
        click(dialog.buttons, OK)
        text = await until(lambda: message_text(reelbox.window), what="the duplicate message")
        assert "already in the library" in text
        assert len(library.list_movies()) == 1
        assert view.selected().title == "Heat"
        close_message_boxes(reelbox.window)

        # A show by hand: title, year and the episodes of each season.
        dialog = await open_add(reelbox, reelbox.shows_page.add_button)
        form = dialog.findChild(QFormLayout)
        assert form.labelForField(dialog.seasons).text() == "Episodes per season"
        qtbot.keyClicks(dialog.title, "Dark")
        qtbot.keyClicks(dialog.year, "2017")
        dialog.seasons.clear()
        qtbot.keyClicks(dialog.seasons, "10, eight")
        assert not dialog.add_button.isEnabled() and "Season 2" in dialog.error.text()
        dialog.seasons.clear()
        qtbot.keyClicks(dialog.seasons, "10, 8")
        click(dialog.buttons, OK)
        page = reelbox.shows_page
        await until(lambda: page.selected() is not None and page.selected().title == "Dark")
        show = library.list_shows()[0]
        counts = [len(library.episodes(s.id)) for s in library.seasons(show.id)]
        assert counts == [10, 8]
        assert reelbox.window.current_page == "shows"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_tmdb_search_as_you_type_adds_the_chosen_result(qapp, qtbot, make_core):
    fake = FakeTmdb()
    fake.images["/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"] = jpeg(QColor("#225588"))

    async def scenario(reelbox):
        core = reelbox.core
        core.tmdb = TmdbClient(API_KEY, transport=fake.transport())
        core.posters.client = core.tmdb
        dialog = await open_add(reelbox, reelbox.movies_page.view.add_button)
        assert dialog.results.isVisible()
        qtbot.keyClicks(dialog.title, "matrix")
        await until(lambda: dialog.results.count() == 4, what="search results")
        labels = [dialog.results.item(n).text() for n in range(dialog.results.count())]
        assert labels[:3] == [
            "The Matrix (1999)",
            "The Matrix Reloaded (2003)",
            "The Animatrix (2003)",
        ]
        assert labels[3] == "Matrix Untitled"  # no release date, no year
        # Typing fast sends one search, not one per keystroke.
        assert fake.hits("/3/search/movie") == 1
        first = dialog.results.item(0)
        await until(lambda: not first.icon().isNull(), what="the result's poster")
        dialog.results.setCurrentItem(first)
        click(dialog.buttons, OK)
        movie = await until(lambda: core.library.list_movies() and core.library.list_movies()[0])
        assert (movie.title, movie.year, movie.tmdb_id) == ("The Matrix", 1999, 603)
        assert movie.imdb_id == "tt0133093"
        assert movie.poster_path == "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"

        dialog = await open_add(reelbox, reelbox.shows_page.add_button)
        qtbot.keyClicks(dialog.title, "breaking")
        await until(lambda: dialog.results.count() > 0, what="show results")
        dialog.results.setCurrentRow(0)
        assert dialog.results.currentItem().text() == "Breaking Bad (2008)"
        qtbot.keyClick(dialog.results, Qt.Key.Key_Return)  # Enter adds the selected result
        show = await until(lambda: core.library.list_shows() and core.library.list_shows()[0])
        seasons = {s.number: core.library.episodes(s.id) for s in core.library.seasons(show.id)}
        assert sorted(seasons) == [0, 1, 2, 3, 4, 5]
        assert seasons[1][0].title == "Pilot"  # from the season's TMDB answer
        assert len(seasons[2]) == 13 and seasons[2][0].title == ""  # count only, filled by sync
        await core.tmdb.aclose()

    assert run_app(qapp, make_core(), scenario)[0] == 0
