"""The Torrents page with a real engine and a loopback seeder: rows update in place (the
selection and scroll position survive), the actions act on the engine, the detail pane
shows files, users and the piece map."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox

from app.torrents.status import PIECE_FETCHING, PIECE_HAVE
from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click
from tests.ui.test_movies_view import status
from ui.status_board import StatusBoard
from ui.torrents.piece_map import READER_COLOR, bins
from ui.torrents.torrents_model import DOWN, NAME, PROGRESS, TorrentsModel
from ui.torrents.torrents_page import RemoveDialog, TorrentsPage

FILES = {"Heat.1995.720p/Heat.1995.720p.mkv": 2 * MiB, "Heat.1995.720p/Heat.nfo": 1 * KiB}


def test_rows_update_in_place_keeping_selection_and_scroll(qtbot):
    from PySide6.QtWidgets import QTableView

    model = TorrentsModel()
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(600, 200)
    view.show()
    rows = [
        status(info_hash=f"{n:040x}", name=f"Torrent {n:03d}", progress=0.0) for n in range(200)
    ]
    model.update(rows)
    view.selectRow(150)
    view.scrollTo(model.index(150, NAME))
    scroll = view.verticalScrollBar().value()
    assert scroll > 0
    resets, changes = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda top, bottom, roles: changes.append((top.row(), bottom.row())))
    rows[150] = status(info_hash=f"{150:040x}", name="Torrent 150", progress=0.5)
    model.update(rows)
    assert changes == [(150, 150)]  # only the row that changed
    assert model.index(150, PROGRESS).data() == "50.0 %"
    model.update(rows[:10] + rows[11:] + [status(info_hash="f" * 40, name="New")])
    assert not resets
    assert view.selectionModel().currentIndex().data() == "Torrent 150"
    assert view.verticalScrollBar().value() in (
        scroll,
        scroll - view.verticalHeader().defaultSectionSize(),
    )
    assert model.rows[-1].name == "New" and model.rowCount() == 200


def test_headers_sort_numbers_by_value_and_keep_the_selection(qtbot):
    board = StatusBoard()
    page = TorrentsPage(board)
    qtbot.addWidget(page)
    page.resize(900, 500)
    page.show()
    rates = {"Alpha": 10 * KiB, "Bravo": 900, "Charlie": 9 * KiB, "Delta": 0}
    board.statuses = {
        f"{n:040x}": status(info_hash=f"{n:040x}", name=name, download_rate=rate)
        for n, (name, rate) in enumerate(rates.items())
    }
    page.refresh()

    def names() -> list[str]:
        table = page.table.model()
        return [table.index(row, NAME).data() for row in range(table.rowCount())]

    assert names() == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert page.select(f"{2:040x}")
    header = page.table.horizontalHeader()
    slowest_first = ["Delta", "Bravo", "Charlie", "Alpha"]  # as text 10.0 KiB/s comes before 9.0
    for _ in range(2):  # a click sorts by the column, a second click turns the order round
        point = QPoint(header.sectionViewportPosition(DOWN) + 5, 5)
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
        ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
        assert header.sortIndicatorSection() == DOWN
        assert names() == (slowest_first if ascending else slowest_first[::-1])
        assert page.selected().name == "Charlie"  # the selection follows its row
    # a refresh keeps the order: Delta, now the fastest, moves to its place
    board.statuses[f"{3:040x}"] = status(info_hash=f"{3:040x}", name="Delta", download_rate=MiB)
    page.refresh()
    fastest_first = ["Delta", "Alpha", "Charlie", "Bravo"]
    assert names() == (fastest_first[::-1] if ascending else fastest_first)


def test_without_torrents_nothing_to_pause_or_resume(qtbot):
    page = TorrentsPage(StatusBoard())
    qtbot.addWidget(page)
    assert not any(action.isEnabled() for action in page.torrent_actions.values())
    assert not page.keep_full.isEnabled()


def test_piece_map_bins_show_have_and_fetching():
    pieces = bytes([PIECE_HAVE] * 4 + [0] * 4 + [PIECE_FETCHING] + [0] * 3)
    assert bins(pieces, 3) == [(1.0, False), (0.0, False), (0.0, True)]
    assert bins(pieces, 100) == bins(pieces, 12)  # never more bins than pieces
    assert bins(b"", 10) == []


def test_actions_and_detail_pane_against_a_real_torrent(qapp, make_core, tmp_path):
    with Seeder(tmp_path / "seed", FILES, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            core = reelbox.core
            movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
            await asyncio.to_thread(
                core.assigner.assign,
                "movie",
                movie.id,
                seeder.magnet,
                file_path="Heat.1995.720p/Heat.1995.720p.mkv",
            )
            reelbox.window.show_page("torrents")
            page = reelbox.torrents_page
            await until(lambda: page.model.row_of(seeder.info_hash) >= 0, what="the torrent row")
            assert page.select(seeder.info_hash)
            await until(lambda: page.files.count() == 2, what="the file list")
            files = sorted(page.files.item(n).text() for n in range(2))
            assert files[0].startswith("Heat.1995.720p/Heat.1995.720p.mkv")
            await until(lambda: page.users.count() and page.users.item(0).text() == "Heat (1995)")
            # one byte per piece once the metadata is there (the status poll brings it)
            await until(lambda: page.piece_map.pieces, what="the piece map")
            # The status bar sums the live figures: rates, streams, free disk.
            bar = reelbox.window.status
            await until(lambda: bar.disk.text().endswith("free"), what="free disk")
            assert bar.rates.text().startswith("↓ ") and "↑ " in bar.rates.text()
            reader = await asyncio.to_thread(core.torrents.open_file, seeder.info_hash, 0)
            try:
                await until(lambda: bar.streams.text() == "1 stream", what="the open stream")
                # where the player reads: the status lists the piece, the map marks it
                offset = 5 * 256 * KiB + 1000
                reader.seek(offset)
                piece = (reader.file.offset + offset) // (256 * KiB)
                status_of = core.torrents.status
                await until(lambda: status_of(seeder.info_hash).reading_pieces == (piece,))
                strip = page.piece_map
                await until(lambda: [p for p, _x in strip.markers()] == [piece], what="marker")
                ((_piece, x),) = strip.markers()
                assert x == (piece + 0.5) * strip.width() / len(strip.pieces)
                image = strip.grab().toImage()
                assert image.pixelColor(int(x), 1) == READER_COLOR  # painted at that piece
                assert image.pixelColor(int(x) + 20, 1) != READER_COLOR  # and only there
            finally:
                await asyncio.to_thread(reader.close)
            await until(lambda: bar.streams.text() == "0 streams", what="the stream to end")
            await until(lambda: not page.piece_map.markers(), what="the marker to go")
            torrents = core.torrents
            actions = page.torrent_actions
            # Pause applies to a running torrent, Resume to a paused one.
            await until(lambda: actions["pause"].isEnabled(), what="Pause enabled")
            assert not actions["resume"].isEnabled() and not actions["resume_all"].isEnabled()
            menu = page.context_menu()
            assert [a.text() for a in menu.actions() if a.text()] == [
                "Pause",
                "Resume",
                "Force recheck",
                "Re-announce",
                "Keep a full copy",
                "Copy magnet",
                "Remove…",
            ]
            QGuiApplication.clipboard().clear()
            next(a for a in menu.actions() if a.text() == "Copy magnet").trigger()
            magnet = await until(lambda: QGuiApplication.clipboard().text(), what="the magnet")
            assert magnet.startswith(f"magnet:?xt=urn:btih:{seeder.info_hash}&dn=Heat.1995")
            next(a for a in menu.actions() if a.text() == "Pause").trigger()  # the right-click
            await until(lambda: torrents.status(seeder.info_hash).paused, what="paused")
            await until(lambda: page.selected() and page.selected().paused, what="the row paused")
            await until(lambda: actions["resume"].isEnabled(), what="Resume enabled")
            assert not actions["pause"].isEnabled() and not actions["pause_all"].isEnabled()
            assert actions["resume_all"].isEnabled()
            page.buttons["resume"].click()
            await until(lambda: not torrents.status(seeder.info_hash).paused, what="resumed")
            await until(lambda: actions["pause"].isEnabled(), what="Pause enabled again")
            page.keep_full.trigger()
            await until(lambda: torrents.status(seeder.info_hash).keep_full_copy, what="full copy")
            await until(lambda: page.keep_full.isChecked(), what="the box to follow the status")
            page.buttons["reannounce"].click()
            page.buttons["recheck"].click()
            page.buttons["pause_all"].click()
            await until(lambda: torrents.status(seeder.info_hash).paused, what="pause all")
            page.buttons["resume_all"].click()
            await until(lambda: not torrents.status(seeder.info_hash).paused, what="resume all")
            # Remove: the dialog names the item that loses its source; keep the data.
            page.buttons["remove"].click()
            dialog = await until(
                lambda: next((d for d in page.findChildren(RemoveDialog) if d.isVisible()), None),
                what="the remove dialog",
            )
            assert "Heat (1995)" in dialog.label.text()
            click(dialog.findChild(QDialogButtonBox), QDialogButtonBox.StandardButton.Cancel)
            assert torrents.get(seeder.info_hash) is not None  # Cancel removes nothing
            page.buttons["remove"].click()
            dialog = await until(
                lambda: next((d for d in page.findChildren(RemoveDialog) if d.isVisible()), None)
            )
            dialog.remove_button.click()
            await until(lambda: torrents.get(seeder.info_hash) is None, what="the removal")
            await until(lambda: page.model.row_of(seeder.info_hash) < 0, what="the row to go")
            assert core.library.active_assignment("movie", movie.id) is None

        assert run_app(qapp, make_core(), scenario)[0] == 0


def test_health_says_when_a_player_waits_with_no_peer():
    from ui.torrents.torrents_model import HEALTH, cell

    waiting = "a player waits and no peer is connected: asking the trackers and known peers"
    assert cell(status(), HEALTH) == "good"
    # a player waiting on connected peers is ordinary streaming, not a health problem
    assert cell(status(waiting="a player waits for pieces from 1 peer (1 seed)"), HEALTH) == "good"
    assert cell(status(waiting=waiting, peers=0, seeds=0), HEALTH) == "no peers"
    assert cell(status(waiting=waiting, peers=0, stalled=True), HEALTH) == "stalled"


def test_health_says_recovered_for_a_minute_then_good():
    from app.torrents.status import HealthEvent
    from ui.torrents.torrents_model import health_text

    event = HealthEvent(time=5000.0, kind="recovered", message="data is arriving again")
    recovered = status(health=(event,))
    assert health_text(recovered, now=5010.0) == "recovered: data is arriving again"
    assert health_text(recovered, now=5000.0 + 600) == "good"


def test_piece_map_has_a_legend_that_follows_the_theme(qapp):
    from ui.theme import Theme
    from ui.torrents.piece_map import FETCHING_COLOR, HAVE_COLOR

    theme = Theme(qapp)
    try:
        page = TorrentsPage(StatusBoard())
        light = page.legend.text()
        for words in ("downloaded", "being fetched now", "not downloaded", "player reading here"):
            assert words in light
        assert HAVE_COLOR.name() in light and FETCHING_COLOR.name() in light
        assert READER_COLOR.name() in light
        theme.apply("dark")
        qapp.processEvents()
        assert page.legend.text() != light  # "not downloaded" takes the dark palette's grey
    finally:
        theme.apply("light")
        theme.deleteLater()
