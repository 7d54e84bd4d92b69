"""The dark theme: forced by the setting, or following the desktop's colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import run_app, until
from tests.ui.test_settings_dialog import open_settings

WINDOW = QPalette.ColorRole.Window


def window_lightness() -> int:
    return QApplication.instance().palette().color(WINDOW).lightness()


def test_dark_light_and_following_the_desktop(qapp):
    from ui.theme import Theme

    desktop = {"scheme": Qt.ColorScheme.Light}
    theme = Theme(qapp, scheme=lambda: desktop["scheme"])
    style = qapp.style().name()
    try:
        theme.apply("dark")
        assert window_lightness() < 80 and qapp.style().name() == "fusion"
        theme.apply("light")
        assert window_lightness() > 160 and qapp.style().name() == style
        theme.apply("system")
        assert window_lightness() > 160
        desktop["scheme"] = Qt.ColorScheme.Dark  # the desktop turns dark: the window follows
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window_lightness() < 80
        theme.apply("light")  # light forced on a dark desktop stays light
        assert window_lightness() > 160
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window_lightness() > 160
    finally:
        desktop["scheme"] = Qt.ColorScheme.Light
        theme.apply("light")
        theme.deleteLater()


def test_started_on_a_dark_desktop_the_window_turns_light_with_it(qapp):
    from ui.theme import Theme, dark_palette

    saved, style = QPalette(qapp.palette()), qapp.style().name()
    desktop = {"scheme": Qt.ColorScheme.Dark}
    qapp.setPalette(dark_palette())  # what a dark desktop hands the app at start
    try:
        theme = Theme(qapp, scheme=lambda: desktop["scheme"])
        theme.apply("system")
        assert window_lightness() < 80
        desktop["scheme"] = Qt.ColorScheme.Light  # morning: the desktop turns light
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert window_lightness() > 160  # not the dark palette the app started with
    finally:
        desktop["scheme"] = Qt.ColorScheme.Light
        qapp.setStyle(style)
        qapp.setPalette(saved)


def test_the_theme_setting_applies_at_once(qapp, make_core):
    async def scenario(reelbox):
        dialog = await open_settings(reelbox)
        dialog.fields["ui.theme"].setCurrentText("dark")
        dialog.apply(close=True)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to apply")
        assert reelbox.core.settings.ui.theme == "dark"
        assert window_lightness() < 80
        dialog = await open_settings(reelbox)
        assert dialog.fields["ui.theme"].currentText() == "dark"
        dialog.fields["ui.theme"].setCurrentText("light")
        dialog.apply(close=True)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to apply")
        assert window_lightness() > 160

    assert run_app(qapp, make_core(), scenario)[0] == 0
