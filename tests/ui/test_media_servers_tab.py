"""The Settings dialog's Media servers tab on the real app: a target typed in, tested against
a loopback Jellyfin before saving, saved with its token in the keyring, then removed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from app import settings as settings_file
from app.notify.targets import token_key
from app.settings import NotifyTarget
from tests.support.media_servers import serve
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from tests.ui.test_settings_dialog import open_settings
from ui.dialogs import media_servers as tab

OK = QDialogButtonBox.StandardButton.Ok


def test_a_target_is_tested_as_typed_saved_with_its_token_and_removed(
    qapp, make_core, paths, memory_keyring
):
    async def scenario(reelbox):
        core = reelbox.core
        dialog = await open_settings(reelbox)
        media = dialog.media_servers
        row = media.add_row(None)
        table = media.table
        table.cellWidget(row, tab.NAME).setText("den")
        table.cellWidget(row, tab.KIND).setCurrentText("jellyfin")
        table.cellWidget(row, tab.WHERE).setText("not an address")
        table.cellWidget(row, tab.PATH_TO).setText("/mnt/reelbox")
        table.cellWidget(row, tab.TOKEN).setText("den-token")
        result = table.cellWidget(row, tab.RESULT)
        table.cellWidget(row, tab.TEST).click()
        assert "expected the server's address" in result.text()
        click(dialog.buttons, OK)  # refused: the dialog stays, the tab shows why
        assert dialog.isVisible()
        assert dialog.tabs.currentWidget() is media
        assert "expected the server's address" in media.error.text()
        table.cellWidget(row, tab.WHERE).setText(jellyfin.url)
        table.cellWidget(row, tab.TEST).click()
        await until(lambda: result.text().startswith("OK"), what="the test's result")
        assert result.text() == "OK: 2 folders sent"
        (request,) = jellyfin.requests
        assert request.headers["authorization"] == 'MediaBrowser Token="den-token"'
        assert [u["Path"] for u in request.json()["Updates"]] == [
            "/mnt/reelbox/Movies",
            "/mnt/reelbox/TV Shows",
        ]
        click(dialog.buttons, OK)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        saved = NotifyTarget("den", "jellyfin", url=jellyfin.url, path_to="/mnt/reelbox")
        assert core.settings.notify.targets == (saved,)
        assert core.notifier.targets == (saved,)
        assert settings_file.load(paths.settings_file).notify.targets == (saved,)
        assert "den-token" not in paths.settings_file.read_text()
        assert memory_keyring.store[("Reelbox", token_key("den"))] == "den-token"
        # reopened: the row and its token are back; removed, the token leaves the keyring
        dialog = await open_settings(reelbox)
        media = dialog.media_servers
        assert media.table.cellWidget(0, tab.TOKEN).text() == "den-token"
        # the last delivery is shown: the saved target's own test, through the notifier
        await core.notifier.test("den")
        dialog.reject()
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        dialog = await open_settings(reelbox)
        media = dialog.media_servers
        assert media.table.cellWidget(0, tab.RESULT).text().startswith("Last (")
        assert media.table.cellWidget(0, tab.RESULT).text().endswith("OK: 2 folders sent")
        media.table.selectRow(0)
        media.remove_button.click()
        click(dialog.buttons, OK)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        assert core.settings.notify.targets == ()
        assert ("Reelbox", token_key("den")) not in memory_keyring.store

    with serve("jellyfin") as jellyfin:
        run_app(qapp, make_core(), scenario)
