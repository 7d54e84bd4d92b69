"""Settings → Debrid on the real window against the loopback Real-Debrid: a pasted token
(refused, then accepted and the account shown), the device login (code shown, approved,
tokens kept in the keyring; cancelled; expired), the account's settings saved with the
others, Log out, and a keyring that keeps nothing said as such."""

from __future__ import annotations

import asyncio

import keyring
import pytest
from keyring.backends.null import Keyring as NullKeyring
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QMessageBox

from app import settings as settings_file
from app.debrid import realdebrid as client_module
from app.secrets import REALDEBRID_CLIENT_SECRET, REALDEBRID_REFRESH, REALDEBRID_TOKEN
from tests.support import realdebrid
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click, pick
from ui.dialogs.settings_dialog import SettingsDialog


@pytest.fixture
def rd(monkeypatch):
    with realdebrid.serve() as service:
        monkeypatch.setattr(client_module, "API_URL", service.api_url)
        monkeypatch.setattr(client_module, "OAUTH_URL", service.oauth_url)
        yield service


async def open_debrid_tab(reelbox):
    reelbox.window.settings_action.trigger()
    dialog = await until(
        lambda: isinstance(reelbox.actions.dialog, SettingsDialog) and reelbox.actions.dialog,
        what="the settings dialog",
    )
    dialog.tabs.setCurrentWidget(dialog.debrid)
    tab = dialog.debrid
    await until(lambda: tab.task is not None and tab.task.done(), what="the account's state")
    return dialog, tab


async def close(reelbox, dialog) -> None:
    dialog.reject()
    await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")


async def idle(tab) -> None:
    await until(lambda: tab.task.done(), what="the tab's step to end")


