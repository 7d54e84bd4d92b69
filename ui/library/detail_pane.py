"""The detail pane of the library pages: what an item is, where its bytes come from, where
it appears on the share, and the actions on its source (play, copy its URL, assign, replace,
remove). Play and Copy URL need the share password, which the controller reads off the Qt
thread (ui/library/actions.py): the pane only asks for them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.player import share_url
from ui.elided_label import ElidedLabel
from ui.item_state import aggregate, source_state
from ui.library.context_menu import ASSIGN, COPY_URL, DELETE, PLAY, UNASSIGN, item_actions
from ui.library.posters import POSTER_SIZE
from ui.library.snapshot import EpisodeRow, MovieRow, SeasonRow, ShowRow
from ui.widgets import CopyField, breakable, human_size

logger = logging.getLogger(__name__)


def title_of(row: Any) -> str:
    if isinstance(row, (MovieRow, ShowRow)):
        return f"{row.title} ({row.year})" if row.year else row.title
    if isinstance(row, SeasonRow):
        return row.display_title
    if isinstance(row, EpisodeRow):
        return f"S{row.season_number:02d}E{row.number:02d} · {row.display_title}"
    return ""


def episodes_of(row: Any) -> list[EpisodeRow]:
    if isinstance(row, ShowRow):
        return [episode for season in row.seasons for episode in season.episodes]
    if isinstance(row, SeasonRow):
        return list(row.episodes)
    return []


class DetailPane(QWidget):
    assign_requested = Signal(object)
    unassign_requested = Signal(object)
    delete_requested = Signal(object)
    play_requested = Signal(object)  # a MovieRow or EpisodeRow with a source
    copy_url_requested = Signal(object)

    def __init__(self, board: Any, posters: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.posters = posters
        self.poster = QLabel()
        self.poster.setFixedSize(POSTER_SIZE)
        self.poster.setScaledContents(False)
        posters.poster_ready.connect(self._poster_ready)
        self.row: Any = None
        self._share_base = ""
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.overview = QLabel()
        self.overview.setWordWrap(True)
        self.overview.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.state = QLabel()
        self.torrent = QLabel()
        self.file = QLabel()
        self.size = QLabel()
        self.quality = QLabel()
        for label in (self.torrent, self.file):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path = CopyField(wrap=True)
        self.url = ElidedLabel()  # without the password; Copy URL copies one with it
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("State", self.state)
        form.addRow("Torrent", self.torrent)
        form.addRow("File", self.file)
        form.addRow("Size", self.size)
        form.addRow("Quality", self.quality)
        form.addRow("Share path", self.path)
        form.addRow("URL", self.url)
        self.form = form
        self.assign_button = QPushButton("Assign…")
        self.assign_button.setToolTip(
            "Paste a magnet link, open a .torrent file or an http(s) link"
        )
        self.unassign_button = QPushButton("Remove source")
        self.delete_button = QPushButton("Delete…")
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip(
            "Open it in the player chosen in Settings → Window, or the desktop's player for playlists"
        )
        self.copy_url_button = QPushButton("Copy URL")
        self.copy_url_button.setToolTip("Copy a URL any player can open, with the share's login")
        self.play_button.clicked.connect(lambda: self.play_requested.emit(self.row))
        self.copy_url_button.clicked.connect(lambda: self.copy_url_requested.emit(self.row))
        play_row = QHBoxLayout()
        play_row.addWidget(self.play_button)
        play_row.addWidget(self.copy_url_button)
        play_row.addStretch(1)
        self.assign_button.clicked.connect(lambda: self.assign_requested.emit(self.row))
        self.unassign_button.clicked.connect(lambda: self.unassign_requested.emit(self.row))
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.row))
        self.buttons = {
            PLAY: self.play_button,
            COPY_URL: self.copy_url_button,
            ASSIGN: self.assign_button,
            UNASSIGN: self.unassign_button,
            DELETE: self.delete_button,
        }
        buttons = QHBoxLayout()
        buttons.addWidget(self.assign_button)
        buttons.addWidget(self.unassign_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        self.hint = QLabel(
            "Drop a magnet link or a .torrent file on an item, or paste one with Ctrl+V."
        )
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.poster)
        layout.addWidget(self.title)
        layout.addWidget(self.overview)
        layout.addLayout(form)
        layout.addLayout(play_row)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        self.setMinimumWidth(330)
        board.updated.connect(self._refresh_state)
        self.show_row(None)

    @property
    def share_base(self) -> str:
        """The share's LAN address ("" when the share is off); setting it refreshes the pane."""
        return self._share_base

    @share_base.setter
    def share_base(self, base: str) -> None:
        self._share_base = base
        self.show_row(self.row)

    def show_row(self, row: Any) -> None:
        self.row = row
        has_row = row is not None
        self.title.setText(title_of(row) if has_row else "Nothing selected")
        self.overview.setText(getattr(row, "overview", "") or "")
        self.overview.setVisible(bool(self.overview.text()))
        self._show_poster()
        source = getattr(row, "source", None)
        single = isinstance(row, (MovieRow, EpisodeRow))
        for label in (self.torrent, self.file, self.size, self.quality):
            label.setText("")
        self.path.set_text(source.share_path if source else "")
        self.url.setText(
            share_url(self.share_base, source.share_path) if source and self.share_base else ""
        )
        if source is not None:
            self.file.setText(breakable(source.file_path))
            self.file.setToolTip(source.file_path)
            self.size.setText(human_size(source.file_size))
            quality = " · ".join(part for part in (source.resolution, source.source) if part)
            self.quality.setText(quality or "unknown")
        for field in (self.torrent, self.file, self.size, self.quality, self.path, self.url):
            self.form.setRowVisible(field, single)
        self.form.setRowVisible(self.state, has_row)  # no empty "State" under "Nothing selected"
        self.assign_button.setText("Replace…" if source else "Assign…")
        # the same rule as the right-click menu: which actions the item has, which apply now
        actions = {a.name: a for a in item_actions(row, self.share_base) if a is not None}
        for name, button in self.buttons.items():
            button.setVisible(name in actions)
            button.setEnabled(name in actions and actions[name].enabled)
        self._refresh_state()

    def _show_poster(self) -> None:
        path = getattr(self.row, "poster_path", None)
        pixmap = self.posters.pixmap(path) if path else None
        self.poster.setVisible(pixmap is not None)
        if pixmap is not None:
            self.poster.setPixmap(pixmap)

    def _poster_ready(self, poster_path: str) -> None:
        if getattr(self.row, "poster_path", None) == poster_path:
            self._show_poster()

    def _refresh_state(self) -> None:
        row = self.row
        if row is None:
            self.state.setText("")
            return
        if isinstance(row, (MovieRow, EpisodeRow)):
            info_hash = row.source.info_hash if row.source else None
            status = self.board.get(info_hash)
            state = source_state(row.source, self.board)
            if row.source is not None and row.source.local_path:
                self.torrent.setText(breakable(f"local file: {row.source.local_path}"))
            elif row.source is not None:
                name = status.name if status is not None else row.source.info_hash
                self.torrent.setText(breakable(name))
        else:
            state = aggregate([source_state(e.source, self.board) for e in episodes_of(row)])
        self.state.setText(f"<span style='color:{state.color.name()}'>●</span> {state.text}")


def scrollable(pane: DetailPane) -> QScrollArea:
    """The pane in a frameless scroll area: in a short window its fixed-size poster would
    otherwise be drawn over the title and the fields below it."""
    area = QScrollArea()
    area.setWidget(pane)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setMinimumWidth(pane.minimumWidth())
    return area
