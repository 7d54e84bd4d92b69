"""Confirm which file of a torrent plays which episode before anything is saved.

The matches come from release names (app/library/matching.py: SxxEyy, 1x02, season packs,
multi-episode files); every episode of the drop target gets a row with a file menu, so the
user can fix a wrong guess or leave an episode out.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.library.matching import is_video, match_episodes
from ui.widgets import human_size, plural

logger = logging.getLogger(__name__)

NONE_TEXT = "— not in this torrent —"


def propose(info: Any, episodes: list[Any], season_hint: int | None) -> dict[int, int]:
    """episode id -> file index, from release names; one episode alone gets the largest video."""
    files = [(f.index, f.path, f.size) for f in info.files]
    matched = match_episodes(files, [(e.season_number, e.number) for e in episodes], season_hint)
    mapping = {
        e.id: matched[(e.season_number, e.number)]
        for e in episodes
        if (e.season_number, e.number) in matched
    }
    if len(episodes) == 1 and not mapping:
        videos = [f for f in info.files if is_video(f.path)]
        if videos:
            mapping[episodes[0].id] = max(videos, key=lambda f: f.size).index
    return mapping


class EpisodesDialog(QDialog):
    def __init__(
        self,
        title: str,
        info: Any,
        episodes: list[Any],
        season_hint: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Match episodes of {title}")
        self.resize(760, 520)
        self.episodes = episodes
        self.videos = sorted((f for f in info.files if is_video(f.path)), key=lambda f: f.path)
        proposed = propose(info, episodes, season_hint)
        self.table = QTableWidget(len(episodes), 2)
        self.table.setHorizontalHeaderLabels(["Episode", "File"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.combos: list[QComboBox] = []
        for row, episode in enumerate(episodes):
            label = f"S{episode.season_number:02d}E{episode.number:02d} {episode.display_title}"
            self.table.setItem(row, 0, QTableWidgetItem(label))
            combo = QComboBox()
            combo.addItem(NONE_TEXT, None)
            for video in self.videos:
                combo.addItem(f"{video.path} ({human_size(video.size)})", video.index)
            if episode.id in proposed:
                combo.setCurrentIndex(combo.findData(proposed[episode.id]))
            combo.currentIndexChanged.connect(self._count)
            self.table.setCellWidget(row, 1, combo)
            self.combos.append(combo)
        self.table.resizeColumnToContents(0)
        self.summary = QLabel()
        header = QLabel(f"<b>{info.name}</b> · {plural(len(self.videos), 'video file')}")
        header.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Assign")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self._count()

    def mapping(self) -> dict[int, int]:
        return {
            episode.id: combo.currentData()
            for episode, combo in zip(self.episodes, self.combos, strict=True)
            if combo.currentData() is not None
        }

    def _count(self) -> None:
        found = len(self.mapping())
        self.summary.setText(
            f"{found} of {plural(len(self.episodes), 'episode')} will be assigned."
        )
        self.ok_button.setEnabled(found > 0)
