"""The real app (core + window) starts on a temporary data dir and quits cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from app import settings as settings_file
from tests.ui.conftest import loopback_overrides, run_app, until

ROOT = Path(__file__).resolve().parents[2]


def test_window_opens_shows_library_and_quits_when_closed(qapp, make_core, paths):
    core = make_core(**{"share.enabled": "on"})

    async def scenario(reelbox):
        window = reelbox.window
        assert window.windowTitle() == "Reelbox"
        assert window.isVisible()
        # first start: most of the screen, not Qt's small default
        screen = window.screen().availableGeometry()
        assert window.width() >= min(1280, int(screen.width() * 0.9))
        assert window.height() >= min(820, int(screen.height() * 0.9))
        # The share's URL is in the status bar as soon as the core runs.
        assert window.status.share.text().startswith("http://127.0.0.1:")
        await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
        model = reelbox.movies_model
        await until(lambda: [row.title for row in model.rows] == ["Heat"], what="the new movie")
        window.show_page("torrents")
        window.resize(900, 600)
        window.close()  # no tray offscreen: closing quits
        await until(lambda: not window.isVisible(), what="the window to close")

    code, _ = run_app(qapp, core, scenario)
    assert code == 0
    assert core.torrents is not None and core.library is not None
    saved = settings_file.load(paths.settings_file)
    assert saved.ui.last_view == "torrents"
    assert saved.ui.geometry


def test_a_taken_share_port_leaves_the_library_usable_and_says_why(qapp, make_core):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        core = make_core(**{"share.enabled": "on", "share.port": str(port)})

        async def scenario(reelbox):
            status = reelbox.window.status.share.label.text()
            assert status.startswith("Share off:") and f"port {port}" in status, status
            await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
            rows = lambda: [row.title for row in reelbox.movies_model.rows]  # noqa: E731
            await until(lambda: rows() == ["Heat"], what="the new movie")

        assert run_app(qapp, core, scenario)[0] == 0


def test_a_damaged_library_is_replaced_and_the_window_says_so(qapp, make_core, paths):
    from PySide6.QtWidgets import QMessageBox

    paths.database_file.write_bytes(b"not a database" * 300)
    core = make_core()

    async def scenario(reelbox):
        (box,) = await until(
            lambda: reelbox.window.findChildren(QMessageBox), what="the notice about the library"
        )
        assert box.isVisible() and box.icon() == QMessageBox.Icon.Warning
        (copy,) = paths.data_dir.glob("library.db.damaged-*")
        text = box.text()
        assert "was damaged" in text and "empty library" in text and str(copy) in text, text
        # the fresh library works
        await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
        rows = lambda: [row.title for row in reelbox.movies_model.rows]  # noqa: E731
        await until(lambda: rows() == ["Heat"], what="the new movie")
        return copy

    code, copy = run_app(qapp, core, scenario)
    assert code == 0
    assert copy.read_bytes() == b"not a database" * 300


def test_window_remembers_its_page_layout_and_size(qapp, make_core):
    async def first(reelbox):
        reelbox.window.show_page("sync")
        reelbox.movies_page.view.set_layout("list")
        reelbox.window.resize(780, 500)  # the offscreen screen is 800x600

    assert run_app(qapp, make_core(), first)[0] == 0

    async def second(reelbox):
        return (
            reelbox.window.current_page,
            reelbox.movies_page.view.layout_name,
            reelbox.window.size().width(),
        )

    code, (page, layout, width) = run_app(qapp, make_core(), second)
    assert code == 0
    assert (page, layout, width) == ("sync", "list", 780)


def test_main_runs_the_window_and_stops_cleanly_on_sigterm(tmp_path):
    args = [sys.executable, str(ROOT / "main.py"), "--data-dir", str(tmp_path / "home")]
    for name, value in loopback_overrides().items():
        args += ["--set", f"{name}={value}"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines = []
    try:
        deadline = time.monotonic() + 30
        for line in process.stderr:
            lines.append(line)
            if "Reelbox window ready" in line or time.monotonic() > deadline:
                break
        assert any("Reelbox window ready" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(lines) + rest
    assert "Reelbox stopped cleanly" in rest


def test_quitting_with_a_dialog_open_closes_it_and_stops_cleanly(qapp, make_core):
    from ui.dialogs.add_dialog import AddDialog

    async def scenario(reelbox):
        reelbox.movies_page.view.add_button.click()
        dialog = await until(
            lambda: isinstance(reelbox.actions.dialog, AddDialog) and reelbox.actions.dialog
        )
        dialog.finished.connect(lambda _result: closed.append(True))
        reelbox.window.quit_action.trigger()  # File > Quit while the dialog waits
        return dialog

    closed: list[bool] = []
    code, dialog = run_app(qapp, make_core(), scenario)
    assert code == 0
    # closed by the quit itself, not only deleted with the window when run_app returns
    assert closed == [True]


def test_app_icon_comes_from_the_shipped_resources(qapp):
    from ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 32, 256):
        assert not icon.pixmap(size, size).isNull()


def test_library_changes_during_shutdown_start_nothing_after_the_loop(qapp, qtbot, make_core):
    async def scenario(reelbox):
        # A write right before quitting: its refresh is due after the loop has stopped.
        await asyncio.to_thread(reelbox.core.library.add_movie, "Heat", 1995)
        reelbox.quit()
        return reelbox

    code, reelbox = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert not reelbox._reload_timer.isActive()
    qtbot.wait(400)  # past the refresh delay: pytest-qt fails on any error in a Qt callback


def test_the_display_going_away_still_stops_the_core(qapp, make_core, paths):
    from PySide6.QtCore import QTimer

    from ui.app import run_gui

    core = make_core()

    def quit_once_running():
        if core.sync is not None:
            qapp.exit(1)  # what Qt does when the X server dies under it
        else:
            QTimer.singleShot(50, quit_once_running)

    QTimer.singleShot(50, quit_once_running)
    assert run_gui(lambda: core, [], data_dir=paths.data_dir) == 1
    # the core was stopped: its data folder is free for the next start
    again = make_core()
    again.start()
    again.stop()


def test_a_slow_share_tree_rebuild_never_freezes_the_window(qapp, make_core, monkeypatch):
    from PySide6.QtCore import QTimer

    from app.share import live
    from tests.app.share.test_tree import assign

    core = make_core(**{"share.enabled": "on"})
    building, release = threading.Event(), threading.Event()
    events: list[str] = []
    real_build = live.build_tree

    def slow_build(*args, **kwargs):
        if not building.is_set():  # the first rebuild waits for the window's event loop
            building.set()
            # the timeout only ends a failing test: the Qt thread should set it
            events.append("rebuild released" if release.wait(10) else "rebuild gave up")
        return real_build(*args, **kwargs)

    def add_heat():
        movie = core.library.add_movie("Heat", 1995)
        assign(core.library, "movie", movie.id)

    async def scenario(reelbox):
        monkeypatch.setattr(live, "build_tree", slow_build)
        await asyncio.to_thread(add_heat)
        await until(building.is_set, what="the share tree rebuild to start")

        def tick():
            events.append("qt event loop turned")
            timer.stop()
            release.set()

        timer = QTimer(interval=0)  # fires only while the Qt thread runs its event loop
        timer.timeout.connect(tick)
        timer.start()
        await reelbox.reload_library_now()
        shared = lambda: [  # noqa: E731
            row.source and row.source.share_path for row in reelbox.snapshot.movies
        ]
        await until(lambda: shared() == ["Movies/Heat (1995)/Heat (1995).mkv"], what="Heat")
        assert [row.title for row in reelbox.movies_model.rows] == ["Heat"]

    assert run_app(qapp, core, scenario)[0] == 0
    assert events == ["qt event loop turned", "rebuild released"]


def test_reload_now_during_a_load_returns_once_the_views_show_the_change(
    qapp, make_core, monkeypatch
):
    # A reload asked for while another load runs used to return at once, before the views
    # had the library's current state (a test typing a search right after saw no rows).
    from ui import app as ui_app

    first_load_may_finish = threading.Event()
    calls: list[int] = []
    real_load = ui_app._load_snapshot

    def held_load(core):
        calls.append(len(calls))
        if len(calls) == 1:
            first_load_may_finish.wait(10)
        return real_load(core)

    async def scenario(reelbox):
        await until(lambda: reelbox.started, what="the app to start")
        monkeypatch.setattr(ui_app, "_load_snapshot", held_load)
        first = asyncio.ensure_future(reelbox.reload_library_now())
        await until(lambda: calls, what="the first load to start")
        await asyncio.to_thread(reelbox.core.library.add_movie, "Heat", 1995)
        second = asyncio.ensure_future(reelbox.reload_library_now())
        await asyncio.sleep(0)
        assert not second.done()  # it waits for the load in flight (and the one after it)
        first_load_may_finish.set()
        await second
        titles = [row.title for row in reelbox.movies_model.rows]
        await first
        return titles

    code, titles = run_app(qapp, make_core(), scenario)
    assert code == 0
    assert titles == ["Heat"]
