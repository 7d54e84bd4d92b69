"""The Settings dialog: bad values are shown beside their fields and never saved; good ones
are saved and only the parts whose settings changed restart; secrets go to the keyring."""

from __future__ import annotations

import asyncio
import socket
import threading

import keyring
import shiboken6
from keyring.backend import KeyringBackend
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from app import settings as settings_file
from tests.support.loopback import free_port
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.dialogs.settings_dialog import TMDB_KEY_URL, TMDB_KEY_WIDTH, SettingsDialog

OK = QDialogButtonBox.StandardButton.Ok


async def open_dialog(reelbox):
    reelbox.window.settings_action.trigger()
    return await until(
        lambda: isinstance(reelbox.actions.dialog, SettingsDialog) and reelbox.actions.dialog,
        what="the settings dialog",
    )


async def open_settings(reelbox):
    """The dialog, once the secrets it reads in a worker have arrived."""
    dialog = await open_dialog(reelbox)
    await until(lambda: dialog.secrets is not None, what="the secrets")
    return dialog


def test_invalid_values_are_shown_and_not_saved_then_valid_ones_apply(
    qapp, qtbot, make_core, paths
):
    async def scenario(reelbox):
        core = reelbox.core
        engine = core.torrents
        dialog = await open_settings(reelbox)
        fields, errors = dialog.fields, dialog.errors
        fields["torrents.connections_limit"].setText("1")
        fields["share.port"].setText("99999")
        fields["share.bind_address"].setText("my-laptop")
        click(dialog.buttons, OK)
        assert dialog.isVisible()  # nothing applied, the dialog stays
        assert "between 2 and 65535" in errors["torrents.connections_limit"].text()
        assert not errors["torrents.connections_limit"].isHidden()
        assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Share"  # the first problem
        assert "between 1 and 65535" in errors["share.port"].text()
        assert "not an IP address" in errors["share.bind_address"].text()
        assert errors["torrents.active_limit"].isHidden()
        assert not paths.settings_file.exists()  # nothing was saved
        for name, value in {
            "torrents.connections_limit": "120",
            "share.port": str(core.settings.share.port),
            "share.bind_address": "127.0.0.1",
            "torrents.upload_rate_limit_kib": "500",
        }.items():
            fields[name].setText(value)
        qtbot.keyClicks(dialog.tmdb_key, "0123456789abcdef0123456789abcdef")
        click(dialog.buttons, OK)
        await until(
            lambda: reelbox.actions.dialog is None, what="the dialog to close after applying"
        )
        assert core.settings.torrents.connections_limit == 120
        assert core.settings.torrents.upload_rate_limit_kib == 500
        assert core.torrents is engine  # settings applied live, the engine was not rebuilt
        saved = settings_file.load(paths.settings_file)
        assert saved.torrents.connections_limit == 120
        assert saved.torrents.dht is True  # the test's --set overrides are never written
        assert core.tmdb_key() == "0123456789abcdef0123456789abcdef"
        assert core.tmdb is not None and reelbox.posters.cache.client is core.tmdb
        # Reopened, the dialog shows what was saved.
        dialog = await open_settings(reelbox)
        assert dialog.fields["torrents.connections_limit"].text() == "120"
        assert dialog.tmdb_key.text() == "0123456789abcdef0123456789abcdef"
        click(dialog.buttons, QDialogButtonBox.StandardButton.Cancel)

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_changing_the_share_port_restarts_only_the_share(qapp, make_core):
    from tests.ui.conftest import free_port

    async def scenario(reelbox):
        core = reelbox.core
        engine, old_url = core.torrents, reelbox.window.status.share.text()
        assert old_url.startswith("http://127.0.0.1:")
        old_port = core.share.port
        dialog = await open_settings(reelbox)
        assert dialog.api_token.text() == core.api_token()
        with socket.socket() as holder:  # a port another program holds: said, nothing lost
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            dialog.fields["share.port"].setText(str(taken))
            click(dialog.buttons, OK)
            await until(lambda: "Could not apply" in dialog.status.text(), what="the error")
        assert f"port {taken}" in dialog.status.text() and dialog.isVisible()
        assert core.share.port == old_port and reelbox.window.status.share.text() == old_url
        new_port = free_port()
        dialog.fields["share.port"].setText(str(new_port))
        click(dialog.buttons, OK)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        assert core.share.port == new_port
        assert reelbox.window.status.share.text() == f"http://127.0.0.1:{new_port}/"
        assert core.torrents is engine

    assert run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)[0] == 0


class SlowKeyring(KeyringBackend):
    """The test's memory keyring, where each call waits until the Qt event loop lets it go,
    as a D-Bus keyring that takes seconds (or waits for an unlock prompt) would."""

    priority = 1

    def __init__(self, store: KeyringBackend) -> None:
        super().__init__()
        self.store = store
        self._lock = threading.Lock()
        self._waiting: list[threading.Event] = []
        self.calls: list[tuple[str, str, bool]] = []  # (call, thread, released by Qt)
        self.held = False  # while True, the timer lets no call go

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def release_waiting(self) -> None:
        """A QTimer's slot: it runs only while the Qt thread turns its event loop."""
        if self.held:
            return
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for call in waiting:
            call.set()

    def _wait(self, call: str) -> None:
        released = threading.Event()
        with self._lock:
            self._waiting.append(released)
        # Only the Qt loop lets a call go; the timeout only ends a failing test.
        answered = released.wait(5)
        self.calls.append((call, threading.current_thread().name, answered))

    def get_password(self, service: str, username: str) -> str | None:
        self._wait("get")
        return self.store.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait("set")
        self.store.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._wait("delete")
        self.store.delete_password(service, username)


