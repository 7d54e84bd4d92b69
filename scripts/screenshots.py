"""Rebuild docs/screenshots/*.png: the real app on a sample library, on a virtual screen.

    .venv/bin/python scripts/screenshots.py            # re-runs itself under xvfb-run if needed

The sample library lives in a temporary data dir: movies and shows with generated posters in
the poster cache, torrents seeded from a loopback seeder (tests/support/swarm.py) and
assigned through the app's own Assigner, one of them partly read so the views show progress
and a piece map, one with a reader open so it shows as streaming. Two media servers are told
of the changes: a loopback Jellyfin (tests/support/media_servers.py) and a Plex that is
down, so the Sync page shows their deliveries. Nothing touches the user's own Reelbox data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
SIZE = (1280, 800)
CHILD = "REELBOX_SCREENSHOTS_CHILD"

MOVIES = [
    ("Alien", 1979),
    ("Amélie", 2001),
    ("Arrival", 2016),
    ("Blade Runner", 1982),
    ("Casablanca", 1942),
    ("Drive", 2011),
    ("Heat", 1995),
    ("Her", 2013),
    ("Inception", 2010),
    ("Jaws", 1975),
    ("Moonlight", 2016),
    ("Parasite", 2019),
    ("Spirited Away", 2001),
    ("The Godfather", 1972),
    ("The Matrix", 1999),
    ("Up", 2009),
    ("Whiplash", 2014),
    ("Zodiac", 2007),
]
SHOWS = [
    ("Dark", 2017, {1: 10, 2: 8, 3: 8}),
    ("Breaking Bad", 2008, {1: 7, 2: 13}),
    ("The Office", 2005, {1: 6, 2: 22}),
]


def relaunch_on_a_virtual_screen() -> int | None:
    """Without a display, run this script again under xvfb-run (apt: xvfb xauth)."""
    if os.environ.get("DISPLAY") or os.environ.get(CHILD):
        return None
    if shutil.which("xvfb-run") is None:
        sys.exit("No display and no xvfb-run: install it with `apt-get install -y xvfb xauth`.")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, __file__]
    return subprocess.call(command, env={**os.environ, CHILD: "1", "QT_QPA_PLATFORM": "xcb"})


def poster(title: str, year: int, target: Path) -> None:
    """A simple, distinct poster: a two-tone gradient with the title and year."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter

    image = QImage(342, 513, QImage.Format.Format_RGB32)
    hue = sum(map(ord, title)) * 47 % 360
    gradient = QLinearGradient(QPointF(0, 0), QPointF(0, 513))
    gradient.setColorAt(0, QColor.fromHsl(hue, 120, 70))
    gradient.setColorAt(1, QColor.fromHsl((hue + 40) % 360, 140, 25))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(image.rect(), gradient)
    painter.setPen(QColor(255, 255, 255, 40))
    painter.setBrush(QColor(255, 255, 255, 30))
    painter.drawEllipse(QPointF(250, 140), 150, 150)
    painter.setPen(QColor("white"))
    font = QFont("DejaVu Sans", 30, QFont.Weight.Bold)
    painter.setFont(font)
    painter.drawText(
        QRectF(20, 300, 302, 140),
        Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
        title.upper(),
    )
    font.setPointSize(16)
    font.setBold(False)
    painter.setFont(font)
    painter.drawText(QRectF(20, 455, 302, 40), Qt.AlignmentFlag.AlignLeft, str(year))
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(target), "JPEG", 90)


def slug(title: str) -> str:
    return "".join(ch for ch in title.lower() if ch.isascii() and ch.isalnum()) or "x"


