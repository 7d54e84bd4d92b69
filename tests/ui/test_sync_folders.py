"""Watched folders from the Sync view, driven like a user: Add folder… (bad values shown
beside their field, nothing saved), the folder appears as a source and its file waits as
unmatched, Assign… links it to a movie (which then has a local source), a file that vanished
is reported in words, Remove folder forgets it; an unmatched .torrent goes through the
app's usual file choice."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from tests.support.swarm import KiB, MiB, make_files, make_torrent
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click, message_boxes, message_text, pick
from ui.dialogs.folder_dialog import FolderDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.sync.sources_table import MODE, NEXT, SOURCE, STATE

OK = QDialogButtonBox.StandardButton.Ok
CANCEL = QDialogButtonBox.StandardButton.Cancel


async def open_add_dialog(view) -> FolderDialog:
    view.add_button.click()
    return await until(lambda: isinstance(view.dialog, FolderDialog) and view.dialog, what="add")


async def folder_names(core) -> list[str]:
    records = await asyncio.to_thread(core.library.sync_sources)
    return [record.name for record in records if record.kind == "folder"]


def unmatched(view) -> list[str]:
    table = view.detail.unmatched
    return [table.item(row, 0).text() for row in range(table.rowCount())]


def test_bad_folder_values_are_shown_beside_their_field_and_nothing_is_saved(qapp, make_core):
    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        dialog = await open_add_dialog(view)
        assert [dialog.mode.itemData(i) for i in range(dialog.mode.count())] == [
            "watch",
            "poll",
            "manual",
        ]
        dialog.interval.setText("0.5")
        click(dialog.buttons, OK)
        assert dialog.isVisible()
        assert dialog.errors["path"].text() == "Choose a folder."
        assert "must be 0 or at least 1 minute" in dialog.errors["interval"].text()
        assert not dialog.errors["path"].isHidden() and not dialog.errors["interval"].isHidden()
        assert await folder_names(core) == []
        dialog.interval.setText("5000000000")  # too long: says what the limit is
        click(dialog.buttons, OK)
        assert "at most a year (525600 minutes)" in dialog.errors["interval"].text()
        assert await folder_names(core) == []
        click(dialog.buttons, CANCEL)
        await until(lambda: view.dialog is None, what="the dialog to close")
        assert await folder_names(core) == [] and view.table.names == ["tmdb"]

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_add_folder_assign_its_unmatched_file_then_remove_it(qapp, make_core, tmp_path):
    pytest.importorskip("app.sync.folders", reason="watched folders (FolderSource) not landed")
    folder = tmp_path / "Incoming"
    folder.mkdir()
    video = folder / "home-video.mkv"
    video.write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 4096)
    gone = folder / "clip.mkv"
    gone.write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 1024)

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        movie = await asyncio.to_thread(core.library.add_movie, "The Matrix", 1999)
        await reelbox.reload_library_now()
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")

        dialog = await open_add_dialog(view)
        dialog.path.setText(str(folder))
        dialog.mode.setCurrentIndex(dialog.mode.findData("poll"))
        dialog.interval.setText("5")
        click(dialog.buttons, OK)
        await until(lambda: view.dialog is None, what="the folder to be added")
        [name] = await folder_names(core)
        await until(lambda: name in view.table.names, what="the folder's row")
        assert view.table.cell(name, SOURCE) == str(folder)
        assert view.table.cell(name, MODE) == "poll"
        await until(lambda: view.table.selected() == name, what="the new folder selected")
        await until(lambda: sorted(unmatched(view)) == ["clip.mkv", "home-video.mkv"], 15)
        assert not view.detail.unmatched_box.isHidden()
        assert view.remove_button.isEnabled()

        # The same folder again: said beside the path, nothing added.
        dialog = await open_add_dialog(view)
        dialog.path.setText(str(folder))
        click(dialog.buttons, OK)
        await until(lambda: not dialog.errors["path"].isHidden(), what="the duplicate error")
        assert "already watched" in dialog.errors["path"].text()
        assert dialog.isVisible() and await folder_names(core) == [name]
        click(dialog.buttons, CANCEL)
        await until(lambda: view.dialog is None, what="the dialog to close")

        # A file that vanished before it was assigned: said in words, nothing changes.
        gone.unlink()
        view.detail.unmatched.selectRow(unmatched(view).index("clip.mkv"))
        view.detail.assign_button.click()
        chooser = await until(lambda: view.chooser.dialog, what="the item choice")
        assert (
            chooser.windowTitle() == "Assign a file"
            and "clip.mkv" in chooser.label.text().replace("\u200b", "")
        )
        pick(chooser, "matrix")
        await until(lambda: message_boxes(view), what="the error")
        assert "Could not assign" in message_boxes(view)[0].windowTitle()
        assert "clip.mkv" in message_text(view) and "Nothing was changed" in message_text(view)
        message_boxes(view)[0].button(QMessageBox.StandardButton.Ok).click()
        assert await asyncio.to_thread(core.library.active_assignment, "movie", movie.id) is None

        # Assign… the video to the movie: it becomes the movie's local source.
        view.detail.unmatched.selectRow(unmatched(view).index("home-video.mkv"))
        view.detail.assign_button.click()
        chooser = await until(lambda: view.chooser.dialog, what="the item choice")
        assert chooser.chosen() is None  # "home-video" names no item: nothing preselected
        pick(chooser, "matrix")
        await until(lambda: "now plays from" in view.message.text(), what="the assignment")
        active = await asyncio.to_thread(core.library.active_assignment, "movie", movie.id)
        assert active is not None and active.local_path == str(video)
        await until(
            lambda: reelbox.snapshot.movies and reelbox.snapshot.movies[0].source is not None,
            what="the movie to show its source",
        )
        await until(lambda: reelbox.movies_model.rows and reelbox.movies_model.rows[0].source)
        row = reelbox.movies_model.rows[0]
        assert reelbox.movies_model.state(row).text == "ready"  # not "not assigned"
        reelbox.movies_page.view.select_movie(movie.id)
        assert str(video) in reelbox.movies_page.detail.torrent.text().replace("\u200b", "")
        await until(lambda: "home-video.mkv" not in unmatched(view), 15, "the rescan")

        # Remove folder: asked first, then gone from the view and the library.
        view.table.select(name)
        view.remove_button.click()
        box = await until(lambda: isinstance(view.dialog, QMessageBox) and view.dialog, what="ask")
        assert str(folder) in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: view.table.names == ["tmdb"], what="the row to go")
        assert await folder_names(core) == []
        assert view.table.selected() == "tmdb"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_an_unmatched_torrent_is_assigned_through_the_file_choice(qapp, make_core, tmp_path):
    pytest.importorskip("app.sync.folders", reason="watched folders (FolderSource) not landed")
    content = tmp_path / "content"
    make_files(content, {"Random.Upload.2021/Random.Upload.2021.mkv": 2 * MiB})
    folder = tmp_path / "Torrents"
    folder.mkdir()
    (folder / "random-upload.torrent").write_bytes(
        make_torrent(content, "Random.Upload.2021", 256 * KiB)
    )

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
        await reelbox.reload_library_now()
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        dialog = await open_add_dialog(view)
        dialog.path.setText(str(folder))
        dialog.mode.setCurrentIndex(dialog.mode.findData("manual"))
        click(dialog.buttons, OK)
        await until(lambda: unmatched(view) == ["random-upload.torrent"], 20, "the torrent")
        assert view.detail.unmatched.item(0, 1).text() == "torrent"
        view.detail.unmatched.selectRow(0)
        view.detail.assign_button.click()
        chooser = await until(lambda: view.chooser.dialog, what="the item choice")
        pick(chooser, "heat")
        # "Random.Upload.2021" does not look like Heat (1995): the one question, answered
        ask = await until(lambda: message_boxes(reelbox.window), 20, "the question")
        next(b for b in ask[0].buttons() if b.text() == "Assign").click()
        files = await until(
            lambda: (
                (flow := reelbox.actions.flow)
                and isinstance(flow.dialog, MovieFileDialog)
                and flow.dialog
            ),
            20,
            "the file choice",
        )
        click(files.buttons, OK)
        active = await until(
            lambda: core.library.active_assignment("movie", movie.id), 10, "the assignment"
        )
        assert active.file_path.endswith("Random.Upload.2021.mkv")
        await until(lambda: unmatched(view) == [], 15, "the rescan to drop it")

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_a_missing_folder_fails_with_its_reason_then_watching_brings_it_back(
    qapp, make_core, tmp_path
):
    pytest.importorskip("app.sync.folders", reason="watched folders (FolderSource) not landed")
    folder = tmp_path / "Movies to add"
    folder.mkdir()
    (folder / "Unknown.Film.2020.mkv").write_bytes(b"\0" * 2048)
    away = tmp_path / "moved away"

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        dialog = await open_add_dialog(view)
        dialog.path.setText(str(folder))
        dialog.mode.setCurrentIndex(dialog.mode.findData("manual"))
        click(dialog.buttons, OK)
        await until(lambda: unmatched(view) == ["Unknown.Film.2020.mkv"], 15, "the scan")
        [name] = await folder_names(core)

        folder.rename(away)  # the disk was unplugged
        view.table.buttons[name].click()
        await until(lambda: view.table.cell(name, STATE).startswith("failing (1×)"), 10)
        assert view.table.cell(name, NEXT) == "on Refresh"  # manual: no timer to back off
        assert not view.detail.folder_error.isHidden()
        assert "cannot be scanned" in view.detail.folder_error.text()
        assert str(folder) in view.table.item(view.table.row_of(name), STATE).toolTip()

        # Edit…: watch mode; the folder's return is noticed and it syncs again by itself.
        view.table.select(name)
        view.edit_button.click()
        dialog = await until(lambda: isinstance(view.dialog, FolderDialog) and view.dialog)
        assert dialog.path.isReadOnly() and dialog.path.text() == str(folder)
        dialog.mode.setCurrentIndex(dialog.mode.findData("watch"))
        click(dialog.buttons, OK)
        await until(lambda: view.dialog is None, what="the dialog to close")
        record = await asyncio.to_thread(core.library.get_sync_source, name)
        assert record.mode == "watch"
        away.rename(folder)
        await until(lambda: view.table.cell(name, STATE) == "watching", 15, "the watcher")
        assert view.table.cell(name, NEXT) == "on change"
        assert view.detail.folder_error.isHidden()
        assert history_reasons(view)[0] == "file change"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def history_reasons(view) -> list[str]:
    table = view.detail.history
    return [table.item(row, 2).text() for row in range(table.rowCount())]


def test_a_folder_added_elsewhere_shows_up_with_its_path(qapp, make_core, tmp_path):
    pytest.importorskip("app.sync.folders", reason="watched folders (FolderSource) not landed")

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.table.names == ["tmdb"], what="the TMDB source")
        # The JSON API adds folders through the same Core call, from a share worker thread.
        state = await asyncio.to_thread(core.add_folder, str(tmp_path), "manual", 0)
        await until(lambda: state.name in view.table.names, what="the new row")
        await until(lambda: view.table.cell(state.name, SOURCE) == str(tmp_path), what="path")
        assert view.table.cell(state.name, NEXT) == "on Refresh"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_an_unmatched_video_is_assigned_to_an_episode(qapp, make_core, tmp_path):
    pytest.importorskip("app.sync.folders", reason="watched folders (FolderSource) not landed")
    folder = tmp_path / "Camera"
    folder.mkdir()
    video = folder / "episode-two-final-cut.mkv"
    video.write_bytes(b"\0" * 4096)

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        show = await asyncio.to_thread(core.library.add_show, "Dark", 2017, seasons={1: 2})
        season = (await asyncio.to_thread(core.library.seasons, show.id))[0]
        second = (await asyncio.to_thread(core.library.episodes, season.id))[1]
        await reelbox.reload_library_now()
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        dialog = await open_add_dialog(view)
        dialog.path.setText(str(folder))
        dialog.mode.setCurrentIndex(dialog.mode.findData("manual"))
        click(dialog.buttons, OK)
        await until(lambda: unmatched(view) == [video.name], 15, "the unmatched video")
        view.detail.unmatched.selectRow(0)
        view.detail.assign_button.click()
        chooser = await until(lambda: view.chooser.dialog, what="the item choice")
        # A video is one episode: the show and its season open, only an episode is chosen.
        chooser.select(chooser.filter.index(0, 0))
        assert chooser.tree.currentIndex().data() == "Dark (2017)"
        assert chooser.chosen() is None and not chooser.buttons.button(OK).isEnabled()
        pick(chooser, "dark s01e02")
        await until(lambda: unmatched(view) == [], 15, "the rescan")
        active = await asyncio.to_thread(core.library.active_assignment, "episode", second.id)
        assert active is not None and active.local_path == str(video)
        assert active.source_kind == "local"

    assert run_app(qapp, make_core(), scenario)[0] == 0
