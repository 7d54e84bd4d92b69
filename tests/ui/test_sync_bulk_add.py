"""Add as new items on the real Sync view: a watched folder's unmatched videos (real sparse
files) become new movies and a show, the selected ones first, then all the rest; the
progress bar reaches the end, a sample is listed with its reason and stays unmatched."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QItemSelectionModel

from tests.support.swarm import MiB
from tests.ui.conftest import run_app, until

NAMES = {
    "Heat.1995.1080p.BluRay.mkv": 700 * MiB,
    "Jaws.1975.mkv": 700 * MiB,
    "Fargo.1996.mkv": 700 * MiB,
    "Dark/Season 1/Dark.S01E01.720p.mkv": 300 * MiB,
    "Dark/Season 1/Dark.S01E02.720p.mkv": 300 * MiB,
    "Heat.1995.Sample.mkv": 20 * MiB,
}


def unmatched(view) -> list[str]:
    table = view.detail.unmatched
    return [table.item(row, 0).text() for row in range(table.rowCount())]


def test_add_selected_then_all_as_new_items(qapp, make_core, tmp_path):
    folder = tmp_path / "Incoming"
    for name, size in NAMES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(size)

    async def scenario(reelbox):
        core, view = reelbox.core, reelbox.sync_view
        reelbox.window.show_page("sync")
        await until(lambda: view.add_button.isEnabled(), what="the core")
        state = await asyncio.to_thread(core.add_folder, str(folder), "poll", 60)
        await until(lambda: state.name in view.table.names, what="the folder's row")
        view.table.select(state.name)
        await until(lambda: len(unmatched(view)) == 6, 15, "the scan")
        assert not view.detail.add_new_button.isEnabled()  # nothing selected yet

        # Two movies selected: only they are added.
        table = view.detail.unmatched
        for name in ("Fargo.1996.mkv", "Jaws.1975.mkv"):
            table.selectionModel().select(
                table.model().index(unmatched(view).index(name), 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
        assert view.detail.add_new_button.isEnabled() and not view.detail.assign_button.isEnabled()
        view.detail.add_new_button.click()
        await until(lambda: view.message.text().startswith("Add as new items"), 30, "the add")
        assert view.message.text() == "Add as new items: 2 new item(s), 2 file(s) assigned."
        movies = await asyncio.to_thread(core.library.list_movies)
        assert sorted((m.title, m.year) for m in movies) == [("Fargo", 1996), ("Jaws", 1975)]
        await until(lambda: len(unmatched(view)) == 4, 15, "the rescan")

        # Add all as new: the rest, with the sample refused in words.
        view.say("")
        view.detail.add_all_button.click()
        await until(lambda: view.message.text().startswith("Add as new items"), 30, "the add")
        assert view.message.text().splitlines() == [
            "Add as new items: 2 new item(s), 3 file(s) assigned, 1 file(s) not added.",
            "Heat.1995.Sample.mkv: it is a sample, not a movie or an episode: assign it by hand",
        ]
        assert view.bulk_progress.value() == view.bulk_progress.maximum() == 4
        assert view.bulk_bar.isHidden() and view.bulk is None
        await until(lambda: unmatched(view) == ["Heat.1995.Sample.mkv"], 15, "the rescan")

        library = core.library
        movies = await asyncio.to_thread(library.list_movies)
        assert sorted(m.title for m in movies) == ["Fargo", "Heat", "Jaws"]
        [show] = await asyncio.to_thread(library.list_shows)
        assert show.title == "Dark"
        for number in (1, 2):
            episode = await asyncio.to_thread(library.find_episode, show.id, 1, number)
            row = await asyncio.to_thread(library.active_assignment, "episode", episode.id)
            assert row.local_path == str(folder / f"Dark/Season 1/Dark.S01E0{number}.720p.mkv")

    assert run_app(qapp, make_core(), scenario)[0] == 0