async def build_library(core, seed_root: Path):
    """Movies, shows, posters and three torrents: ready, partly read, streaming."""
    from tests.support.swarm import KiB, MiB, Seeder

    library = core.library
    ids = {}
    for title, year in MOVIES:
        path = f"/{slug(title)}.jpg"
        poster(title, year, core.posters.path_for(path))
        movie = await asyncio.to_thread(
            library.add_movie,
            title,
            year,
            poster_path=path,
            overview=f"A sample entry for {title}.",
        )
        ids[title] = movie.id
    shows = {}
    for title, year, seasons in SHOWS:
        path = f"/{slug(title)}.jpg"
        poster(title, year, core.posters.path_for(path))
        shows[title] = await asyncio.to_thread(
            library.add_show, title, year, seasons=seasons, poster_path=path
        )
    seeders = [
        Seeder(
            seed_root / "heat",
            {
                "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv": 24 * MiB,
                "Heat.1995.1080p.BluRay.x264/Sample/heat.sample.mkv": 1 * MiB,
            },
            piece_length=256 * KiB,
            seed=1,
        ).start(),
        Seeder(
            seed_root / "inception",
            {"Inception.2010.2160p.WEB-DL/Inception.2010.2160p.WEB-DL.mkv": 48 * MiB},
            piece_length=256 * KiB,
            seed=2,
            upload_kib=1024,  # slow, so its background fetch is still under way on the shots
        ).start(),
        Seeder(
            seed_root / "dark",
            {
                f"Dark.S01.720p.WEB-DL/Dark.S01E{n:02d}.720p.WEB-DL.mkv": 2 * MiB
                for n in range(1, 11)
            },
            piece_length=256 * KiB,
            seed=3,
        ).start(),
    ]
    heat, inception, dark = seeders
    assign = core.assigner
    await asyncio.to_thread(assign.assign, "movie", ids["Heat"], heat.magnet)
    await asyncio.to_thread(assign.assign, "movie", ids["Inception"], inception.magnet)
    season = library.seasons(shows["Dark"].id)[0]
    episodes = library.episodes(season.id)
    info = await asyncio.to_thread(core.torrents.add, dark.magnet)
    by_name = {f.path.rsplit("/", 1)[-1]: f.index for f in info.files}
    mapping = {e.id: by_name[f"Dark.S01E{e.number:02d}.720p.WEB-DL.mkv"] for e in episodes}
    await asyncio.to_thread(assign.assign_episodes, dark.magnet, mapping)

    def read(seeder, name: str, start: int, length: int, keep_open: bool = False):
        reader = core.torrents.open_file(seeder.info_hash, seeder.file_index(name))
        reader.seek(start)
        left = length
        while left > 0:
            left -= len(reader.read(min(left, 1024 * 1024)) or b"") or left
        return reader if keep_open else reader.close()

    await asyncio.to_thread(
        read, heat, "Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv", 0, 24 * MiB
    )
    await asyncio.to_thread(
        read, inception, "Inception.2010.2160p.WEB-DL/Inception.2010.2160p.WEB-DL.mkv", 0, 14 * MiB
    )
    streaming = await asyncio.to_thread(
        read, dark, "Dark.S01.720p.WEB-DL/Dark.S01E01.720p.WEB-DL.mkv", 0, 2 * MiB, True
    )
    return ids, shows, seeders, streaming


async def until_done(task) -> None:
    """Wait on the loop (never blocking it) for a dialog's background read."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.shield(task), 30)


def wait_for_bytes(core, seeder, name: str) -> None:
    """A player's read near the end of a file; it waits until the app stops."""
    with (
        contextlib.suppress(Exception),
        core.torrents.open_file(seeder.info_hash, seeder.file_index(name)) as reader,
    ):
        reader.seek(seeder.paths[name].stat().st_size - 8 * 1024 * 1024)  # not pinned
        reader.read(64 * 1024)


