"""Add folder…: the "first scan is running" banner shows while that scan runs and gives way
to its result when it ends (the scan is held until the banner was seen, so the order is
checked, not the timing)."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QDialogButtonBox

from app.sync import folder_scan
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from ui.dialogs.folder_dialog import FolderDialog


def test_the_first_scan_banner_leaves_when_the_scan_ends(qapp, make_core, tmp_path, monkeypatch):
    folder = tmp_path / "Incoming"
    folder.mkdir()
    (folder / "home-video.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 4096)
    release = threading.Event()
    real_scan = folder_scan.scan

    def held_scan(root, exclude=()):
        assert release.wait(30), "the test never let the scan go"
        return real_scan(root, exclude)

    monkeypatch.setattr(folder_scan, "scan", held_scan)

    async def scenario(reelbox):
        view = reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        view.add_button.click()
        dialog = await until(lambda: isinstance(view.dialog, FolderDialog) and view.dialog)
        dialog.path.setText(str(folder))
        dialog.mode.setCurrentIndex(dialog.mode.findData("manual"))
        click(dialog.buttons, QDialogButtonBox.StandardButton.Ok)
        await until(lambda: "first scan is running" in view.message.text(), what="the banner")
        release.set()
        await until(lambda: "first scan done" in view.message.text(), what="the scan's end")
        return view.message.text()

    code, text = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert text == f"{folder}: first scan done: 1 added; 1 unmatched"
