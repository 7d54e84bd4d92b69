"""Drop-to-assign against a real loopback seeder: a magnet dropped on a movie row, a season
pack dropped on a season, a .torrent file pasted with Ctrl+V, and errors that change nothing."""

from __future__ import annotations

import asyncio

import libtorrent as lt
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from tests.support.loopback import free_port
from tests.support.swarm import KiB, MiB, Seeder, loopback_settings
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
from ui.task_panel import task_panel

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
    return movie, index_of(reelbox, movie)


def index_of(reelbox, movie):
    """The movie's index in the view now (a reload of the library makes older ones stale)."""
    model, view = reelbox.movies_model, reelbox.movies_page.view
    return view.proxy.mapFromSource(model.index(model.row_of(movie.id), TITLE))


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


def fetching(reelbox, flow=None):
    """The task row of a metadata fetch (the newest flow's by default), once it shows."""
    flow = flow or reelbox.actions.flow
    row = flow.row if flow is not None else None
    return row if row is not None and "file list" in row.detail.text() else None


def open_dialogs(window) -> list[QDialog]:
    return [dialog for dialog in window.findChildren(QDialog) if dialog.isVisible()]


def in_session(reelbox, info_hash: str) -> bool:
    return info_hash in {status.info_hash for status in reelbox.core.torrents.list()}


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
        magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=nobody"
        drop_on(grid, index_of(reelbox, movie), plain_text(magnet))
        row = await until(lambda: fetching(reelbox), what="the metadata task")
        assert row.isVisible() and row.name.text() == "Heat (1995) ← magnet link “nobody”"
        assert not open_dialogs(reelbox.window)  # the window stays usable
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
        row = await until(lambda: fetching(reelbox), what="the metadata task")
        assert in_session(reelbox, "cd" * 20)
        row.cancel_button.click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert not message_text(reelbox.window)
        assert reelbox.core.library.active_assignment("movie", movie.id) is None
        # Cancel removes the torrent it added at once, well before the 60 s timeout.
        await until(lambda: not in_session(reelbox, "cd" * 20), 10, "the torrent removed")
        assert not task_panel(reelbox.window).isVisible()

    assert run_app(qapp, make_core(**{"torrents.add_timeout": "60"}), scenario)[0] == 0


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
        row = await until(
            lambda: (
                reelbox.actions.flow
                and reelbox.actions.flow.row
                and "Reading" in reelbox.actions.flow.row.detail.text()
                and reelbox.actions.flow.row
            ),
            what="the download task",
        )
        row.cancel_button.click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert not SLOW_ANSWERED.is_set()  # it ended while the server still held its answer
        assert not message_text(reelbox.window)
        assert reelbox.core.library.active_assignment("movie", movie.id) is None

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_two_drops_wait_side_by_side_one_is_cancelled_the_other_completes(
    qapp, make_core, tmp_path
):
    # Heat's only peer is down at first, so both waits are in flight together; Alien's
    # magnet names a libtorrent peer that has no metadata either: one peer found, no file list.
    seeder = Seeder(tmp_path / "seed", MOVIE_FILES, piece_length=256 * KiB, port=free_port())
    nobody_hash = "ab" * 20
    leecher = lt.session(loopback_settings())
    params = lt.parse_magnet_uri(f"magnet:?xt=urn:btih:{nobody_hash}")
    params.save_path = str(tmp_path / "leecher")
    leecher.add_torrent(params)
    nobody = f"magnet:?xt=urn:btih:{nobody_hash}&dn=nobody&x.pe=127.0.0.1:{leecher.listen_port()}"

    async def scenario(reelbox):
        heat, _ = await movie_row(reelbox, "Heat", 1995)
        alien, _ = await movie_row(reelbox, "Alien", 1979)
        matrix, _ = await movie_row(reelbox, "The Matrix", 1999)
        view = reelbox.movies_page.view
        model = reelbox.movies_model
        # indexes taken once all three are in (each reload resets the model)
        heat_index, alien_index, matrix_index = (
            view.proxy.mapFromSource(model.index(model.row_of(m.id), TITLE))
            for m in (heat, alien, matrix)
        )
        actions = reelbox.actions
        assert drop_on(view.grid, alien_index, uri_list(nobody))
        alien_flow = await until(lambda: actions.flow, what="Alien's flow")
        alien_row = await until(lambda: fetching(reelbox, alien_flow), what="Alien's task")
        assert drop_on(view.grid, heat_index, uri_list(seeder.magnet))
        heat_flow = await until(lambda: len(actions.flows) == 2 and actions.flows[1])
        heat_row = await until(lambda: fetching(reelbox, heat_flow), what="Heat's task")
        panel = task_panel(reelbox.window)
        assert panel.isVisible() and panel.rows() == [alien_row, heat_row]
        assert heat_row.name.text() == f"Heat (1995) ← magnet link “{seeder.name}”"
        await until(lambda: "1 peer" in alien_row.detail.text(), 15, "Alien's peer")
        await until(lambda: "0:01" in alien_row.detail.text(), what="the time taken")
        await until(lambda: "no peer yet" in heat_row.detail.text(), what="Heat's peers")
        # The window takes input meanwhile: a click selects another movie.
        assert not open_dialogs(reelbox.window)
        view.grid.scrollTo(matrix_index)
        QTest.mouseClick(
            view.grid.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.grid.visualRect(matrix_index).center(),
        )
        assert view.selected().title == "The Matrix"
        assert reelbox.movies_page.detail.title.text() == "The Matrix (1999)"
        # Cancel Alien's wait: its row and its torrent go at once, Heat's wait goes on.
        alien_row.cancel_button.click()
        await until(lambda: actions.flows == [heat_flow], what="Alien's flow to end")
        await until(lambda: not in_session(reelbox, nobody_hash), what="Alien's torrent removed")
        assert panel.rows() == [heat_row] and not message_text(reelbox.window)
        seeder.start()  # Heat's peer comes up: its file list arrives, the choice follows
        dialog = await choice_dialog(reelbox, MovieFileDialog)
        assert "your choice" in heat_row.detail.text()
        click(dialog.buttons, OK)
        library = reelbox.core.library
        assignment = await until(lambda: library.active_assignment("movie", heat.id))
        assert assignment.info_hash == seeder.info_hash
        assert library.active_assignment("movie", alien.id) is None
        await until(lambda: not panel.isVisible(), what="the Tasks dock to hide")

    try:
        assert run_app(qapp, make_core(), scenario)[0] == 0
    finally:
        seeder.stop()
        leecher.pause()