async def shoot_sync(reelbox, folder: Path, settle, save) -> None:
    """The Sync view: the TMDB source and a watched folder with a few runs in its history,
    a matched video, an unmatched one selected; then the Add folder dialog with an error."""
    from ui.dialogs.folder_dialog import FolderDialog

    core, window, view = reelbox.core, reelbox.window, reelbox.sync_view
    window.show_page("sync")
    with contextlib.suppress(Exception):  # the sample's TMDB run may fail: it shows as such
        await core.sync.sync_now("tmdb", "app")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Arrival.2016.1080p.BluRay.x264.mkv").write_bytes(b"\0" * 300_000)
    state = await asyncio.to_thread(core.add_folder, str(folder), "watch", 10)
    await core.sync.run(state.name, "app")
    (folder / "Family.Holiday.2019.mkv").write_bytes(b"\0" * 200_000)
    (folder / "Whiplash.2014.720p.WEB-DL.mkv").write_bytes(b"\0" * 250_000)
    await core.sync.run(state.name, "watch")
    await asyncio.sleep(1.2)  # a later run, so the history shows distinct times
    await core.sync.run(state.name, "manual")
    await view.load_sources()
    view.table.select(state.name)
    await settle(0.5)
    if view.detail.unmatched.rowCount():
        view.detail.unmatched.selectRow(0)
    await settle()
    save(window, "sync")

    # A media server's source: the library's changes told to it, and a test by Refresh
    notify = "notify-living-room"
    await core.sync.run(notify, "manual")
    view.table.select(notify)
    await settle()
    save(window, "sync-media-servers")

    async def refuse(_values) -> None:
        raise ValueError(f"{folder} is already watched ({state.name})")

    dialog = FolderDialog(refuse, window)
    dialog.path.setText(str(folder))
    dialog.interval.setText("10")
    dialog.show()
    dialog.submit()
    await settle(0.5)
    save(dialog, "sync-add-folder")
    dialog.close()


