"""The window and the JSON API over the same use cases: each writes the same library rows.

The real app runs offscreen with its share (and API) on 127.0.0.1; the window is driven
through its widgets, the API over HTTP with the app's token, and the rows are read back from
the library's SQLite file. TMDB answers from tests/app/metadata/fake_tmdb.py behind
httpx.MockTransport; torrents come from a loopback seeder.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtWidgets import QDialogButtonBox

from app.metadata.tmdb import TmdbClient
from tests.app.metadata.fake_tmdb import API_KEY, FakeTmdb
from tests.support.swarm import KiB, MiB, Seeder
from tests.ui.conftest import run_app, until
from tests.ui.helpers import click, drop_on, uri_list
from ui.dialogs.add_dialog import AddDialog
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.library.movies_model import TITLE
from ui.torrents.torrents_page import RemoveDialog

OK = QDialogButtonBox.StandardButton.Ok
# Row ids, links between rows and times differ between two adds of the same thing.
NOT_COMPARED = {"id", "show_id", "season_id", "item_id", "added_at", "updated_at", "created_at"}
MOVIE_FILES = {
    "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv": 3 * MiB,
    "Heat.1995.1080p.BluRay.x264/Sample/heat-sample.mkv": 200 * KiB,
}


def rows(database: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as the library file holds them, read over a connection of our own."""
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(sql, args).fetchall()
    connection.close()
    return [{k: v for k, v in dict(row).items() if k not in NOT_COMPARED} for row in found]


def show_rows(database: Path, tmdb_id: int) -> dict[str, Any]:
    return {
        "show": rows(database, "SELECT * FROM show WHERE tmdb_id = ?", tmdb_id),
        "seasons": rows(
            database,
            "SELECT season.* FROM season JOIN show ON show.id = season.show_id"
            " WHERE show.tmdb_id = ? ORDER BY season.number",
            tmdb_id,
        ),
        "episodes": rows(
            database,
            "SELECT season.number AS season_number, episode.* FROM episode"
            " JOIN season ON season.id = episode.season_id JOIN show ON show.id = season.show_id"
            " WHERE show.tmdb_id = ? ORDER BY season.number, episode.number",
            tmdb_id,
        ),
    }


def api(core) -> httpx.AsyncClient:
    token = {"Authorization": f"Bearer {core.api_token()}"}
    return httpx.AsyncClient(base_url=core.share.urls()[0], headers=token, timeout=30)


async def add_in_window(reelbox, button, search: str) -> None:
    """Search TMDB in the Add dialog and add the first result, as a user does."""
    button.click()
    dialog = await until(
        lambda: isinstance(reelbox.actions.dialog, AddDialog) and reelbox.actions.dialog,
        what="the Add dialog",
    )
    dialog.title.setText(search)
    await until(lambda: dialog.results.count() > 0, what=f"results for {search!r}")
    dialog.results.setCurrentRow(0)
    click(dialog.buttons, OK)


def test_add_from_tmdb_stores_the_same_rows_from_the_window_and_the_api(qapp, make_core):
    fake = FakeTmdb()

    async def scenario(reelbox):
        core = reelbox.core
        core.tmdb = TmdbClient(API_KEY, transport=fake.transport())
        core.posters.client = core.tmdb
        database = core.paths.database_file
        library = core.library

        await add_in_window(reelbox, reelbox.movies_page.view.add_button, "matrix")
        await until(lambda: library.list_movies(), what="the movie from the window")
        await add_in_window(reelbox, reelbox.shows_page.add_button, "breaking")
        await until(lambda: library.list_shows(), what="the show from the window")
        window_movie = rows(database, "SELECT * FROM movie WHERE tmdb_id = 603")
        window_show = show_rows(database, 1396)

        async with api(core) as client:
            movie_id, show_id = library.list_movies()[0].id, library.list_shows()[0].id
            assert (await client.delete(f"api/movies/{movie_id}")).status_code == 200
            assert (await client.delete(f"api/shows/{show_id}")).status_code == 200
            assert rows(database, "SELECT * FROM episode") == []
            movie = await client.post("api/movies", json={"tmdb_id": 603})
            assert movie.status_code == 201, movie.text
            show = await client.post("api/shows", json={"tmdb_id": 1396})
            assert show.status_code == 201, show.text

        assert rows(database, "SELECT * FROM movie WHERE tmdb_id = 603") == window_movie
        assert show_rows(database, 1396) == window_show
        # What they agree on is TMDB's: titles, dates and the untitled seasons it did not give.
        assert window_movie[0]["imdb_id"] == "tt0133093"
        episodes = window_show["episodes"]
        first = next(e for e in episodes if (e["season_number"], e["number"]) == (1, 1))
        assert (first["title"], first["air_date"]) == ("Pilot", "2008-01-20")
        assert sum(1 for e in episodes if e["season_number"] == 2 and not e["title"]) == 13
        await core.tmdb.aclose()

    assert run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)[0] == 0


