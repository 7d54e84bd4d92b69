"""Drop-to-assign against a real loopback seeder: a magnet dropped on a movie row, a season
pack dropped on a season, a .torrent file pasted with Ctrl+V, and errors that change nothing."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QProgressDialog, QPushButton

from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from tests.ui.helpers import (
    click,
    close_message_boxes,
    drop_on,
    message_text,
    plain_text,
    uri_list,
)
from tests.ui.http_server import SLOW_ANSWERED
from ui.dialogs.episodes_dialog import EpisodesDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.library.movies_model import TITLE

OK = QDialogButtonBox.StandardButton.Ok
MOVIE_FILES = {
    "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv": 3 * MiB,
    "Heat.1995.1080p.BluRay.x264/Sample/heat-sample.mkv": 200 * KiB,
    "Heat.1995.1080p.BluRay.x264/Heat.nfo": 2 * KiB,
}
PACK_FILES = {
    "Dark.S01.720p.WEB-DL/Dark.S01E01.720p.WEB-DL.mkv": 1 * MiB,
    "Dark.S01.720p.WEB-DL/Dark.S01E02.720p.WEB-DL.mkv": 1 * MiB,
    "Dark.S01.720p.WEB-DL/Dark.S01E03.720p.WEB-DL.mkv": 1 * MiB,
    "Dark.S01.720p.WEB-DL/Dark.S01E01.sample.mkv": 100 * KiB,
}


async def movie_row(reelbox, title: str, year: int):
    movie = await asyncio.to_thread(reelbox.core.library.add_movie, title, year)
    model = reelbox.movies_model
    await until(lambda: model.row_of(movie.id) >= 0, what=f"{title} in the movies model")
    view = reelbox.movies_page.view
    index = view.proxy.mapFromSource(model.index(model.row_of(movie.id), TITLE))
    return movie, index


async def choice_dialog(reelbox, kind):
    return await until(
        lambda: (
            reelbox.actions.flow is not None
            and isinstance(reelbox.actions.flow.dialog, kind)
            and reelbox.actions.flow.dialog
        ),
        20,
        f"the {kind.__name__}",
    )


def test_magnet_dropped_on_a_movie_row_assigns_the_chosen_file(qapp, make_core, tmp_path):
    with Seeder(tmp_path / "seed", MOVIE_FILES, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            movie, index = await movie_row(reelbox, "Heat", 1995)
            grid = reelbox.movies_page.view.grid
            assert drop_on(grid, index, uri_list(seeder.magnet))
            dialog = await choice_dialog(reelbox, MovieFileDialog)
            kinds = {choice.path.rsplit("/", 1)[-1]: choice for choice in dialog.choices}
            assert dialog.chosen().path.endswith("Heat.1995.1080p.BluRay.x264.mkv")
            assert kinds["heat-sample.mkv"].is_extra
            assert not kinds["Heat.nfo"].is_video
            # Videos first, the main one preselected, the sample marked.
            assert dialog.tree.topLevelItem(0).text(2) == "video"
            assert dialog.tree.topLevelItem(1).text(2) == "sample or extra"
            click(dialog.buttons, OK)
            library = reelbox.core.library
            assignment = await until(
                lambda: library.active_assignment("movie", movie.id), 10, "the assignment"
            )
            assert assignment.info_hash == seeder.info_hash
            assert assignment.file_path.endswith("Heat.1995.1080p.BluRay.x264.mkv")
            assert assignment.file_size == 3 * MiB
            assert assignment.resolution == "1080p"
            row = await until(
                lambda: (
                    (r := reelbox.movies_model.rows[reelbox.movies_model.row_of(movie.id)]).source
                    and r
                ),
                what="the row's source",
            )
            assert row.source.share_path == "Movies/Heat (1995)/Heat (1995).mkv"
            assert reelbox.movies_model.state(row).kind in ("ready", "downloading")

        code, _ = run_app(qapp, make_core(), scenario)
        assert code == 0


def test_season_pack_dropped_on_a_season_matches_episodes_for_confirmation(
    qapp, make_core, tmp_path
):
    with Seeder(tmp_path / "seed", PACK_FILES, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            show = await asyncio.to_thread(
                reelbox.core.library.add_show, "Dark", 2017, seasons={1: 3, 2: 2}
            )
            page = reelbox.shows_page
            reelbox.window.show_page("shows")
            season = await until(
                lambda: (
                    page.model.find(("SeasonRow", _season_id(reelbox, show.id, 1))).isValid()
                    and page.model.find(("SeasonRow", _season_id(reelbox, show.id, 1)))
                ),
                what="season 1 in the tree",
            )
            index = page.proxy.mapFromSource(season)
            page.tree.expand(index.parent())
            assert drop_on(page.tree, index, plain_text(seeder.magnet))
            dialog = await choice_dialog(reelbox, EpisodesDialog)
            assert len(dialog.episodes) == 3  # only the dropped season's episodes
            names = {video.index: video.path.rsplit("/", 1)[-1] for video in dialog.videos}
            proposed = {e.number: names[i] for e, i in _mapping(dialog)}
            assert proposed == {
                1: "Dark.S01E01.720p.WEB-DL.mkv",
                2: "Dark.S01E02.720p.WEB-DL.mkv",
                3: "Dark.S01E03.720p.WEB-DL.mkv",
            }
            click(dialog.buttons, OK)
            library = reelbox.core.library
            episodes = library.episodes(_season_id(reelbox, show.id, 1))
            assignments = await until(
                lambda: (
                    all(library.active_assignment("episode", e.id) for e in episodes)
                    and [library.active_assignment("episode", e.id) for e in episodes]
                ),
                what="three assignments",
            )
            assert [a.file_path.rsplit("/", 1)[-1] for a in assignments] == list(proposed.values())
            season_2 = library.episodes(_season_id(reelbox, show.id, 2))
            assert all(library.active_assignment("episode", e.id) is None for e in season_2)

        code, _ = run_app(qapp, make_core(), scenario)
        assert code == 0


def fetching(reelbox):
    """The progress dialog of the metadata fetch, once it is up."""
    flow = reelbox.actions.flow
    progress = flow.progress if flow is not None else None
    return progress if progress is not None and "file list" in progress.labelText() else None


def _season_id(reelbox, show_id: int, number: int) -> int:
    return next(s.id for s in reelbox.core.library.seasons(show_id) if s.number == number)


def _mapping(dialog):
    return [(e, dialog.mapping()[e.id]) for e in dialog.episodes if e.id in dialog.mapping()]


def test_torrent_file_pasted_onto_selected_movie(qapp, make_core, tmp_path):
    with Seeder(tmp_path / "seed", MOVIE_FILES, piece_length=256 * KiB) as seeder:
        torrent = tmp_path / "heat.torrent"
        torrent.write_bytes(seeder.torrent_bytes)

        async def scenario(reelbox):
            movie, index = await movie_row(reelbox, "Heat", 1995)
            view = reelbox.movies_page.view
            view.grid.setCurrentIndex(index)
            view.grid.setFocus()
            # As a file manager's "copy" puts it; setText, because a QMimeData handed to the
            # clipboard from Python is freed twice at exit (PySide6 ownership).
            QGuiApplication.clipboard().setText(QUrl.fromLocalFile(str(torrent)).toString())
            view.paste()
            dialog = await choice_dialog(reelbox, MovieFileDialog)
            click(dialog.buttons, OK)
            library = reelbox.core.library
            assignment = await until(lambda: library.active_assignment("movie", movie.id))
            assert library.torrent_data(assignment.id) == seeder.torrent_bytes

        assert run_app(qapp, make_core(), scenario)[0] == 0


def test_bad_link_and_metadata_timeout_are_explained_and_change_nothing(qapp, make_core):
    async def scenario(reelbox):
        movie, index = await movie_row(reelbox, "Heat", 1995)
        grid = reelbox.movies_page.view.grid
        library = reelbox.core.library
        drop_on(grid, index, plain_text("this is not a torrent"))
        text = await until(lambda: message_text(reelbox.window), what="an error message")
        assert "not a magnet link" in text and "Nothing was changed" in text
        close_message_boxes(reelbox.window)
        # A magnet nobody seeds: the metadata wait times out with a plain message.
        drop_on(grid, index, plain_text("magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=nobody"))
        progress = await until(lambda: fetching(reelbox), what="the metadata progress")
        assert isinstance(progress, QProgressDialog) and progress.isVisible()
        text = await until(lambda: message_text(reelbox.window), 15, "the timeout message")
        assert "no peer sent the metadata" in text
        assert library.active_assignment("movie", movie.id) is None
        await until(lambda: reelbox.core.torrents.get("ab" * 20) is None, what="discard")
        close_message_boxes(reelbox.window)

    assert run_app(qapp, make_core(**{"torrents.add_timeout": "2"}), scenario)[0] == 0


def test_cancel_while_fetching_metadata_changes_nothing(qapp, make_core):
    async def scenario(reelbox):
        movie, index = await movie_row(reelbox, "Heat", 1995)
        drop_on(reelbox.movies_page.view.grid, index, uri_list("magnet:?xt=urn:btih:" + "cd" * 20))
        progress = await until(lambda: fetching(reelbox), what="the metadata progress")
        cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
        cancel.click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert not message_text(reelbox.window)
        assert reelbox.core.library.active_assignment("movie", movie.id) is None
        # The abandoned fetch ends at its timeout and removes the torrent it added.
        await until(lambda: reelbox.core.torrents.get("cd" * 20) is None, 10, "discard")

    assert run_app(qapp, make_core(**{"torrents.add_timeout": "2"}), scenario)[0] == 0


def test_torrent_without_video_is_refused_and_removed(qapp, make_core, tmp_path):
    files = {"Heat.Soundtrack/01 - Heat.flac": 512 * KiB, "Heat.Soundtrack/cover.jpg": 64 * KiB}
    with Seeder(tmp_path / "seed", files, piece_length=64 * KiB) as seeder:

        async def scenario(reelbox):
            movie, index = await movie_row(reelbox, "Heat", 1995)
            drop_on(reelbox.movies_page.view.grid, index, uri_list(seeder.magnet))
            text = await until(lambda: message_text(reelbox.window), 20, "the refusal")
            assert "holds no video file" in text and "Nothing was changed" in text
            assert reelbox.core.library.active_assignment("movie", movie.id) is None
            await until(lambda: reelbox.core.torrents.get(seeder.info_hash) is None, what="discard")
            close_message_boxes(reelbox.window)

        assert run_app(qapp, make_core(), scenario)[0] == 0


def test_single_episode_dropped_on_an_episode_row(qapp, make_core, tmp_path):
    files = {"Dark.S01E02.Lies.1080p.WEB.mkv": 1 * MiB}
    with Seeder(tmp_path / "seed", files, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            library = reelbox.core.library
            show = await asyncio.to_thread(library.add_show, "Dark", 2017, seasons={1: 3})
            episode = library.episodes(_season_id(reelbox, show.id, 1))[1]
            page = reelbox.shows_page
            reelbox.window.show_page("shows")
            found = await until(
                lambda: (
                    page.model.find(("EpisodeRow", episode.id)).isValid()
                    and page.model.find(("EpisodeRow", episode.id))
                ),
                what="the episode row",
            )
            index = page.proxy.mapFromSource(found)
            page.tree.expand(index.parent().parent())
            page.tree.expand(index.parent())
            assert drop_on(page.tree, index.siblingAtColumn(1), uri_list(seeder.magnet))
            dialog = await choice_dialog(reelbox, EpisodesDialog)
            assert [e.id for e in dialog.episodes] == [episode.id]
            assert list(dialog.mapping().values()) == [0]
            click(dialog.buttons, OK)
            assignment = await until(lambda: library.active_assignment("episode", episode.id))
            assert assignment.file_path == "Dark.S01E02.Lies.1080p.WEB.mkv"

        assert run_app(qapp, make_core(), scenario)[0] == 0


def test_cancel_while_downloading_a_torrent_link_stops_at_once(qapp, make_core, server):
    async def scenario(reelbox):
        movie, index = await movie_row(reelbox, "Heat", 1995)
        drop_on(reelbox.movies_page.view.grid, index, uri_list(f"{server}/slow.torrent"))
        progress = await until(
            lambda: (
                reelbox.actions.flow
                and reelbox.actions.flow.progress
                and "Reading" in reelbox.actions.flow.progress.labelText()
                and reelbox.actions.flow.progress
            ),
            what="the download progress",
        )
        next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel").click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert not SLOW_ANSWERED.is_set()  # it ended while the server still held its answer
        assert not message_text(reelbox.window)
        assert reelbox.core.library.active_assignment("movie", movie.id) is None

    assert run_app(qapp, make_core(), scenario)[0] == 0
