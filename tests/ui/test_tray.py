"""The tray: closing the window hides it only when a tray exists, the menu shows/hides the
window, pauses and resumes everything and quits, and finished downloads and errors notify.

The offscreen platform has no system tray, so the app builds none (closing quits: see
test_app.py); here a Tray is attached by hand to drive its menu like a user would."""

from __future__ import annotations

import asyncio

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from ui.tray import Tray


def test_tray_menu_and_close_to_tray(qapp, make_core, tmp_path, monkeypatch):
    files = {"Heat.1995.720p/Heat.1995.720p.mkv": 1 * MiB}
    with Seeder(tmp_path / "seed", files, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            core = reelbox.core
            tray = Tray(reelbox)
            tray.set_core(core)
            messages = []
            monkeypatch.setattr(tray, "showMessage", lambda *args: messages.append(args[:2]))
            reelbox.tray = tray
            window = reelbox.window
            window.close()
            assert not window.isVisible()  # hidden, still running
            assert reelbox._quit is not None and not reelbox._quit.is_set()
            tray.toggle_action.trigger()
            assert window.isVisible()
            tray.toggle_action.trigger()
            assert not window.isVisible()
            await asyncio.to_thread(core.torrents.add, seeder.magnet)
            # each applies only when it has something to do
            await until(
                lambda: tray.pause_action.isEnabled() and not tray.resume_action.isEnabled(),
                what="only Pause all enabled",
            )
            tray.pause_action.trigger()
            await until(lambda: core.torrents.status(seeder.info_hash).paused, what="pause all")
            await until(lambda: tray.resume_action.isEnabled(), what="Resume all enabled")
            assert not tray.pause_action.isEnabled()
            tray.resume_action.trigger()
            await until(lambda: not core.torrents.status(seeder.info_hash).paused)
            reelbox.events.torrent_event.emit("finished", seeder.info_hash)
            reelbox.events.torrent_event.emit("error", seeder.info_hash)
            assert [title for title, _text in messages][-2:] == [
                "Download finished",
                "Torrent error",
            ]
            tray.quit_action.trigger()
            assert reelbox._quit.is_set()

        assert run_app(qapp, make_core(), scenario)[0] == 0
