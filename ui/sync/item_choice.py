"""Choosing the library item an unmatched watched-folder file belongs to.

The same chooser as for a link handed to the running app (ui/dialogs/item_chooser: search,
the file name's item preselected, source marks, a size that fits the screen), awaited without
nesting the loop. A video file is one movie or one episode, so only those can be chosen for
it; a .torrent may hold a season or a whole show, so those can be chosen for it too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from ui.dialogs.item_chooser import ItemChooserDialog
from ui.library.snapshot import LibrarySnapshot
from ui.tasks import run_dialog


class ItemChooser:
    """One question "which item is this file?"; `dialog` is set while it waits (for tests)."""

    def __init__(self, parent: QWidget | None) -> None:
        self.parent = parent
        self.dialog: ItemChooserDialog | None = None

    async def choose(
        self, file_path: str, snapshot: LibrarySnapshot, *, whole_shows: bool = False
    ) -> Any | None:
        """The chosen row (a MovieRow or EpisodeRow; with `whole_shows` also a ShowRow or
        SeasonRow), or None on Cancel or when the library is empty."""
        if not snapshot.movies and not snapshot.shows:
            return None
        dialog = ItemChooserDialog(snapshot, file_path, self.parent, whole_shows=whole_shows)
        dialog.setWindowTitle("Assign a file")
        self.dialog = dialog
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            self.dialog = None
            dialog.deleteLater()
