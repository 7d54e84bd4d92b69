"""The "which item is this for?" chooser: the release name's item preselected (a movie, an
episode, a season pack, nothing), search without accents, the has-a-source marks, the
keyboard, a size that fits a small screen; and the question when the chosen item is not
what the release looks like."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click, message_boxes
from ui.dialogs.item_chooser import HAS_SOURCE, ItemChooserDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.library.snapshot import EpisodeRow, LibrarySnapshot, MovieRow, SeasonRow, ShowRow, Source

HASH = "ab" * 20


def magnet(name: str) -> str:
    return f"magnet:?xt=urn:btih:{HASH}&dn={name}"


def source(path: str) -> Source:
    return Source(1, HASH, 0, path, 1000, "720p", "BluRay", path)


def movie(id: int, title: str, year: int | None, with_source: bool = False) -> MovieRow:
    found = source(f"{title}.mkv") if with_source else None
    return MovieRow(id, title, title, year, None, None, "", found)


def show(id: int, title: str, year: int, seasons: int, episodes: int, sourced=()) -> ShowRow:
    rows = []
    for number in range(1, seasons + 1):
        episode_rows = tuple(
            EpisodeRow(
                id * 1000 + number * 100 + e,
                id,
                number,
                e,
                f"Episode {e}",
                source(f"S{number}E{e}.mkv") if (number, e) in sourced else None,
            )
            for e in range(1, episodes + 1)
        )
        rows.append(SeasonRow(id * 1000 + number, id, number, "", episode_rows))
    return ShowRow(id, title, title, year, None, None, "", tuple(rows))


HEAT = movie(1, "Heat", 1995, with_source=True)
HEAT_2013 = movie(2, "Heat", 2013)
LEON = movie(3, "Léon: The Professional", 1994)
RONIN = movie(4, "Ronin", 1998)
DARK = show(10, "Dark", 2017, seasons=3, episodes=4, sourced={(1, 1)})
LIBRARY = LibrarySnapshot((HEAT, HEAT_2013, LEON, RONIN), (DARK,))


def chooser(qtbot, link: str, snapshot: LibrarySnapshot = LIBRARY) -> ItemChooserDialog:
    dialog = ItemChooserDialog(snapshot, link)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def visible_labels(dialog: ItemChooserDialog, parent: QModelIndex | None = None) -> list[str]:
    """Every row the filter lets through, depth first, as 'Show / Season / Episode'."""
    parent = parent or QModelIndex()
    labels = []
    model = dialog.filter
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        labels.append(index.data())
        labels += [f"{index.data()} / {child}" for child in visible_labels(dialog, index)]
    return labels


def ok_button(dialog: ItemChooserDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_a_movie_release_preselects_its_movie_and_year(qtbot):
    assert chooser(qtbot, magnet("Heat.1995.1080p.BluRay.x264")).chosen() == HEAT
    assert chooser(qtbot, magnet("Heat.2013.720p.WEB")).chosen() == HEAT_2013
    # a .torrent file's name says as much as a magnet's dn=
    assert chooser(qtbot, "/tmp/Leon.The.Professional.1994.torrent").chosen() == LEON


def test_an_episode_release_preselects_the_episode_and_a_pack_its_season(qtbot):
    episode = chooser(qtbot, magnet("Dark.2017.S02E03.1080p.WEB"))
    assert episode.chosen() == DARK.seasons[1].episodes[2]
    # the tree opened down to it
    assert episode.tree.isExpanded(episode.tree.currentIndex().parent())
    assert chooser(qtbot, magnet("Dark.S03.720p.WEB-DL")).chosen() == DARK.seasons[2]
    assert chooser(qtbot, magnet("Dark.Complete.Series.1080p")).chosen() == DARK


def test_a_name_that_matches_nothing_preselects_nothing(qtbot):
    for link in (magnet("ubuntu-24.04-desktop-amd64.iso"), f"magnet:?xt=urn:btih:{HASH}"):
        dialog = chooser(qtbot, link)
        assert dialog.chosen() is None
        assert not ok_button(dialog).isEnabled()
        dialog.accept()  # Enter with nothing chosen does not close the question
        assert dialog.isVisible()


def test_search_ignores_accents_and_case_and_enter_chooses(qtbot):
    dialog = chooser(qtbot, magnet("Ronin.1998.1080p"))
    assert dialog.focusWidget() is dialog.search  # typing goes to the search field
    qtbot.keyClicks(dialog.search, "LEON")
    assert visible_labels(dialog) == ["Léon: The Professional (1994)"]
    assert dialog.chosen() == LEON  # Ronin was filtered out: the match took its place
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.chosen() == LEON


def test_search_reaches_episodes_through_their_show_and_arrows_move(qtbot):
    dialog = chooser(qtbot, magnet("nothing.here"))
    qtbot.keyClicks(dialog.search, "dark s02")
    assert visible_labels(dialog) == [
        "Dark (2017)",
        "Dark (2017) / Season 2",
        *[f"Dark (2017) / Season 2 / S02E0{e} · Episode {e}" for e in range(1, 5)],
    ]
    # "Season 2" is there for its episodes; the first row that matches itself is chosen
    assert dialog.chosen() == DARK.seasons[1].episodes[0]
    qtbot.keyClick(dialog.search, Qt.Key.Key_Down)  # arrows work from the search field
    qtbot.keyClick(dialog.search, Qt.Key.Key_Down)
    assert dialog.chosen() == DARK.seasons[1].episodes[2]
    qtbot.keyClick(dialog.search, Qt.Key.Key_Up)
    assert dialog.chosen() == DARK.seasons[1].episodes[1]
    dialog.search.clear()
    assert len(visible_labels(dialog)) == 5 + 3 + 3 * 4  # all back
    assert dialog.chosen() == DARK.seasons[1].episodes[1]  # the choice survived the filter
    season = dialog.tree.currentIndex().parent()
    assert dialog.tree.isExpanded(season)  # folded again, but for the way to the choice
    assert not dialog.tree.isExpanded(season.siblingAtRow(0))


def test_items_that_have_a_source_are_marked(qtbot):
    dialog = chooser(qtbot, magnet("Heat.1995"))
    model = dialog.model
    marks = {}
    for row in range(model.rowCount()):
        marks[model.index(row, 0).data()] = model.index(row, 2).data()
    assert marks == {
        "Dark (2017)": "1 of 12 have a source",
        "Heat (1995)": HAS_SOURCE,
        "Heat (2013)": "",
        "Léon: The Professional (1994)": "",
        "Ronin (1998)": "",
    }
    dark = model.index(0, 0)
    season_one, season_two = model.index(0, 2, dark), model.index(1, 2, dark)
    assert (season_one.data(), season_two.data()) == ("1 of 4 have a source", "")
    first_episode = model.index(0, 0, model.index(0, 0, dark))
    assert first_episode.siblingAtColumn(2).data() == HAS_SOURCE
    assert first_episode.siblingAtColumn(2).data(Qt.ItemDataRole.ToolTipRole) == "S1E1.mkv"
    assert model.index(1, 2, model.index(0, 0, dark)).data() == ""


def test_the_dialog_fits_its_screen_and_scrolls_inside(qtbot):
    many = tuple(movie(100 + n, f"Movie number {n}", 1950 + n, n % 2 == 0) for n in range(200))
    name = "A.Very.Long.Release.Name.That.Goes.On.And.On." * 6 + "2160p"
    dialog = chooser(qtbot, magnet(name), LibrarySnapshot(many, (DARK,)))
    available = dialog.screen().availableGeometry()
    assert dialog.width() <= available.width() and dialog.height() <= available.height()

    small = QRect(0, 0, 480, 320)  # a small screen
    dialog.fit_to(small)
    qtbot.waitUntil(lambda: dialog.height() <= small.height())
    assert dialog.width() <= small.width()
    assert dialog.maximumHeight() <= small.height()
    assert dialog.tree.verticalScrollBar().maximum() > 0  # the list scrolls instead
    # the long release name wraps instead of widening the dialog
    assert dialog.minimumSizeHint().width() <= small.width()


def question_box(window) -> QMessageBox | None:
    return next(
        (box for box in message_boxes(window) if box.windowTitle() == "Assign anyway?"), None
    )


def test_a_release_chosen_for_another_item_asks_once_and_cancel_changes_nothing(
    qapp, make_core, tmp_path
):
    """The real app: a link handed over, Ronin chosen for Heat's release: the question
    comes once; Cancel saves nothing and drops the torrent, Assign goes on to the file."""
    files = {"Heat.1995.720p/Heat.1995.720p.mkv": 1 * MiB}
    with Seeder(tmp_path / "seed", files, piece_length=256 * KiB) as seeder:

        async def pick_ronin(reelbox) -> None:
            reelbox.receive_links([seeder.magnet])
            chooser = await until(
                lambda: (
                    isinstance(reelbox.actions.dialog, ItemChooserDialog) and reelbox.actions.dialog
                ),
                what="the chooser",
            )
            assert chooser.chosen().title == "Heat"  # preselected from the magnet's dn=
            QTest.keyClicks(chooser.search, "ronin")
            QTest.keyClick(chooser.search, Qt.Key.Key_Return)

        async def scenario(reelbox):
            library = reelbox.core.library
            await asyncio.to_thread(library.add_movie, "Heat", 1995)
            ronin = await asyncio.to_thread(library.add_movie, "Ronin", 1998)
            await until(lambda: len(reelbox.snapshot.movies) == 2, what="the library")

            await pick_ronin(reelbox)
            box = await until(lambda: question_box(reelbox.window), 20, "the question")
            text = box.text()
            box.button(QMessageBox.StandardButton.Cancel).click()
            await until(lambda: reelbox.actions.flow is None, what="the flow to end")
            assert library.active_assignment("movie", ronin.id) is None
            await until(lambda: reelbox.core.torrents.get(seeder.info_hash) is None, what="discard")

            await pick_ronin(reelbox)
            box = await until(lambda: question_box(reelbox.window), 20, "the question again")
            next(b for b in box.buttons() if b.text() == "Assign").click()
            files = await until(
                lambda: (
                    reelbox.actions.flow is not None
                    and isinstance(reelbox.actions.flow.dialog, MovieFileDialog)
                    and reelbox.actions.flow.dialog
                ),
                20,
                "the file choice",
            )
            assert question_box(reelbox.window) is None  # asked once
            click(files.buttons, QDialogButtonBox.StandardButton.Ok)
            assignment = await until(lambda: library.active_assignment("movie", ronin.id))
            assert assignment.info_hash == seeder.info_hash
            return text

        code, text = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert text == "This looks like Heat (1995), assign it to Ronin (1998) anyway?"