def test_a_pasted_token_is_checked_kept_and_logged_out(qapp, make_core, paths, rd, memory_keyring):
    key = ("Reelbox", REALDEBRID_TOKEN)

    async def scenario(reelbox):
        core = reelbox.core
        core.library.add_movie("Heat", 1995)
        rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", 1000)])
        dialog, tab = await open_debrid_tab(reelbox)
        assert tab.account.text().startswith("Not logged in")
        assert not tab.logout_button.isEnabled()
        tab.token.setText("not-the-token")
        assert tab.token.echoMode() == QLineEdit.EchoMode.Password
        tab.show_token.click()
        assert tab.token.echoMode() == QLineEdit.EchoMode.Normal
        tab.use_token.click()
        await idle(tab)
        assert "token is invalid" in tab.account.text()
        assert key not in memory_keyring.store and "debrid" not in core.sync.names()

        tab.token.setText(realdebrid.TOKEN)
        tab.use_token.click()
        await idle(tab)
        assert tab.account.text().startswith(
            "Logged in as loopback: premium until 2027-01-01. Saved"
        )
        assert memory_keyring.store[key] == realdebrid.TOKEN
        assert "debrid" in core.sync.names()
        assert tab.token.text() == "" and tab.logout_button.isEnabled()
        await until(
            lambda: core.library.active_assignment("movie", 1) is not None, what="Heat matched"
        )

        # the account's settings are saved with the others
        tab.fields["debrid.check_seconds"].setText("2")
        click(dialog.buttons, QDialogButtonBox.StandardButton.Apply)
        assert "between 5 and 3600" in tab.errors["debrid.check_seconds"].text()
        tab.fields["debrid.check_seconds"].setText("30")
        tab.fields["debrid.add_unmatched"].setChecked(True)
        click(dialog.buttons, QDialogButtonBox.StandardButton.Apply)
        await until(lambda: dialog.status.text().startswith("Saved"), what="the settings")
        assert core.sync_manager.source("debrid").check_seconds == 30
        saved = settings_file.load(paths.settings_file).debrid
        assert (saved.check_seconds, saved.add_unmatched) == (30, True)

        tab.logout_button.click()
        box = await until(lambda: tab.dialog, what="the logout question")
        box.button(QMessageBox.StandardButton.Yes).click()
        await idle(tab)
        assert tab.account.text().startswith("Logged out; 1 file left the share")
        assert key not in memory_keyring.store and "debrid" not in core.sync.names()
        assert core.library.active_assignment("movie", 1) is None
        assert not tab.logout_button.isEnabled()
        await close(reelbox, dialog)

        dialog, tab = await open_debrid_tab(reelbox)  # reopened: logged out it stays
        assert tab.account.text().startswith("Not logged in")
        await close(reelbox, dialog)

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_device_login_approved_cancelled_and_expired(qapp, make_core, paths, rd, memory_keyring):
    rd.device_interval = 1

    async def scenario(reelbox):
        core = reelbox.core
        dialog, tab = await open_debrid_tab(reelbox)

        tab.login_button.click()
        await until(lambda: tab.user_code.text() == "ABCD1234", what="the code")
        assert tab.device_box.isVisible() and not tab.login_button.isEnabled()
        assert 'href="https://real-debrid.com/device"' in tab.code_hint.text()
        tab.copy_code.click()
        assert QGuiApplication.clipboard().text() == "ABCD1234"
        rd.approve()
        await idle(tab)
        assert tab.account.text().startswith("Logged in as loopback: premium until 2027-01-01")
        assert not tab.device_box.isVisible()
        store = memory_keyring.store
        assert store[("Reelbox", REALDEBRID_TOKEN)] in rd.access
        assert store[("Reelbox", REALDEBRID_REFRESH)] == "REFRESH"
        assert store[("Reelbox", REALDEBRID_CLIENT_SECRET)] == "SECRET"
        assert core.debrid.auth is not None and "debrid" in core.sync.names()
        assert settings_file.load(paths.settings_file).debrid.token_expires > 0

        rd.approved = False
        asked = len(rd.requests_to("/oauth/v2/device/code"))
        tab.login_button.click()
        await until(lambda: tab.user_code.text() == "ABCD0002", what="a second code")
        tab.cancel_button.click()
        await idle(tab)
        assert tab.account.text() == "Stopped; nothing was saved."
        assert not tab.device_box.isVisible() and tab.login_button.isEnabled()
        assert len(rd.requests_to("/oauth/v2/device/code")) == asked + 1
        assert store[("Reelbox", REALDEBRID_REFRESH)] == "REFRESH"  # the login kept

        rd.device_expires_in = 1  # the next code lapses before it is entered
        tab.login_button.click()
        await idle(tab)
        assert tab.account.text().startswith("The code expired before it was entered")
        assert store[("Reelbox", REALDEBRID_REFRESH)] == "REFRESH"
        await close(reelbox, dialog)

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_a_keyring_that_keeps_nothing_is_said(qapp, make_core, rd):
    keyring.set_keyring(NullKeyring())  # `keyring --disable`; the autouse fixture restores

    async def scenario(reelbox):
        dialog, tab = await open_debrid_tab(reelbox)
        tab.token.setText(realdebrid.TOKEN)
        tab.use_token.click()
        await idle(tab)
        assert tab.account.text().startswith("Logged in as loopback")
        assert not tab.keyring_note.isHidden()
        assert "until Reelbox quits" in tab.keyring_note.text()
        await close(reelbox, dialog)

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_the_sync_view_shows_the_account_its_failing_torrents_and_assigns_a_file(
    qapp, make_core, rd
):
    from app.library.models import Assignment
    from ui.sync.sources_table import SOURCE

    rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", 1000)])
    rd.add("Home.Video.2020", [("/Home.Video.2020.mkv", 500)])
    rd.add("Broken.Upload", [("/x.mkv", 1)], status="magnet_error")

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        core.library.add_movie("Heat", 1995)
        matrix = core.library.add_movie("The Matrix", 1999)
        await asyncio.to_thread(core.set_debrid_token, realdebrid.TOKEN)
        run = await core.sync.run("debrid", "manual")
        assert run.outcome == "ok", run.error
        reelbox.window.show_page("sync")
        await until(lambda: "debrid" in view.table.names, what="the account's row")
        view.table.select("debrid")
        await until(lambda: view.detail.files, what="the unmatched files")
        assert view.table.cell("debrid", SOURCE) == "Real-Debrid account loopback"
        line = view.detail.account_line.text()
        assert line.startswith("Real-Debrid account loopback: premium until 2027-01-01, last check")
        assert "last change" in line and line.endswith("3 torrents")
        assert view.detail.failing.text() == (
            "Failing torrents (1):\nBroken.Upload: magnet_error, the magnet could not be converted"
        )
        assert [f["path"] for f in view.detail.files] == ["Home.Video.2020/Home.Video.2020.mkv"]
        assert view.detail.add_new_button.isHidden()  # the account adds them itself (option)
        reelbox.window.resize(800, 560)

        # Assign… offers the window's movies: once they are loaded
        await until(lambda: len(reelbox.snapshot.movies) == 2, what="the movies in the window")
        view.detail.unmatched.selectRow(0)
        view.detail.assign_button.click()
        chooser = await until(lambda: view.chooser.dialog, what="the item choice")
        pick(chooser, "matrix")
        await until(lambda: "now plays from" in view.message.text(), what="the assignment")
        row = core.library.active_assignment("movie", matrix.id)
        assert (row.source_kind, row.file_path) == ("debrid", "Home.Video.2020/Home.Video.2020.mkv")
        assert Assignment.select().where(Assignment.source_kind == "debrid").count() == 2
        await until(lambda: not view.detail.files, what="the file to leave the unmatched list")

    assert run_app(qapp, make_core(), scenario)[0] == 0