def test_cancelling_one_of_two_waits_for_the_same_magnet_keeps_the_other(qapp, make_core, tmp_path):
    # The first flow added the torrent; its Cancel removed it although the second flow still
    # waited for the same metadata, which then failed.
    seeder = Seeder(tmp_path / "seed", MOVIE_FILES, piece_length=256 * KiB, port=free_port())

    async def scenario(reelbox):
        heat, _ = await movie_row(reelbox, "Heat", 1995)
        ronin, _ = await movie_row(reelbox, "Ronin", 1998)
        view, model, actions = reelbox.movies_page.view, reelbox.movies_model, reelbox.actions
        heat_index, ronin_index = (
            view.proxy.mapFromSource(model.index(model.row_of(m.id), TITLE)) for m in (heat, ronin)
        )
        assert drop_on(view.grid, ronin_index, uri_list(seeder.magnet))
        ronin_flow = await until(lambda: actions.flow, what="Ronin's flow")
        ronin_row = await until(lambda: fetching(reelbox, ronin_flow), what="Ronin's task")
        assert drop_on(view.grid, heat_index, uri_list(seeder.magnet))
        heat_flow = await until(lambda: len(actions.flows) == 2 and actions.flows[1])
        await until(lambda: fetching(reelbox, heat_flow), what="Heat's task")
        ronin_row.cancel_button.click()
        await until(lambda: actions.flows == [heat_flow], what="Ronin's flow to end")
        assert in_session(reelbox, seeder.info_hash)  # Heat's flow still waits for it
        seeder.start()
        dialog = await choice_dialog(reelbox, MovieFileDialog)
        click(dialog.buttons, OK)
        library = reelbox.core.library
        assignment = await until(lambda: library.active_assignment("movie", heat.id))
        assert assignment.info_hash == seeder.info_hash
        assert library.active_assignment("movie", ronin.id) is None

    try:
        assert run_app(qapp, make_core(), scenario)[0] == 0
    finally:
        seeder.stop()