def test_assign_and_remove_torrent_store_the_same_rows_from_the_window_and_the_api(
    qapp, make_core, tmp_path
):
    with Seeder(tmp_path / "seed", MOVIE_FILES, piece_length=256 * KiB) as seeder:

        async def scenario(reelbox):
            core = reelbox.core
            database = core.paths.database_file
            torrents = core.torrents
            movie = await asyncio.to_thread(core.library.add_movie, "Heat", 1995)
            assignment_sql = "SELECT * FROM assignment WHERE item_id = ? ORDER BY id"

            # The window: drop the magnet on the movie, keep the preselected file...
            model = reelbox.movies_model
            await until(lambda: model.row_of(movie.id) >= 0, what="the movie's row")
            view = reelbox.movies_page.view
            index = view.proxy.mapFromSource(model.index(model.row_of(movie.id), TITLE))
            assert drop_on(view.grid, index, uri_list(seeder.magnet))
            dialog = await until(
                lambda: (
                    reelbox.actions.flow is not None
                    and isinstance(reelbox.actions.flow.dialog, MovieFileDialog)
                    and reelbox.actions.flow.dialog
                ),
                20,
                "the file dialog",
            )
            click(dialog.buttons, OK)
            await until(lambda: core.library.active_assignment("movie", movie.id), 10)
            window_assigned = rows(database, assignment_sql, movie.id)
            # ...then remove the torrent on the Torrents page (the dialog names the user).
            reelbox.window.show_page("torrents")
            page = reelbox.torrents_page
            await until(lambda: page.model.row_of(seeder.info_hash) >= 0, what="the torrent row")
            assert page.select(seeder.info_hash)
            page.buttons["remove"].click()
            remove = await until(
                lambda: next((d for d in page.findChildren(RemoveDialog) if d.isVisible()), None),
                what="the remove dialog",
            )
            remove.delete_data.setChecked(True)  # what the API does
            remove.remove_button.click()
            await until(lambda: torrents.get(seeder.info_hash) is None, what="the removal")
            window_removed = rows(database, assignment_sql, movie.id)

            # The API: the same assignment and the same removal. (Assigning the same file
            # again reactivates the item's row for it, so the last row is the one written.)
            async with api(core) as client:
                reply = await client.post(
                    f"api/movies/{movie.id}/assign", json={"magnet_uri": seeder.magnet}
                )
                assert reply.status_code == 201, reply.text
                api_assigned = rows(database, assignment_sql, movie.id)[-1:]
                gone = await client.delete(f"api/torrents/{seeder.info_hash}?force=1")
                assert gone.status_code == 200, gone.text
                api_removed = rows(database, assignment_sql, movie.id)[-1:]
                # Gone means gone for both: a second removal changes nothing and says why.
                again = await client.delete(f"api/torrents/{seeder.info_hash}?force=1")
                assert again.status_code == 404

            assert [r["active"] for r in window_assigned + window_removed] == [1, 0]
            assert api_assigned == window_assigned and api_removed == window_removed
            assert window_assigned[0]["file_path"].endswith("Heat.1995.1080p.BluRay.x264.mkv")
            assert torrents.get(seeder.info_hash) is None

        assert run_app(qapp, make_core(**{"share.enabled": "on"}), scenario)[0] == 0
