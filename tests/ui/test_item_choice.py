"""Assign… for a watched folder's unmatched file uses the item chooser: the item the file
name carries is preselected (a movie, an episode by SxxEyy or 1x01), nothing when the name
fits nothing, and a video file (one movie or one episode) cannot be given to a whole show
or season, which a .torrent can."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from ui.dialogs.item_chooser import ItemChooserDialog
from ui.library.snapshot import EpisodeRow, LibrarySnapshot, MovieRow, SeasonRow, ShowRow

HEAT = MovieRow(1, "Heat", "Heat", 1995, None, None, "")
UP = MovieRow(2, "Up", "Up", 2009, None, None, "")
EPISODES = tuple(EpisodeRow(10 + n, 5, 1, n, f"Part {n}") for n in (1, 2))
SEASON = SeasonRow(7, 5, 1, "", EPISODES)
DARK = ShowRow(5, "Dark", "Dark", 2017, None, None, "", (SEASON,))
LIBRARY = LibrarySnapshot((HEAT, UP), (DARK,))


def file_chooser(qtbot, path: str, whole_shows: bool = False) -> ItemChooserDialog:
    dialog = ItemChooserDialog(LIBRARY, path, whole_shows=whole_shows)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def assign_enabled(dialog: ItemChooserDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_the_file_name_preselects_its_movie_or_episode(qtbot):
    assert file_chooser(qtbot, "/films/Up.2009.1080p.BluRay.mkv").chosen() == UP
    assert file_chooser(qtbot, "/tv/Dark.S01E02.720p.WEB-DL.mkv").chosen() == EPISODES[1]
    assert file_chooser(qtbot, "/tv/dark 1x01.mkv").chosen() == EPISODES[0]
    nothing = file_chooser(qtbot, "/home/holiday.mp4")
    assert nothing.chosen() is None and not assign_enabled(nothing)


def test_a_video_is_never_given_to_a_whole_show_or_season(qtbot):
    dialog = file_chooser(qtbot, "/tv/Dark.S01.mkv")  # a season's name on one video file
    assert dialog.tree.currentIndex().data() == "Season 1"  # shown, where the name points
    assert dialog.chosen() is None and not assign_enabled(dialog)
    dialog.accept()  # Enter does not assign it either
    assert dialog.isVisible()
    dialog.search.setText("dark")  # the first match that can be chosen: an episode
    assert dialog.chosen() == EPISODES[0] and assign_enabled(dialog)


def test_a_torrent_file_can_be_given_to_a_season(qtbot):
    dialog = file_chooser(qtbot, "/in/Dark.S01.1080p.torrent", whole_shows=True)
    assert dialog.chosen() == SEASON and assign_enabled(dialog)
    dialog.search.setText("dark")  # the season still matches: it stays the choice
    assert dialog.chosen() == SEASON