def test_a_slow_keyring_never_freezes_the_dialog(qapp, make_core, memory_keyring):
    from PySide6.QtCore import QTimer

    old_key, new_key = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

    async def scenario(reelbox):
        core = reelbox.core
        await asyncio.to_thread(core.set_tmdb_key, old_key)
        password = await asyncio.to_thread(core.share_password)
        slow = SlowKeyring(memory_keyring)
        slow.held = True
        keyring.set_keyring(slow)
        timer = QTimer(interval=10)
        timer.timeout.connect(slow.release_waiting)
        timer.start()
        dialog = await open_dialog(reelbox)
        await until(slow.waiting, what="a keyring call")
        # The dialog is up while the keyring has not answered; its secret fields wait.
        assert not dialog.tmdb_key.isEnabled() and not dialog.password.isEnabled()
        assert dialog.isVisible() and dialog.secrets is None
        assert dialog.fields["share.port"].isEnabled()
        slow.held = False
        await until(lambda: dialog.secrets is not None, what="the secrets")
        assert dialog.tmdb_key.isEnabled() and dialog.tmdb_key.text() == old_key
        assert dialog.password.isEnabled() and dialog.password.text() == password
        assert dialog.api_token.text() == memory_keyring.get_password("Reelbox", "api_token")
        dialog.tmdb_key.setText(new_key)
        dialog.password.setText("a new password")
        click(dialog.buttons, OK)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        timer.stop()
        keyring.set_keyring(memory_keyring)
        return slow.calls

    calls = run_app(qapp, make_core(), scenario)[1]
    assert {call for call, _, _ in calls} == {"get", "set"}
    # Every keyring call waited in a worker thread while the Qt loop went on (and let it go).
    assert [(call, thread) for call, thread, answered in calls if not answered] == []
    assert "MainThread" not in {thread for _, thread, _ in calls}
    assert memory_keyring.get_password("Reelbox", "tmdb_api_key") == new_key
    assert memory_keyring.get_password("Reelbox", "share_password") == "a new password"


def test_closing_the_dialog_while_it_applies_loses_nothing(qapp, make_core):
    async def scenario(reelbox):
        core = reelbox.core
        release = threading.Event()
        real_update = core.update_settings

        def slow_update(new):
            release.wait(30)
            return real_update(new)

        core.update_settings = slow_update
        dialog = await open_settings(reelbox)
        dialog.fields["torrents.connections_limit"].setText("77")
        dialog.password.setText("typed-before-closing")
        click(dialog.buttons, OK)  # applies in a worker, then would close
        applying = dialog.applied
        dialog.reject()  # the user closes it meanwhile: the window deletes it
        await until(lambda: not shiboken6.isValid(dialog), what="the dialog to be deleted")
        release.set()
        await asyncio.wait_for(asyncio.shield(applying), 30)
        assert applying.exception() is None  # not "Internal C++ object already deleted"
        assert core.settings.torrents.connections_limit == 77
        # what was typed is applied too, though the fields were gone when it was saved
        assert core.share_password() == "typed-before-closing"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_torrent_network_settings_browse_and_the_tmdb_key_link(qapp, make_core, tmp_path):
    async def scenario(reelbox):
        core = reelbox.core
        engine = core.torrents
        dialog = await open_settings(reelbox)
        fields = dialog.fields
        # port and discovery are there, showing the settings (off in tests: no LAN traffic)
        for name in ("torrents.dht", "torrents.lsd", "torrents.upnp", "torrents.natpmp"):
            assert fields[name].isChecked() is core.settings.get(name) is False
        # the TMDB key has room for a v4 token, and a link says where to get one
        dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(dialog.tmdb_key.parentWidget()))
        assert dialog.tmdb_key.width() >= TMDB_KEY_WIDTH
        assert TMDB_KEY_URL in dialog.tmdb_link.text() and dialog.tmdb_link.openExternalLinks()
        # Browse… opens a folder chooser; choosing a folder fills the field
        dialog.browse_button.click()
        chooser = await until(lambda: dialog.folder_dialog, what="the folder chooser")
        assert chooser.isVisible() and chooser.fileMode() == QFileDialog.FileMode.Directory
        chooser.fileSelected.emit(str(tmp_path))
        chooser.reject()
        assert fields["torrents.storage_dir"].text() == str(tmp_path)
        port = free_port()
        fields["torrents.listen_port"].setText(str(port))
        click(dialog.buttons, OK)
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to apply")
        assert core.settings.torrents.storage_dir == str(tmp_path)
        assert core.torrents is engine  # live, like the other torrent settings
        await until(lambda: engine.listen_port() == port, what="the new listen port")
        dialog = await open_settings(reelbox)
        assert dialog.listen_note.isHidden()
        dialog.reject()
        await until(lambda: reelbox.actions.dialog is None, what="the dialog to close")
        # a port another program holds: libtorrent takes the next one, and Settings says so
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        try:
            busy = taken.getsockname()[1]
            dialog = await open_settings(reelbox)
            dialog.fields["torrents.listen_port"].setText(str(busy))
            click(dialog.buttons, OK)
            await until(lambda: reelbox.actions.dialog is None, what="the dialog to apply")
            await until(lambda: engine.listen_note is not None, what="the note")
            dialog = await open_settings(reelbox)
            assert not dialog.listen_note.isHidden()
            assert f"port {busy} is in use" in dialog.listen_note.text()
            dialog.reject()
        finally:
            taken.close()

    assert run_app(qapp, make_core(), scenario)[0] == 0
