"""The "which item is this for?" question for a link handed to the running app.

Lists the library's movies and shows in one tree: a show opens onto its seasons and a season
onto its episodes, because a release can be one episode (assign the episode), a season pack
(the season) or a whole series (the show), and the assign flow takes all of them. The item
the release name most likely means (app/library/release_match) is preselected, down to the
season or episode the name carries; when nothing fits, nothing is. The search field filters
as you type, ignoring accents and case; arrows move in the list, Enter chooses. Items that
already have a source say so in their own column. The dialog never outgrows its screen: the
list scrolls instead. Without `whole_shows` (a video file is one movie or one episode) only
movies and episodes can be chosen; shows and seasons stay in the tree to open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.library.release_match import Candidate, best_match, fold, parse_release, release_name
from ui.library.detail_pane import title_of
from ui.library.snapshot import EpisodeRow, LibrarySnapshot, MovieRow, ShowRow
from ui.widgets import breakable

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the snapshot row behind a tree item
PREFERRED = QSize(640, 560)
FRAME = QSize(16, 40)  # the title bar and borders the window system adds around the dialog
HAS_SOURCE = "Has a source"
_NAVIGATION = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}


def has_source_text(row: Any) -> str:
    """The Source column: "Has a source" for a movie or an episode that has one, how many
    episodes have one for a season or a show, else nothing."""
    if isinstance(row, (MovieRow, EpisodeRow)):
        return HAS_SOURCE if row.source is not None else ""
    seasons = row.seasons if isinstance(row, ShowRow) else (row,)
    episodes = [episode for season in seasons for episode in season.episodes]
    done = sum(episode.source is not None for episode in episodes)
    return f"{done} of {len(episodes)} have a source" if done else ""


class _SearchFilter(QSortFilterProxyModel):
    """Keeps the rows whose label, with their show's and season's, holds every word typed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.setRecursiveFilteringEnabled(True)  # a matching episode keeps its show visible

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+; invalidateFilter() is deprecated
            self.beginFilterChange()
            self.words = fold(text).split()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.words = fold(text).split()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        return self.matches(self.sourceModel().index(source_row, 0, source_parent))

    def matches(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        """Whether the source row at `index` holds every word itself (with its ancestors'
        labels, so "dark s01e02" works), not only as the parent of a match."""
        labels = []
        while index.isValid():
            labels.append(str(index.data()))
            index = index.parent()
        text = fold(" ".join(labels))
        return all(word in text for word in self.words)


class ItemChooserDialog(QDialog):
    """Choose the movie, show, season or episode a link is for; `chosen()` after Accept."""

    def __init__(
        self,
        snapshot: LibrarySnapshot,
        link: str,
        parent: QWidget | None = None,
        *,
        whole_shows: bool = True,
    ):
        super().__init__(parent)
        self.whole_shows = whole_shows
        self.setWindowTitle("Assign a torrent")
        name = release_name(link)
        self.release = parse_release(name)
        self.label = QLabel(f"Which item is “{breakable(name or link)}” for?")
        self.label.setWordWrap(True)
        self.label.setToolTip(link)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search movies and shows")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, 3, self)
        self.model.setHorizontalHeaderLabels(["Item", "Kind", "Source"])
        self._fill(snapshot)
        self.filter = _SearchFilter(self)
        self.filter.setSourceModel(self.model)
        self.tree = QTreeView()
        self.tree.setModel(self.filter)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Assign")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.buttons)
        self.search.textChanged.connect(self._search)
        self.search.installEventFilter(self)
        self.tree.selectionModel().currentChanged.connect(self._enable_ok)
        self.tree.activated.connect(lambda _index: self.accept())  # Enter or double-click
        self._preselect()
        self._enable_ok()
        self.search.setFocus()
        screen = (parent.screen() if parent else None) or QGuiApplication.primaryScreen()
        self.fit_to(screen.availableGeometry())

    # ---- the list ------------------------------------------------------------------------

    def _fill(self, snapshot: LibrarySnapshot) -> None:
        entries = [("movie", row) for row in snapshot.movies]
        entries += [("show", row) for row in snapshot.shows]
        entries.sort(key=lambda entry: (fold(entry[1].sort_title), entry[1].year or 0))
        self.candidates: list[Candidate] = []  # the top rows, in order, for best_match()
        self.top: list[QStandardItem] = []
        for kind, row in entries:
            self.candidates.append(Candidate(kind, row.title, row.year))
            item = self._append(self.model.invisibleRootItem(), row, kind.capitalize())
            self.top.append(item)
            if isinstance(row, ShowRow):
                for season in row.seasons:
                    season_item = self._append(item, season, "Season")
                    for episode in season.episodes:
                        self._append(season_item, episode, "Episode")

    def _append(self, parent: QStandardItem, row: Any, kind: str) -> QStandardItem:
        item = QStandardItem(title_of(row))
        item.setData(row, ROW_ROLE)
        source = QStandardItem(has_source_text(row))
        if isinstance(row, (MovieRow, EpisodeRow)) and row.source is not None:
            source.setToolTip(row.source.file_path)
        parent.appendRow([item, QStandardItem(kind), source])
        return item

    def _preselect(self) -> None:
        """Select the likeliest item, or its season or episode when the name carries one."""
        found = best_match(self.release, self.candidates)
        if found is None or self.release is None:
            return
        item = self.top[found]
        row = item.data(ROW_ROLE)
        if isinstance(row, ShowRow) and self.release.season is not None:
            item = self._child(item, lambda s: s.number == self.release.season) or item
            if self.release.episode is not None and item is not self.top[found]:
                item = self._child(item, lambda e: e.number == self.release.episode) or item
        self.select(self.filter.mapFromSource(item.index()))

    @staticmethod
    def _child(item: QStandardItem, wanted: Any) -> QStandardItem | None:
        for number in range(item.rowCount()):
            child = item.child(number)
            if wanted(child.data(ROW_ROLE)):
                return child
        return None

    def select(self, index: QModelIndex) -> None:
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _search(self, text: str) -> None:
        current = QPersistentModelIndex(self.filter.mapToSource(self.tree.currentIndex()))
        self.filter.set_text(text)
        if text.strip():
            self.tree.expandAll()
        else:
            self.tree.collapseAll()
        kept = self.filter.mapFromSource(current)
        if kept.isValid() and self.filter.matches(current) and self.chosen() is not None:
            self.select(kept)
        else:  # the choice was filtered out: the first match takes its place
            self.select(self._first_match())
        self._enable_ok()

    def _first_match(self) -> QModelIndex:
        """The first visible row that is a match itself and can be chosen; an invalid index
        when none is."""
        index = self.filter.index(0, 0)
        while index.isValid() and not (
            self.filter.matches(self.filter.mapToSource(index))
            and self.choosable(index.data(ROW_ROLE))
        ):
            index = self.tree.indexBelow(index)
        return index

    def choosable(self, row: Any) -> bool:
        return self.whole_shows or isinstance(row, (MovieRow, EpisodeRow))

    def _enable_ok(self, *_args: Any) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.chosen() is not None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Arrows typed in the search field move in the list, so the keyboard never leaves it.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key_event = QKeyEvent(event)  # type: ignore[arg-type]
            if key_event.key() in _NAVIGATION:
                self.tree.keyPressEvent(key_event)
                self._enable_ok()
                return True
        return super().eventFilter(watched, event)

    def accept(self) -> None:
        if self.chosen() is not None:
            super().accept()

    def chosen(self) -> Any | None:
        """The MovieRow, ShowRow, SeasonRow or EpisodeRow chosen, or None (also for a show
        or season without `whole_shows`)."""
        index = self.tree.currentIndex().siblingAtColumn(0)
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row if self.choosable(row) else None

    # ---- size ----------------------------------------------------------------------------

    def fit_to(self, available: QRect) -> None:
        """At most the screen's available size (less the frame): the list scrolls inside."""
        room = available.size() - FRAME
        self.setMaximumSize(room)
        self.resize(PREFERRED.boundedTo(room))
