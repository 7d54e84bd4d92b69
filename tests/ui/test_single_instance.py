"""One running copy per data dir: a second launch hands its links over and exits; the
running window asks which item a handed-over link is for."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from PySide6.QtCore import QDir
from PySide6.QtWidgets import QDialogButtonBox

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.app import run_gui
from ui.dialogs.item_chooser import ItemChooserDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.single_instance import InstanceServer, hand_off, server_name

MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20


def test_second_launch_hands_links_to_the_first(qtbot, tmp_path):
    name = server_name(tmp_path / "data")
    assert name != server_name(tmp_path / "other")  # another data dir, another copy
    server = InstanceServer(name)
    try:
        assert server.listening
        with qtbot.waitSignal(server.links_received, timeout=5000) as received:
            assert hand_off(name, [MAGNET, "/tmp/x.torrent"])
        assert received.args == [[MAGNET, "/tmp/x.torrent"]]
    finally:
        server.close()
    assert not hand_off(name, [MAGNET])  # nobody listens any more


def test_a_stale_socket_from_a_crashed_copy_is_replaced(qtbot, tmp_path):
    name = server_name(tmp_path / "crashed")
    path = Path(QDir.tempPath()) / name
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # bound, never listening, never removed: like a killed copy
    stale.close()
    assert path.exists()
    server = InstanceServer(name)
    try:
        assert server.listening
        with qtbot.waitSignal(server.links_received, timeout=5000):
            assert hand_off(name, [])
    finally:
        server.close()
        if path.exists():
            os.unlink(path)


def test_run_gui_hands_off_before_building_a_core(qtbot, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    server = InstanceServer(server_name(data_dir))

    def no_core():
        raise AssertionError("a second launch must not build a core")

    try:
        monkeypatch.chdir(tmp_path)  # a relative .torrent path means this launch's folder
        with qtbot.waitSignal(server.links_received, timeout=5000) as received:
            assert run_gui(no_core, [MAGNET, "heat.torrent"], data_dir=data_dir) == 0
        assert received.args == [[MAGNET, str(tmp_path / "heat.torrent")]]
    finally:
        server.close()


def test_handed_over_link_asks_for_the_item_then_assigns(qapp, make_core, tmp_path):
    files = {"Heat.1995.720p/Heat.1995.720p.mkv": 2 * MiB}
    with Seeder(tmp_path / "seed", files, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            core = reelbox.core
            await asyncio.to_thread(core.library.add_movie, "Alien", 1979)
            movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
            await until(lambda: len(reelbox.snapshot.movies) == 2, what="the library")
            reelbox.window.hide()
            reelbox.receive_links([seeder.magnet])
            assert reelbox.window.isVisible()  # a handed-over link brings the window up
            ask = await until(
                lambda: (
                    isinstance(reelbox.actions.dialog, ItemChooserDialog) and reelbox.actions.dialog
                ),
                what="the question which item",
            )
            assert ask.chosen().id == movie.id  # the magnet's name preselected Heat
            ask.accept()
            choose = await until(
                lambda: (
                    reelbox.actions.flow is not None
                    and isinstance(reelbox.actions.flow.dialog, MovieFileDialog)
                    and reelbox.actions.flow.dialog
                ),
                20,
            )
            click(choose.buttons, QDialogButtonBox.StandardButton.Ok)
            assignment = await until(lambda: core.library.active_assignment("movie", movie.id))
            assert assignment.info_hash == seeder.info_hash

        assert run_app(qapp, make_core(), scenario)[0] == 0