async def shoot(reelbox, seed_root: Path) -> list[Path]:
    from ui.dialogs.add_dialog import AddDialog
    from ui.dialogs.connect_dialog import ConnectDialog
    from ui.dialogs.episodes_dialog import EpisodesDialog
    from ui.dialogs.settings_dialog import SettingsDialog
    from ui.library.snapshot import EpisodeRow

    core, window = reelbox.core, reelbox.window
    ids, shows, seeders, streaming = await build_library(core, seed_root)
    await reelbox.reload_library_now()
    saved: list[Path] = []

    async def settle(seconds: float = 1.5) -> None:
        # Sleeping on the loop lets Qt paint and the status poll land (never processEvents()
        # inside a coroutine: it re-enters the loop).
        reelbox.board.poll()
        await asyncio.sleep(seconds)

    def save(widget, name: str) -> None:
        target = OUT / f"{name}.png"
        widget.grab().save(str(target))
        saved.append(target)

    window.resize(*SIZE)
    window.show_page("movies")
    page = reelbox.movies_page
    page.view.set_layout("grid")
    page.view.select_movie(ids["Heat"])
    await settle(2.5)
    save(window, "movies-grid")
    reelbox.theme.apply("dark")  # the same view in the dark theme, then back
    await settle()
    save(window, "movies-grid-dark")
    reelbox.theme.apply("light")
    page.view.set_layout("list")
    page.view.select_movie(ids["Inception"])
    await settle()
    save(window, "movies-list")
    page.view.set_layout("grid")
    window.resize(800, 560)  # the smallest window the layout is made for
    await settle()
    save(window, "movies-small")
    window.resize(*SIZE)

    window.show_page("shows")
    shows_page = reelbox.shows_page
    show_index = shows_page.proxy.mapFromSource(
        shows_page.model.find(("ShowRow", shows["Dark"].id))
    )
    shows_page.tree.expand(show_index)
    season_index = shows_page.proxy.index(0, 0, show_index)
    shows_page.tree.expand(season_index)
    shows_page.tree.setCurrentIndex(shows_page.proxy.index(0, 0, season_index))
    await settle()
    save(window, "shows")

    # Inception's seeder goes away while a player waits for a part not fetched yet: the
    # Torrents page says why the player waits
    seeders[1].stop()
    name = "Inception.2010.2160p.WEB-DL/Inception.2010.2160p.WEB-DL.mkv"
    threading.Thread(target=wait_for_bytes, args=(core, seeders[1], name), daemon=True).start()
    window.show_page("torrents")
    reelbox.torrents_page.select(seeders[1].info_hash)
    await settle(3)
    save(window, "torrents")

    # The sample's home is the temporary dir, so the folder reads ~/Videos/Incoming.
    home = os.environ.get("HOME")
    os.environ["HOME"] = str(seed_root.parent)
    try:
        await shoot_sync(reelbox, seed_root.parent / "Videos" / "Incoming", settle, save)
    finally:
        if home is not None:
            os.environ["HOME"] = home

    dialog = AddDialog("movie", None, core.posters, window)
    dialog.title.setText("Heat")
    dialog.year.setText("1995")
    dialog.show()
    await settle(0.5)
    save(dialog, "add-movie")
    dialog.close()

    info = core.torrents.get(seeders[2].info_hash)
    season = shows["Dark"]
    episodes = [
        EpisodeRow(e.id, season.id, 1, e.number, e.title or "")
        for e in core.library.episodes(core.library.seasons(season.id)[0].id)
    ]
    dialog = EpisodesDialog("Dark (2017) · Season 1", info, episodes, 1, window)
    dialog.show()
    await settle(0.5)
    save(dialog, "match-episodes")
    dialog.close()

    dialog = SettingsDialog(core, window)
    dialog.fields["torrents.connections_limit"].setText("1")
    dialog.tabs.setCurrentIndex(1)
    dialog.show()
    dialog.collect()
    await settle(0.5)
    save(dialog, "settings")
    media = dialog.media_servers
    row = media.add_row(None)
    for column, text in ((0, "living-room"), (2, "http://192.168.1.20:8096"), (4, "/mnt/reelbox")):
        media.table.cellWidget(row, column).setText(text)
    dialog.tabs.setCurrentWidget(media)
    await settle(0.5)
    save(dialog, "settings-media-servers")
    dialog.tabs.setCurrentWidget(dialog.debrid)
    await settle(0.5)
    save(dialog, "settings-debrid")
    dialog.close()

    dialog = ConnectDialog(core, window)
    dialog.show()
    await until_done(dialog.password_read)
    await settle(0.5)
    save(dialog, "connect")
    dialog.close()

    streaming.close()
    for seeder in seeders:
        seeder.stop()
    return saved


def main() -> int:
    code = relaunch_on_a_virtual_screen()
    if code is not None:
        return code
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.core import Core
    from app.paths import Paths
    from tests.support.loopback import free_port
    from tests.support.media_servers import serve
    from tests.ui.conftest import loopback_overrides
    from ui.app import ReelboxApp, app_icon

    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    qt_app.setWindowIcon(app_icon())
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="reelbox-shots-") as tmp,
        serve("jellyfin") as jellyfin,
    ):
        paths = Paths.under(Path(tmp) / "home")
        targets = [
            {"name": "living-room", "kind": "jellyfin", "url": jellyfin.url},
            {"name": "den", "kind": "plex", "url": f"http://127.0.0.1:{free_port()}"},
        ]
        settings = {
            "share.enabled": "on",
            "sync.enabled": "on",
            "notify.debounce_seconds": "0.5",
            "notify.targets": json.dumps(targets),
        }
        core = Core(paths, loopback_overrides(**settings), listen_interface="127.0.0.1")
        reelbox = ReelboxApp(core)

        async def run() -> list[Path]:
            running = asyncio.ensure_future(reelbox.run())
            try:
                while not (reelbox.started or reelbox.start_error):
                    await asyncio.sleep(0.05)
                if reelbox.start_error:
                    raise SystemExit(reelbox.start_error)
                return await shoot(reelbox, Path(tmp) / "seeds")
            finally:
                reelbox.quit()
                await running

        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            saved = runner.run(run())
    for path in saved:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
