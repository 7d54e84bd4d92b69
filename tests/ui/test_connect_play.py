"""Connect a device and Play, driven like a user on the real app with its share on loopback:
the panel shows the address, user name and the real password after Show, copies it, and
draws a QR code of the WebDAV address; with a keyring that keeps nothing it says so (here and
in Settings) and a password typed in Settings opens the share for the rest of the run; Play
(button and double-click) starts the chosen player with a URL the share answers."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from pathlib import Path

import httpx
import keyring
import segno
from keyring.backends.null import Keyring as NullKeyring
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from app import settings as settings_file
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.dialogs.connect_dialog import ConnectDialog
from ui.dialogs.settings_dialog import SettingsDialog


async def open_connect(reelbox, trigger) -> ConnectDialog:
    trigger()
    dialog = await until(
        lambda: isinstance(reelbox.actions.dialog, ConnectDialog) and reelbox.actions.dialog,
        what="the Connect panel",
    )
    await until(lambda: dialog.password_read.done(), what="the password")
    return dialog


def test_the_connect_panel_shows_the_login_and_a_qr_code(qapp, make_core):
    async def scenario(reelbox):
        core = reelbox.core
        url = core.share.urls()[0]
        dialog = await open_connect(reelbox, reelbox.window.status.connect_button.click)
        assert [field.text() for field in dialog.addresses] == [url]
        assert dialog.user.text() == "reelbox"
        password = await asyncio.to_thread(core.share_password)
        assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
        dialog.show_button.click()
        assert dialog.password.echoMode() == QLineEdit.EchoMode.Normal
        assert dialog.password.displayText() == password
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == password
        # the QR code holds the WebDAV address with the user name, never the password
        assert dialog.qr_text == url.replace("http://", "http://reelbox@")
        assert dialog.qr_code.matrix == segno.make(dialog.qr_text, error="m").matrix
        assert not dialog.qr.pixmap().isNull() and dialog.qr.pixmap().width() > 100
        assert dialog.note.isHidden()  # the keyring keeps secrets: nothing to warn about
        assert url.split("//")[1].split(":")[0] in dialog.steps.widget(0).text()  # Infuse
        dialog.reject()
        # the File menu opens it too
        dialog = await open_connect(reelbox, reelbox.window.connect_action.trigger)
        dialog.reject()

    assert run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)[0] == 0


def test_the_first_start_shows_the_panel_once(qapp, make_core, paths):
    async def scenario(reelbox):
        dialog = await until(
            lambda: isinstance(reelbox.actions.dialog, ConnectDialog) and reelbox.actions.dialog,
            what="the Connect panel at first start",
        )
        dialog.reject()

    core = make_core(**{"share.enabled": "on"})
    core.overrides.pop("ui.connect_shown")
    core.settings.ui.connect_shown = False
    assert run_app(qapp, core, scenario)[0] == 0
    assert settings_file.load(paths.settings_file).ui.connect_shown is True


def test_without_a_keyring_a_typed_password_opens_the_share_for_the_run(qapp, make_core):
    keyring.set_keyring(NullKeyring())  # `keyring --disable`; the autouse fixture restores

    async def scenario(reelbox):
        core = reelbox.core
        base = core.share.urls()[0]
        dialog = await open_connect(reelbox, reelbox.window.status.connect_button.click)
        assert not dialog.note.isHidden()
        assert "cannot keep secrets" in dialog.note.text() and "null" in dialog.note.text()
        generated = dialog.password.text()
        dialog.reject()

        reelbox.window.settings_action.trigger()
        settings = await until(
            lambda: isinstance(reelbox.actions.dialog, SettingsDialog) and reelbox.actions.dialog,
            what="the settings dialog",
        )
        await until(lambda: settings.secrets is not None, what="the secrets")
        assert settings.password.text() == generated
        assert "cannot keep secrets" in settings.keyring_note.text()
        assert not settings.keyring_note.isHidden()
        settings.show_password.click()
        assert settings.password.echoMode() == QLineEdit.EchoMode.Normal
        settings.password.setText("my own pass:word")
        click(settings.buttons, QDialogButtonBox.StandardButton.Ok)
        await until(lambda: reelbox.actions.dialog is None, what="the settings to apply")

        async with httpx.AsyncClient(timeout=10) as client:
            typed = await client.get(base + "api/health", auth=("reelbox", "my own pass:word"))
            old = await client.get(base + "api/health", auth=("reelbox", generated))
        assert (typed.status_code, old.status_code) == (200, 401)
        # the panel shows the password the user chose, for as long as the app runs
        dialog = await open_connect(reelbox, reelbox.window.connect_action.trigger)
        assert dialog.password.text() == "my own pass:word"
        dialog.reject()

    assert run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)[0] == 0


PLAYER = """\
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(sys.argv[2:]) + "\\n")
"""


def test_play_starts_the_chosen_player_and_copy_url_gives_a_url_the_share_serves(
    qapp, make_core, tmp_path
):
    video = tmp_path / "home video.mkv"
    video.write_bytes(bytes(range(256)) * 4096)
    script, calls = tmp_path / "player.py", tmp_path / "calls.txt"
    script.write_text(PLAYER, encoding="utf-8")
    player = f"'{sys.executable}' '{script}' '{calls}'"

    def played() -> list[list[str]]:
        text = calls.read_text(encoding="utf-8") if calls.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    async def scenario(reelbox):
        core = reelbox.core
        movie = await asyncio.to_thread(core.library.add_movie, "Amélie", 2001)
        await asyncio.to_thread(core.assign_local_file, video, "movie", movie.id)
        await reelbox.reload_library_now()
        page = reelbox.movies_page
        page.view.select_movie(movie.id)
        detail = page.detail
        await until(lambda: detail.play_button.isEnabled(), what="Play to be enabled")

        detail.play_button.click()
        await until(lambda: len(played()) == 1, what="the player to start")
        (playlist,) = played()[0]  # a private .m3u: no password on a command line
        assert stat.S_IMODE(os.stat(playlist).st_mode) == 0o600
        lines = Path(playlist).read_text(encoding="utf-8").splitlines()
        assert lines[:2] == ["#EXTM3U", "#EXTINF:-1,Amélie (2001)"]
        url = lines[2]
        assert url.startswith(f"http://reelbox:{core.share_password()}@127.0.0.1:")
        assert "Am%C3%A9lie%20%282001%29.mkv" in url
        async with httpx.AsyncClient(timeout=10) as client:
            whole = await client.get(url)
            assert whole.status_code == 200 and whole.content == video.read_bytes()

            QGuiApplication.clipboard().clear()
            detail.copy_url_button.click()
            copied = await until(lambda: QGuiApplication.clipboard().text(), what="the URL")
            assert copied == url  # the share listens on loopback only: the same address
            part = await client.get(copied, headers={"Range": "bytes=256-511"})
            assert part.status_code == 206 and part.content == bytes(range(256))

        # a double-click on the movie plays it too
        grid = page.view.grid
        index = grid.currentIndex()
        point = grid.visualRect(index).center()
        # a press first: Qt takes a double-click on the index the press was on
        QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=point)
        QTest.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=point)
        await until(lambda: len(played()) == 2, what="the player to start again")
        assert played()[1] == [playlist]
        assert Path(playlist).read_text(encoding="utf-8").splitlines()[2] == url

    core = make_core(**{"share.enabled": "on", "ui.player": player})
    assert run_app(qapp, core, scenario)[0] == 0


def test_the_steps_show_a_user_name_with_markup_characters_as_text():
    from PySide6.QtGui import QTextDocument

    from ui.dialogs.connect_dialog import steps

    for text in steps("192.168.1.5", "8484", "http://192.168.1.5:8484/", "a<b>&c").values():
        document = QTextDocument()
        document.setHtml(text)
        assert "a<b>&c" in document.toPlainText()
