"""What can be done to a library item, and its right-click menu.

`item_actions(row, share_base)` is the one rule for which actions a movie, show, season or
episode has and when each applies; the detail pane's buttons and the menu both follow it.
The menu's entries emit the detail pane's signals, so a menu entry and a button run the same
code (ui/library/actions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QMenu, QWidget

from ui.library.movies_model import ROW_ROLE
from ui.library.snapshot import EpisodeRow, MovieRow, ShowRow
from ui.widgets import popup

PLAY, COPY_URL, ASSIGN, UNASSIGN, DELETE = "play", "copy_url", "assign", "unassign", "delete"
# the detail pane's signal for each action
SIGNALS = {
    PLAY: "play_requested",
    COPY_URL: "copy_url_requested",
    ASSIGN: "assign_requested",
    UNASSIGN: "unassign_requested",
    DELETE: "delete_requested",
}


@dataclass(frozen=True)
class ItemAction:
    name: str
    text: str
    enabled: bool


def item_actions(row: Any, share_base: str) -> list[ItemAction | None]:
    """The actions `row` has, in menu order; a None between groups. Those that do not apply
    now (Play without a source, say) are listed disabled, so the user sees they exist."""
    if row is None:
        return []
    source = getattr(row, "source", None)
    actions: list[ItemAction | None] = []
    if isinstance(row, (MovieRow, EpisodeRow)):
        playable = source is not None and bool(share_base)
        actions += [
            ItemAction(PLAY, "Play", playable),
            ItemAction(COPY_URL, "Copy URL", playable),
            None,
        ]
    actions.append(ItemAction(ASSIGN, "Replace source…" if source else "Assign source…", True))
    if isinstance(row, (MovieRow, EpisodeRow)):
        actions.append(ItemAction(UNASSIGN, "Remove source", source is not None))
    if isinstance(row, (MovieRow, ShowRow)):
        actions += [None, ItemAction(DELETE, "Delete…", True)]
    return actions


def build_menu(row: Any, pane: Any, parent: QWidget | None = None) -> QMenu:
    """The menu of `row`; its entries emit `pane`'s (a DetailPane's) signals with `row`."""
    menu = QMenu(parent)
    for action in item_actions(row, pane.share_base):
        if action is None:
            menu.addSeparator()
            continue
        entry = menu.addAction(action.text)
        entry.setObjectName(action.name)
        entry.setEnabled(action.enabled)
        signal = getattr(pane, SIGNALS[action.name])
        entry.triggered.connect(lambda _checked=False, signal=signal: signal.emit(row))
    return menu


def menu_at(view: QAbstractItemView, pane: Any, point: QPoint) -> QMenu | None:
    """The menu of the item under `point` (viewport coordinates), made current first so the
    detail pane shows what the menu acts on; None over empty space."""
    index = view.indexAt(point)
    if not index.isValid():
        return None
    view.setCurrentIndex(index)
    return build_menu(index.siblingAtColumn(0).data(ROW_ROLE), pane, view)


def attach(view: QAbstractItemView, pane: Any) -> None:
    """Right-click (or the Menu key) on an item of `view` opens its menu."""
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def requested(point: QPoint) -> None:
        menu = menu_at(view, pane, point)
        if menu is not None:
            popup(menu, view.viewport().mapToGlobal(point))

    view.customContextMenuRequested.connect(requested)


def delete_key(page: QWidget, selected: Callable[[], Any], pane: Any) -> QShortcut:
    """The Delete key on `page` runs Delete… (with its confirmation) on the selected item,
    when that item can be deleted. Scoped to the page, so a text field keeps its Delete key
    and other pages (Torrents) can give the key their own meaning."""
    shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), page)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def delete() -> None:
        row = selected()
        names = [a.name for a in item_actions(row, pane.share_base) if a is not None]
        if DELETE in names:
            pane.delete_requested.emit(row)

    shortcut.activated.connect(delete)
    return shortcut
