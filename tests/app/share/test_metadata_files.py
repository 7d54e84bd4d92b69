""".nfo files and artwork beside the videos, from a real library, through the real share."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from app.library.records import EpisodeData
from app.settings import Settings, with_overrides
from app.share.artwork import BACKDROP_SIZE, POSTER_SIZE, Artwork
from app.share.tree import build_tree
from tests.app.share.conftest import Stack, propfind, props, responses

D = "{DAV:}"
MOVIE = "/Movies/The Matrix (1999)/"
HOME = "/Movies/Home Video (2001)/"
SHOW = "/TV Shows/Dark (2017)/"
SEASON = SHOW + "Season 01/"


def jpeg(color: str, width: int = 8, height: int = 12) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "JPEG")
    return bytes(data.data())


def cache(paths, size: str, image_path: str, data: bytes) -> None:
    target = paths.poster_cache_dir / size / image_path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def video(tmp_path, name: str, size: int = 4000):
    path = tmp_path / "disk" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path


def fill(library, tmp_path):
    """A TMDB movie, a TMDB show with a season poster, a movie added by hand."""
    matrix = library.add_movie(
        "The Matrix",
        1999,
        tmdb_id=603,
        imdb_id="tt0133093",
        overview="Neo learns that <the world> is a simulation & fights back.",
        poster_path="/matrix.jpg",
        backdrop_path="/matrix-wide.jpg",
    )
    home = library.add_movie("Home Video", 2001)
    library.update_movie(home.id, overview="Our holiday at the sea.")
    dark = library.add_show(
        "Dark",
        2017,
        tmdb_id=70523,
        overview="A missing child sets four families on a hunt.",
        poster_path="/dark.jpg",
        backdrop_path="/dark-wide.jpg",
    )
    library.upsert_season(
        dark.id,
        1,
        poster_path="/dark-s1.jpg",
        episodes=[EpisodeData(1, "Secrets", "Jonas returns to school.", "2017-12-01")],
    )
    for kind, item_id, name in (
        ("movie", matrix.id, "The.Matrix.1999.mkv"),
        ("movie", home.id, "home.mp4"),
        ("episode", library.find_episode(dark.id, 1, 1).id, "Dark.S01E01.mkv"),
    ):
        path = video(tmp_path, name)
        library.assign_local(kind, item_id, str(path), size=path.stat().st_size)


PICTURES = {
    (POSTER_SIZE, "/matrix.jpg"): jpeg("#112233"),
    (BACKDROP_SIZE, "/matrix-wide.jpg"): jpeg("#445566", 16, 9),
    (POSTER_SIZE, "/dark.jpg"): jpeg("#778899"),
    (BACKDROP_SIZE, "/dark-wide.jpg"): jpeg("#aabbcc", 16, 9),
    (POSTER_SIZE, "/dark-s1.jpg"): jpeg("#ddeeff"),
}


@pytest.fixture
def metadata_stack(paths, tmp_path):
    for (size, image_path), data in PICTURES.items():
        cache(paths, size, image_path, data)
    built = Stack(paths, artwork=Artwork(paths.poster_cache_dir))
    fill(built.library, tmp_path)
    yield built
    built.close()


def listing(client, folder: str) -> dict[str, int]:
    """Name -> PROPFIND size of each file in a folder, checked against what GET sends."""
    found = {}
    for href, response in responses(propfind(client, folder).content).items():
        if href == folder:
            continue
        name = href[len(folder) :]
        if name.endswith("/"):
            found[name.rstrip("/")] = -1  # a folder
            continue
        length = int(props(response)[f"{D}getcontentlength"].text)
        body = client.get(quote(href))
        assert body.status_code == 200, (href, body.text)
        assert len(body.content) == length, href
        found[name] = length
    return found


def nfo(client, path: str) -> ET.Element:
    reply = client.get(quote(path))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(reply.content)


def ids(root: ET.Element) -> list[tuple[str, str, str | None]]:
    return [(u.get("type"), u.text, u.get("default")) for u in root.findall("uniqueid")]


def test_nfo_files_and_artwork_sit_beside_the_videos(metadata_stack):
    with metadata_stack.client() as client:
        assert sorted(listing(client, MOVIE), key=str.casefold) == [
            "fanart.jpg",
            "poster.jpg",
            "The Matrix (1999).mkv",
            "The Matrix (1999).nfo",
        ]
        assert (
            client.get(quote(MOVIE + "poster.jpg")).content == PICTURES[POSTER_SIZE, "/matrix.jpg"]
        )
        fanart = client.get(quote(MOVIE + "fanart.jpg"))
        assert fanart.headers["Content-Type"] == "image/jpeg"
        assert fanart.content == PICTURES[BACKDROP_SIZE, "/matrix-wide.jpg"]
        movie = nfo(client, MOVIE + "The Matrix (1999).nfo")
        assert movie.tag == "movie"
        assert (movie.findtext("title"), movie.findtext("year")) == ("The Matrix", "1999")
        assert movie.findtext("plot") == (
            "Neo learns that <the world> is a simulation & fights back."
        )
        assert ids(movie) == [("tmdb", "603", "true"), ("imdb", "tt0133093", None)]

        assert sorted(listing(client, SHOW), key=str.casefold) == [
            "fanart.jpg",
            "poster.jpg",
            "Season 01",
            "season01-poster.jpg",
            "tvshow.nfo",
        ]
        assert (
            client.get(quote(SHOW + "season01-poster.jpg")).content
            == (PICTURES[POSTER_SIZE, "/dark-s1.jpg"])
        )
        assert (
            client.get(quote(SHOW + "fanart.jpg")).content
            == (PICTURES[BACKDROP_SIZE, "/dark-wide.jpg"])
        )
        show = nfo(client, SHOW + "tvshow.nfo")
        assert (show.tag, show.findtext("title"), show.findtext("year")) == (
            "tvshow",
            "Dark",
            "2017",
        )
        assert show.findtext("plot") == "A missing child sets four families on a hunt."
        assert ids(show) == [("tmdb", "70523", "true")]

        assert sorted(listing(client, SEASON), key=str.casefold) == [
            "Dark (2017) - S01E01 - Secrets.mkv",
            "Dark (2017) - S01E01 - Secrets.nfo",
        ]
        episode = nfo(client, SEASON + "Dark (2017) - S01E01 - Secrets.nfo")
        assert [(child.tag, child.text) for child in episode if child.tag != "plot"] == [
            ("title", "Secrets"),
            ("showtitle", "Dark"),
            ("season", "1"),
            ("episode", "1"),
            ("aired", "2017-12-01"),
        ]
        assert episode.findtext("plot") == "Jonas returns to school."


def test_a_show_with_an_imdb_id_names_both_ids_tmdb_first(metadata_stack, tmp_path):
    library = metadata_stack.library
    show = library.add_show(
        "Breaking Bad", 2008, tmdb_id=1396, imdb_id="tt0903747", seasons={1: [EpisodeData(1)]}
    )
    path = video(tmp_path, "bb.S01E01.mkv")
    episode = library.find_episode(show.id, 1, 1)
    library.assign_local("episode", episode.id, str(path), size=path.stat().st_size)

    with metadata_stack.client() as client:
        with_imdb = nfo(client, "/TV Shows/Breaking Bad (2008)/tvshow.nfo")
        without = nfo(client, SHOW + "tvshow.nfo")
    assert with_imdb.findtext("title") == "Breaking Bad"
    assert ids(with_imdb) == [("tmdb", "1396", "true"), ("imdb", "tt0903747", None)]
    assert ids(without) == [("tmdb", "70523", "true")]


def test_an_item_without_tmdb_data_gets_an_nfo_and_no_art(metadata_stack):
    with metadata_stack.client() as client:
        assert sorted(listing(client, HOME), key=str.casefold) == [
            "Home Video (2001).mp4",
            "Home Video (2001).nfo",
        ]
        home = nfo(client, HOME + "Home Video (2001).nfo")
        assert [(child.tag, child.text) for child in home] == [
            ("title", "Home Video"),
            ("year", "2001"),
            ("plot", "Our holiday at the sea."),
        ]


def test_the_setting_turns_them_off(paths, tmp_path):
    for (size, image_path), data in PICTURES.items():
        cache(paths, size, image_path, data)
    settings = with_overrides(Settings(), {"share.metadata_files": "off"})
    assert Settings().share.metadata_files is True
    stack = Stack(
        paths,
        artwork=Artwork(paths.poster_cache_dir),
        metadata_files=settings.share.metadata_files,
    )
    try:
        fill(stack.library, tmp_path)
        with stack.client() as client:
            assert list(listing(client, MOVIE)) == ["The Matrix (1999).mkv"]
            assert list(listing(client, HOME)) == ["Home Video (2001).mp4"]
            assert list(listing(client, SHOW)) == ["Season 01"]
            assert list(listing(client, SEASON)) == ["Dark (2017) - S01E01 - Secrets.mkv"]
            assert client.get(quote(MOVIE + "poster.jpg")).status_code == 404
    finally:
        stack.close()


def test_missing_art_is_left_out_until_it_is_downloaded(library, paths, tmp_path):
    """The tree never waits for TMDB: a missing picture is asked for and left out; once it is
    in the cache the listener rebuilds and it is there. A failed download leaves it out and
    is not retried at once."""
    fill(library, tmp_path)
    asked: list[tuple[str, str]] = []
    arrived = threading.Event()

    def download(image_path: str, size: str) -> None:
        asked.append((size, image_path))
        if image_path == "/dark-wide.jpg":
            raise OSError("TMDB is unreachable")
        cache(paths, size, image_path, PICTURES[size, image_path])

    artwork = Artwork(paths.poster_cache_dir)
    artwork.set_listener(arrived.set)
    before = build_tree(library.active_entries(), artwork=artwork)
    assert before.lookup(MOVIE + "The Matrix (1999).nfo") is not None
    assert before.lookup(MOVIE + "poster.jpg") is None
    assert before.lookup(SHOW + "tvshow.nfo") is not None

    artwork.set_download(download)  # the app's poster cache is ready
    assert arrived.wait(60)
    after = build_tree(library.active_entries(), artwork=artwork)
    art = {f.path for f in after.files() if f.path.endswith(".jpg")}
    assert art == {
        MOVIE + "poster.jpg",
        MOVIE + "fanart.jpg",
        SHOW + "poster.jpg",
        SHOW + "season01-poster.jpg",
    }
    assert sorted(asked) == sorted(PICTURES)
    build_tree(library.active_entries(), artwork=artwork)  # the failed one is not asked again
    assert asked.count((BACKDROP_SIZE, "/dark-wide.jpg")) == 1
    node = after.lookup(MOVIE + "poster.jpg")
    assert node.size == len(PICTURES[POSTER_SIZE, "/matrix.jpg"])
    assert after.path_of(node.assignment_id) == MOVIE + "The Matrix (1999).mkv"
