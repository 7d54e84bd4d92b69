"""The one question before a release is assigned to an item it does not look like.

Whatever way the torrent came (drop, paste, Assign button, the chooser), once its name is
known the assign flow asks here; app/library/release_match decides whether the name's
title and year fit the item (a season or an episode is compared with its show).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from app.library.release_match import mismatch, parse_release
from ui.library.detail_pane import title_of
from ui.library.snapshot import EpisodeRow, SeasonRow
from ui.tasks import run_dialog


def _describe(library: Any, target: Any) -> tuple[str, int | None, str]:
    """(title, year, label) of the movie or show `target` is or belongs to (worker thread)."""
    if isinstance(target, (SeasonRow, EpisodeRow)):
        show = library.get_show(target.show_id)
        label = f"{show.title} ({show.year})" if show.year else show.title
        return show.title, show.year, f"{label} · {title_of(target)}"
    return target.title, target.year, title_of(target)


async def confirm_release(parent: QWidget | None, core: Any, target: Any, name: str) -> bool:
    """True to go on: the release `name` fits `target`, or the user chose Assign anyway."""
    release = parse_release(name)
    if release is None:
        return True
    title, year, label = await asyncio.to_thread(_describe, core.library, target)
    if not mismatch(release, title, year):
        return True
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Assign anyway?",
        f"This looks like {release.label}, assign it to {label} anyway?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    assign = box.addButton("Assign", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Enter does not assign by mistake
    try:
        await run_dialog(box)
        return box.clickedButton() is assign
    finally:
        box.deleteLater()
