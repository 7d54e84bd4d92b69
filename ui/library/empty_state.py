"""What a library page shows instead of an empty view: at first start how to begin (an Add
button), and when a search finds nothing, what was searched and a way to clear it.

`EmptyState.update_for(total, shown, search)` picks the message; the page puts the widget in
a QStackedWidget over its view and shows whichever `showing()` says.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    add_requested = Signal()
    clear_search_requested = Signal()

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        """`kind`: "movies" or "shows", the words of the messages."""
        super().__init__(parent)
        self.kind = kind
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setEnabled(False)  # the palette's muted colour
        for label in (self.title, self.text):
            label.setTextFormat(Qt.TextFormat.PlainText)  # a search text is shown as typed
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add a movie…" if kind == "movies" else "Add a show…")
        self.add_button.clicked.connect(self.add_requested)
        self.clear_button = QPushButton("Clear search")
        self.clear_button.clicked.connect(self.clear_search_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        for button in (self.add_button, self.clear_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._showing = False

    def showing(self) -> bool:
        """True when the page should show this instead of its view."""
        return self._showing

    def update_for(self, total: int, shown: int, search: str) -> None:
        """`total` items in the library, `shown` of them match `search`."""
        self._showing = shown == 0
        first_start = total == 0
        if first_start:
            self.title.setText("No movies yet" if self.kind == "movies" else "No shows yet")
            self.text.setText(
                "Add one, then drop a magnet link or a .torrent file on it"
                " (or paste one with Ctrl+V) to stream it."
            )
        else:
            self.title.setText(f"No {self.kind} match '{search.strip()}'")
            self.text.setText("Check the spelling, or clear the search to see everything.")
        self.add_button.setVisible(first_start)
        self.clear_button.setVisible(not first_start)
