"""The Add dialog: search TMDB as you type when a key is set, or enter a title by hand.

With a TMDB client the list fills with results (title, year, poster) a moment after the user
stops typing; picking one adds it with its TMDB id. Manual entry is always there: title and
year, and for a show the number of episodes of each season ("10, 8, 13"). The dialog only
collects the choice as an AddRequest; the caller adds it to the library.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.tasks import spawn
from ui.widgets import plural

logger = logging.getLogger(__name__)

SEARCH_DELAY_MS = 350
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class AddRequest:
    kind: str  # "movie" | "show"
    title: str
    year: int | None
    tmdb_id: int | None = None
    poster_path: str | None = None
    overview: str = ""
    seasons: dict[int, int] = field(default_factory=dict)  # manual shows: season -> episodes


def parse_year(text: str) -> int | None:
    """'' -> None; a year between 1870 and 2100; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1870 <= int(text) <= 2100:
        raise ValueError("The year must be four digits, like 1999.")
    return int(text)


def parse_seasons(text: str) -> dict[int, int]:
    """'10, 8, 13' -> {1: 10, 2: 8, 3: 13}; raises ValueError with a readable message."""
    parts = [part for part in re.split(r"[,\s;]+", text.strip()) if part]
    if not parts:
        raise ValueError("Enter the number of episodes of each season, like 10, 8, 13.")
    seasons = {}
    for number, part in enumerate(parts, start=1):
        if not part.isdigit() or not 1 <= int(part) <= 500:
            raise ValueError(f"Season {number}: “{part}” is not a number of episodes (1 to 500).")
        seasons[number] = int(part)
    return seasons


class AddDialog(QDialog):
    def __init__(self, kind: str, tmdb: Any, posters: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.tmdb = tmdb
        self.posters = posters
        self.request: AddRequest | None = None
        self._search_task: asyncio.Task[Any] | None = None
        self.setWindowTitle("Add a movie" if kind == "movie" else "Add a TV show")
        self.resize(520, 520)
        self.title = QLineEdit(placeholderText="Title")
        self.year = QLineEdit(placeholderText="Year (optional)")
        self.year.setMaxLength(4)
        self.seasons = QLineEdit(placeholderText="Episodes per season, e.g. 10, 8, 13")
        self.results = QListWidget()
        self.results.setIconSize(QSize(46, 69))
        self.results.setVisible(tmdb is not None)
        self.results.itemDoubleClicked.connect(lambda _item: self._accept())
        self.results.currentItemChanged.connect(lambda *_: self._validate())
        self.info = QLabel(
            "Type to search TMDB, or fill in the title and year yourself."
            if tmdb is not None
            else "No TMDB key is set (Settings): enter the title and year yourself."
        )
        self.info.setWordWrap(True)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d0413c")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Year", self.year)
        if kind == "show":
            form.addRow("Episodes per season", self.seasons)
            self.seasons.setText("10")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(form)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.error)
        if tmdb is None:
            layout.addStretch(1)
            self.resize(460, 200)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search)
        self.title.textChanged.connect(self._typed)
        self.year.textChanged.connect(self._typed)
        self.seasons.textChanged.connect(self._validate)
        self.finished.connect(self._stop_search)
        self._validate()

    # ---- search ------------------------------------------------------------------------

    def _typed(self) -> None:
        self._validate()
        if self.tmdb is not None:
            self._timer.start()

    def _search(self) -> None:
        self._stop_search()
        query = self.title.text().strip()
        if len(query) < 2:
            self.results.clear()
            return
        try:
            year = parse_year(self.year.text())
        except ValueError:
            year = None
        self._search_task = spawn(self._run_search(query, year), "tmdb search")

    def _stop_search(self) -> None:
        if self._search_task is not None and not self._search_task.done():
            self._search_task.cancel()

    async def _run_search(self, query: str, year: int | None) -> None:
        self.info.setText(f"Searching TMDB for “{query}”…")
        try:
            if self.kind == "movie":
                found = await self.tmdb.search_movies(query, year)
            else:
                found = await self.tmdb.search_shows(query, year)
        except Exception as exc:  # offline, bad key, rate limited: say it, keep manual entry
            self.info.setText(f"TMDB search failed: {exc}. You can still add it by hand.")
            return
        self.info.setText(
            f"{plural(len(found), 'result')} on TMDB. Pick one, or add by hand."
            if found
            else "Nothing found on TMDB. Check the spelling, or add it by hand."
        )
        self.results.clear()
        for result in found:
            label = f"{result.title} ({result.year})" if result.year else result.title
            item = QListWidgetItem(label)
            item.setData(RESULT_ROLE, result)
            item.setToolTip(result.overview)
            self.results.addItem(item)
            if result.poster_path:
                spawn(self._poster(item, result.poster_path), "result poster")

    async def _poster(self, item: QListWidgetItem, poster_path: str) -> None:
        cache = self.posters
        if cache is None:
            return
        try:
            file = cache.cached(poster_path) or await cache.fetch(poster_path)
        except Exception as exc:
            logger.debug("No poster for a search result: %s", exc)
            return
        if item.listWidget() is self.results:
            item.setIcon(QIcon(str(file)))

    # ---- result ------------------------------------------------------------------------

    def chosen_result(self) -> Any:
        item = self.results.currentItem()
        return item.data(RESULT_ROLE) if item is not None and self.results.isVisible() else None

    def _build(self) -> AddRequest:
        result = self.chosen_result()
        if result is not None:
            return AddRequest(
                self.kind,
                result.title,
                result.year,
                result.tmdb_id,
                result.poster_path,
                result.overview,
            )
        title = self.title.text().strip()
        if not title:
            raise ValueError("Enter a title.")
        year = parse_year(self.year.text())
        seasons = parse_seasons(self.seasons.text()) if self.kind == "show" else {}
        return AddRequest(self.kind, title, year, seasons=seasons)

    def _validate(self) -> bool:
        try:
            self._build()
        except ValueError as exc:
            self.error.setText(str(exc) if self.title.text().strip() else "")
            self.add_button.setEnabled(False)
            return False
        self.error.setText("")
        self.add_button.setEnabled(True)
        return True

    def _accept(self) -> None:
        if self._validate():
            self.request = self._build()
            self.accept()
