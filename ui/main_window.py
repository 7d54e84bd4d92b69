"""The main window: a sidebar (Movies, TV Shows, Torrents, Sync), the pages, the status bar.

The window only lays things out and remembers its geometry and last page; the controller in
ui/app.py feeds it data and decides what closing means (hide to the tray or quit). Its menus
carry the window-wide keys: Ctrl+N (Add), Ctrl+F (into the page's search), Ctrl+, (Settings).
Delete belongs to each page (ui/library/context_menu.delete_key), so a page means its own.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QWidget,
)

from app import APP_NAME
from ui.status_bar import StatusBar

logger = logging.getLogger(__name__)

PAGES = (("movies", "Movies"), ("shows", "TV Shows"), ("torrents", "Torrents"), ("sync", "Sync"))
_ICONS = {
    "movies": ("video-x-generic", QStyle.StandardPixmap.SP_MediaPlay),
    "shows": ("video-display", QStyle.StandardPixmap.SP_DesktopIcon),
    "torrents": ("folder-download", QStyle.StandardPixmap.SP_ArrowDown),
    "sync": ("view-refresh", QStyle.StandardPixmap.SP_BrowserReload),
}


class MainWindow(QMainWindow):
    close_requested = Signal()  # the user closed the window; the controller decides
    settings_requested = Signal()
    connect_requested = Signal()  # File → Connect a device…
    quit_requested = Signal()
    add_requested = Signal(str)  # Ctrl+N, with the current page: a show there, else a movie

    def __init__(self, pages: dict[str, QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(QSize(760, 480))
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(150)
        self.sidebar.setIconSize(QSize(20, 20))
        self.stack = QStackedWidget()
        self.pages = pages
        for key, label in PAGES:
            theme, standard = _ICONS[key]
            icon = QIcon.fromTheme(theme, self.style().standardIcon(standard))
            item = QListWidgetItem(icon, label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(0, 34))
            self.sidebar.addItem(item)
            self.stack.addWidget(pages[key])
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self._build_menu()
        self.show_page("movies")

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        add = QAction("&Add…", self)
        add.setShortcut(QKeySequence.StandardKey.New)
        add.triggered.connect(lambda: self.add_requested.emit(self.current_page))
        menu.addAction(add)
        settings = QAction("&Settings…", self)
        # the platform's own (Cmd+, on macOS; none on Windows), and Ctrl+, everywhere
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        comma = QKeySequence("Ctrl+,")
        settings.setShortcuts([*keys, comma] if comma not in keys else keys)
        settings.triggered.connect(self.settings_requested)
        menu.addAction(settings)
        connect = QAction("&Connect a device…", self)
        connect.triggered.connect(self.connect_requested)
        menu.addAction(connect)
        menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit_requested)
        menu.addAction(quit_action)
        self.settings_action = settings
        self.connect_action = connect
        self.quit_action = quit_action
        self.add_action = add
        edit = self.menuBar().addMenu("&Edit")
        find = QAction("&Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.focus_search)
        edit.addAction(find)
        self.find_action = find

    def focus_search(self) -> None:
        """Ctrl+F: into the current page's search field, its text selected to type over."""
        search = getattr(self.pages[self.current_page], "search", None)
        if search is not None:
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    @property
    def current_page(self) -> str:
        return PAGES[max(self.sidebar.currentRow(), 0)][0]

    def show_page(self, key: str) -> None:
        keys = [name for name, _label in PAGES]
        self.sidebar.setCurrentRow(keys.index(key) if key in keys else 0)

    def geometry_text(self) -> str:
        return bytes(self.saveGeometry().toBase64().data()).decode("ascii")

    def restore_geometry_text(self, text: str) -> bool:
        """The saved size and place, or at first start most of the screen, centred."""
        if text and self.restoreGeometry(QByteArray.fromBase64(text.encode("ascii"))):
            return True
        screen = self.screen().availableGeometry()
        size = QSize(min(1280, int(screen.width() * 0.9)), min(820, int(screen.height() * 0.9)))
        self.resize(size.expandedTo(self.minimumSize()))
        self.move(screen.center() - self.rect().center())
        return False

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The controller hides the window (tray) or quits after a clean shutdown.
        event.ignore()
        self.close_requested.emit()
