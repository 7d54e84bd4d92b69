"""Choosing the library item an unmatched file belongs to.

The same choice the app offers for a link handed over by a second launch (the library's
items from the snapshot, listed in a QInputDialog that is awaited without nesting the loop),
with episodes added, since a video file is one movie or one episode. The item whose title
(and for an episode, SxxEyy) the file name carries is preselected.
"""

from __future__ import annotations

import logging
import re
from pathlib import PurePath
from typing import Any

from PySide6.QtWidgets import QDialog, QInputDialog, QWidget

from ui.library.detail_pane import title_of
from ui.library.snapshot import EpisodeRow, LibrarySnapshot, MovieRow
from ui.tasks import run_dialog

logger = logging.getLogger(__name__)

Target = tuple[str, Any]  # (label shown, MovieRow / ShowRow / SeasonRow / EpisodeRow)


def targets(snapshot: LibrarySnapshot, *, whole_shows: bool = False) -> list[Target]:
    """Every movie and episode; with `whole_shows` (a torrent may hold a season) also every
    show and season."""
    found: list[Target] = [(title_of(movie), movie) for movie in snapshot.movies]
    for show in snapshot.shows:
        if whole_shows:
            found.append((f"{title_of(show)} (whole show)", show))
        for season in show.seasons:
            if whole_shows:
                found.append((f"{title_of(show)} · {season.display_title}", season))
            for episode in season.episodes:
                found.append((f"{title_of(show)} · {title_of(episode)}", episode))
    return found


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def best_guess(file_path: str, choices: list[Target], show_titles: dict[int, str]) -> int:
    """The index of the choice the file name most likely means, or 0: the longest movie
    title in the name, or the episode whose show title and SxxEyy it carries."""
    name = f" {_words(PurePath(file_path).stem)} "
    code = re.search(r"\bs(\d{1,2}) ?e(\d{1,3})\b", name) or re.search(
        r"\b(\d{1,2})x(\d{2,3})\b", name
    )
    best, best_length = 0, 0
    for number, (_label, row) in enumerate(choices):
        if isinstance(row, MovieRow):
            title = row.title
        elif isinstance(row, EpisodeRow) and code is not None:
            if (row.season_number, row.number) != (int(code[1]), int(code[2])):
                continue
            title = show_titles.get(row.show_id, "")
        else:
            continue
        words = _words(title)
        if words and f" {words} " in name and len(words) > best_length:
            best, best_length = number, len(words)
    return best


class ItemChooser:
    """One question "which item is this file?"; `dialog` is set while it waits (for tests)."""

    def __init__(self, parent: QWidget | None) -> None:
        self.parent = parent
        self.dialog: QInputDialog | None = None

    async def choose(
        self, file_path: str, snapshot: LibrarySnapshot, *, whole_shows: bool = False
    ) -> Any | None:
        """The chosen row, or None on Cancel or when the library is empty."""
        choices = targets(snapshot, whole_shows=whole_shows)
        if not choices:
            return None
        titles = {show.id: show.title for show in snapshot.shows}
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle("Assign a file")
        dialog.setLabelText(f"Which item is “{PurePath(file_path).name}”?")
        dialog.setComboBoxItems([label for label, _row in choices])
        dialog.setComboBoxEditable(False)
        dialog.setTextValue(choices[best_guess(file_path, choices, titles)][0])
        self.dialog = dialog
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                return None
            chosen = dialog.textValue()
        finally:
            self.dialog = None
            dialog.deleteLater()
        return next((row for label, row in choices if label == chosen), None)
