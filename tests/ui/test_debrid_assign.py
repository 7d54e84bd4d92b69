"""A magnet dropped on a movie sent to the loopback Real-Debrid from the real window: the
one-click choice of where it goes, the Tasks row following the account's status and
percentage, Cancel that deletes the torrent and changes nothing, the choice remembered,
and a cached torrent assigned and listed with its source."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QMessageBox

from app.debrid import realdebrid as client_module
from tests.support import realdebrid
from tests.ui.conftest import run_app, until
from tests.ui.helpers import drop_on, uri_list
from tests.ui.test_assign_drop import fetching, movie_row
from ui.task_panel import task_panel

HASH = "be" * 20
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Heat.1995.1080p"
FILES = [
    ("/Heat.1995.1080p/Heat.1995.1080p.BluRay.mkv", 3_000_000),
    ("/Heat.1995.1080p/Sample/heat-sample.mkv", 20_000),
]


@pytest.fixture
def rd(monkeypatch):
    with realdebrid.serve() as service:
        monkeypatch.setattr(client_module, "API_URL", service.api_url)
        monkeypatch.setattr(client_module, "OAUTH_URL", service.oauth_url)
        yield service


async def where_box(reelbox) -> QMessageBox:
    return await until(
        lambda: (
            (flow := reelbox.actions.flow) is not None
            and isinstance(flow.dialog, QMessageBox)
            and flow.dialog
        ),
        what="the question where the link goes",
    )


def button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def test_drop_sent_to_real_debrid_shows_progress_cancels_then_assigns(qapp, make_core, rd):
    async def scenario(reelbox):
        core = reelbox.core
        await asyncio.to_thread(core.set_debrid_token, realdebrid.TOKEN)
        movie, index = await movie_row(reelbox, "Heat", 1995)
        grid = reelbox.movies_page.view.grid
        rd.offer(HASH, "Heat.1995.1080p", FILES, cached=False)

        # the first drop: this computer is the default; one click sends it to Real-Debrid
        assert drop_on(grid, index, uri_list(MAGNET))
        box = await where_box(reelbox)
        assert box.defaultButton() is button(box, "This computer (torrent)")
        button(box, "Real-Debrid").click()
        panel = task_panel(reelbox.window)
        row = await until(lambda: panel.rows() and panel.rows()[0], what="the task row")
        assert row.name.text() == "Heat (1995) ← magnet link “Heat.1995.1080p” (Real-Debrid)"
        await until(lambda: "Queued" in row.detail.text(), 15, "queued")
        (torrent,) = rd.with_hash(HASH)
        assert rd.chosen == {torrent.id: [1]}  # the movie, not the sample
        rd.set_status(torrent.id, "downloading", 42)
        await until(lambda: row.bar.value() == 42, 15, "42 %")
        assert row.bar.isVisible() and "downloading" in row.detail.text()
        assert row.cancel_button.isEnabled()
        row.cancel_button.click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert rd.with_hash(HASH) == []  # deleted from the account
        assert core.library.active_assignment("movie", movie.id) is None
        assert not panel.isVisible()
        await until(lambda: core.settings.debrid.send_to == "debrid", what="the choice saved")

        # the second drop: Real-Debrid is the default now; a cached torrent is assigned
        rd.offer(HASH, "Heat.1995.1080p", FILES, cached=True)
        assert drop_on(grid, index, uri_list(MAGNET))
        box = await where_box(reelbox)
        assert box.defaultButton() is button(box, "Real-Debrid")
        box.defaultButton().click()
        assignment = await until(
            lambda: core.library.active_assignment("movie", movie.id), 15, "the assignment"
        )
        assert (assignment.source_kind, assignment.info_hash, assignment.file_index) == (
            "debrid",
            HASH,
            1,
        )
        model = reelbox.movies_model
        listed = await until(
            lambda: (r := model.rows[model.row_of(movie.id)]).source and r, what="the source"
        )
        assert listed.source.share_path == "Movies/Heat (1995)/Heat (1995).mkv"

    assert run_app(qapp, make_core(), scenario)[0] == 0


def test_without_an_account_a_drop_goes_to_this_computer_without_asking(qapp, make_core, rd):
    async def scenario(reelbox):
        movie, index = await movie_row(reelbox, "Heat", 1995)
        assert drop_on(reelbox.movies_page.view.grid, index, uri_list(MAGNET))
        row = await until(lambda: fetching(reelbox), what="the metadata task")
        assert row.name.text().endswith("“Heat.1995.1080p”")  # no question, no Real-Debrid
        assert not isinstance(reelbox.actions.flow.dialog, QMessageBox)
        row.cancel_button.click()
        await until(lambda: reelbox.actions.flow is None, what="the flow to end")
        assert rd.seen == []

    assert run_app(qapp, make_core(**{"torrents.add_timeout": "60"}), scenario)[0] == 0
