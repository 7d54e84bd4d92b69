"""Light or dark: the window follows the system's colour scheme, or the user's choice.

"system" asks Qt for the desktop's scheme (QStyleHints.colorScheme, Qt 6.5+) and follows its
changes; "light" and "dark" force one. Dark uses the Fusion style with a dark palette, since
native styles (Windows' in particular) ignore a dark palette; light goes back to the style and
palette the app started with (or Fusion's light one when the desktop is dark). Custom-painted widgets read their colours from the palette.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

logger = logging.getLogger(__name__)

Role, Group = QPalette.ColorRole, QPalette.ColorGroup


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in (
        (Role.Window, "#2b2d30"),
        (Role.WindowText, "#e6e6e6"),
        (Role.Base, "#1f2023"),
        (Role.AlternateBase, "#2b2d30"),
        (Role.ToolTipBase, "#3a3d41"),
        (Role.ToolTipText, "#e6e6e6"),
        (Role.PlaceholderText, "#8a8f98"),
        (Role.Text, "#e6e6e6"),
        (Role.Button, "#35373b"),
        (Role.ButtonText, "#e6e6e6"),
        (Role.BrightText, "#ff6b66"),
        (Role.Light, "#4a4d52"),
        (Role.Midlight, "#3f4246"),
        (Role.Mid, "#2f3134"),
        (Role.Dark, "#1a1b1d"),
        (Role.Shadow, "#000000"),
        (Role.Highlight, "#2f7fd8"),
        (Role.HighlightedText, "#ffffff"),
        (Role.Link, "#6cb0ff"),
        (Role.LinkVisited, "#b39dff"),
    ):
        palette.setColor(role, QColor(color))
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(Group.Disabled, role, QColor("#7d8187"))
    return palette


class Theme(QObject):
    """Applies the chosen theme to the running QApplication and follows the system's."""

    def __init__(
        self,
        app: QApplication,
        parent: QObject | None = None,
        scheme: Callable[[], Qt.ColorScheme] | None = None,
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.scheme = scheme or app.styleHints().colorScheme  # tests pass their own desktop
        self.choice = "system"
        self._light_style = app.style().name()
        # the start-up palette is the light one only if the desktop was light then; started
        # on a dark desktop, light is the native style's own standard palette
        self._light_palette: QPalette | None = (
            QPalette(app.palette()) if self.scheme() != Qt.ColorScheme.Dark else None
        )
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.apply(self.choice)

    def is_dark(self) -> bool:
        if self.choice != "system":
            return self.choice == "dark"
        return self.scheme() == Qt.ColorScheme.Dark

    def apply(self, choice: str) -> None:
        self.choice = choice
        system_dark = self.scheme() == Qt.ColorScheme.Dark
        if self.is_dark():
            self.app.setStyle(QStyleFactory.create("Fusion"))
            self.app.setPalette(dark_palette())
        elif system_dark:  # light forced on a dark desktop: the native style would stay dark
            fusion = QStyleFactory.create("Fusion")
            self.app.setStyle(fusion)
            self.app.setPalette(fusion.standardPalette())
        else:
            style = QStyleFactory.create(self._light_style)
            self.app.setStyle(style)
            self.app.setPalette(self._light_palette or style.standardPalette())
        logger.debug("Theme %s (%s)", choice, "dark" if self.is_dark() else "light")
