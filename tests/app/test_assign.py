"""The Assigner against a real library, a real torrent service and loopback seeders."""

from __future__ import annotations

import pytest

from app.assign import (
    AmbiguousFile,
    Assigner,
    AssignError,
    FileNotInTorrent,
    NotAssigned,
    NoVideoFile,
    TorrentInUse,
)
from app.library.errors import NotFound
from app.torrents.errors import InvalidTorrent, TorrentNotFound
from tests.support.swarm import KiB, MiB, Seeder


@pytest.fixture
def assigner(library, torrents):
    return Assigner(library, torrents)


@pytest.fixture
def seed(tmp_path):
    started = []

    def factory(files):
        seeder = Seeder(tmp_path / f"s{len(started)}", files, piece_length=256 * KiB).start()
        started.append(seeder)
        return seeder

    yield factory
    for seeder in started:
        seeder.stop()


def test_movie_gets_the_main_video_not_the_sample(assigner, library, torrents, seed):
    seeder = seed(
        {
            "Heat.1995.2160p.UHD.BluRay/Heat.1995.2160p.UHD.BluRay.mkv": 3 * MiB,
            "Heat.1995.2160p.UHD.BluRay/Sample/heat-sample.mkv": 300 * KiB,
            "Heat.1995.2160p.UHD.BluRay/heat.nfo": 200,
        }
    )
    movie = library.add_movie("Heat", 1995)
    info = assigner.inspect(seeder.magnet)
    assert len(info.files) == 3
    assignment = assigner.assign("movie", movie.id, seeder.magnet)
    assert assignment.file_path == "Heat.1995.2160p.UHD.BluRay/Heat.1995.2160p.UHD.BluRay.mkv"
    assert assignment.file_size == 3 * MiB
    assert assignment.resolution == "2160p"
    assert assignment.source == "UHD BluRay"  # guessit's label
    assert assignment.magnet_uri == seeder.magnet and assignment.torrent_data is None
    assert library.active_assignment("movie", movie.id).id == assignment.id


def test_ambiguous_and_missing_files(assigner, library, torrents, seed):
    seeder = seed({"Two/First.Film.2001.mkv": 1 * MiB, "Two/Second.Film.2002.mp4": 1 * MiB})
    movie = library.add_movie("Second Film", 2002)
    with pytest.raises(AmbiguousFile) as caught:
        assigner.assign("movie", movie.id, seeder.torrent_bytes)
    assert sorted(f.path for f in caught.value.candidates) == [
        "Two/First.Film.2001.mkv",
        "Two/Second.Film.2002.mp4",
    ]
    assert "2 video files" in str(caught.value)
    assert torrents.get(seeder.info_hash) is None  # a torrent added only to fail is not kept
    with pytest.raises(FileNotInTorrent):
        assigner.assign("movie", movie.id, seeder.torrent_bytes, file_path="Two/Third.mkv")
    done = assigner.assign(
        "movie",
        movie.id,
        seeder.torrent_bytes,
        file_path="Second.Film.2002.mp4",
        source_label="DVD",
    )
    assert done.file_index == seeder.file_index("Two/Second.Film.2002.mp4")
    assert done.torrent_data == seeder.torrent_bytes and done.source == "DVD"


def test_no_video_file(assigner, library, torrents, seed):
    seeder = seed({"Docs/readme.txt": 10 * KiB, "Docs/cover.jpg": 10 * KiB})
    movie = library.add_movie("Docs", 2000)
    with pytest.raises(NoVideoFile, match="no video"):
        assigner.assign("movie", movie.id, seeder.magnet)
    with pytest.raises(NoVideoFile, match="readme.txt is not a video file"):
        assigner.assign("movie", movie.id, seeder.magnet, file_path="Docs/readme.txt")
    assert library.active_assignment("movie", movie.id) is None
    assert torrents.get(seeder.info_hash) is None


def test_unknown_items_and_bad_sources_fail_before_anything_is_stored(assigner, library, seed):
    seeder = seed({"x.mkv": 100 * KiB})
    with pytest.raises(NotFound):
        assigner.assign("movie", 12345, seeder.magnet)
    with pytest.raises(NotFound):
        assigner.assign("episode", 12345, seeder.magnet)
    with pytest.raises(AssignError):
        assigner.assign("show", 1, seeder.magnet)
    movie = library.add_movie("X", 2000)
    with pytest.raises(InvalidTorrent):
        assigner.assign("movie", movie.id, "magnet:?xt=urn:btih:zzz")
    with pytest.raises(InvalidTorrent):
        assigner.assign("movie", movie.id, b"not bencoded")
    assert library.assignments_of("movie", movie.id) == []


def test_episodes_from_a_pack_and_unassigning(assigner, library, torrents, seed):
    files = {f"Show.S01/Show.S01E0{n}.720p.WEB-DL.mkv": (n + 1) * 100 * KiB for n in (1, 2, 3)}
    seeder = seed(files)
    show = library.add_show("Show", 2020, seasons={1: 3})
    e1, e2, e3 = library.episodes(library.seasons(show.id)[0].id)
    one = assigner.assign("episode", e2.id, seeder.magnet)  # found by its S01E02
    assert one.file_path == "Show.S01/Show.S01E02.720p.WEB-DL.mkv"
    assert one.resolution == "720p" and one.source == "WEB-DL"
    done = assigner.assign_episodes(
        seeder.magnet,
        {
            e1.id: seeder.file_index("Show.S01/Show.S01E01.720p.WEB-DL.mkv"),
            e3.id: seeder.file_index("Show.S01/Show.S01E03.720p.WEB-DL.mkv"),
        },
    )
    assert [a.file_size for a in done] == [200 * KiB, 400 * KiB]
    with pytest.raises(FileNotInTorrent):
        assigner.assign_episodes(seeder.magnet, {e1.id: 99})
    # the torrent stays while any episode uses it, and goes with the last one
    assigner.unassign("episode", e1.id)
    assigner.unassign("episode", e2.id)
    assert torrents.get(seeder.info_hash) is not None
    assigner.unassign("episode", e3.id)
    assert torrents.get(seeder.info_hash) is None
    with pytest.raises(NotAssigned):
        assigner.unassign("episode", e3.id)


def test_reassigning_drops_the_old_torrent_when_unused(assigner, library, torrents, seed):
    old = seed({"Old.Heat.1995.720p.mkv": 200 * KiB})
    new = seed({"New.Heat.1995.1080p.mkv": 300 * KiB})
    movie = library.add_movie("Heat", 1995)
    assigner.assign("movie", movie.id, old.magnet)
    assigner.assign("movie", movie.id, new.magnet)
    assert torrents.get(old.info_hash) is None
    assert library.active_assignment("movie", movie.id).info_hash == new.info_hash
    assert len(library.assignments_of("movie", movie.id)) == 2  # history kept


def test_remove_torrent_and_delete_items(assigner, library, torrents, seed):
    seeder = seed({"Pack/A.2001.mkv": 100 * KiB, "Pack/B.2002.mkv": 100 * KiB})
    a = library.add_movie("A", 2001)
    b = library.add_movie("B", 2002)
    assigner.assign("movie", a.id, seeder.magnet, file_path="Pack/A.2001.mkv")
    assigner.assign("movie", b.id, seeder.magnet, file_path="Pack/B.2002.mkv")
    with pytest.raises(TorrentInUse) as caught:
        assigner.remove_torrent(seeder.info_hash)
    assert {x.item_id for x in caught.value.assignments} == {a.id, b.id}
    assert torrents.get(seeder.info_hash) is not None
    assigner.delete_item("movie", a.id)  # b still uses the torrent
    assert torrents.get(seeder.info_hash) is not None
    done = assigner.remove_torrent(seeder.info_hash, force=True)
    assert [x.item_id for x in done] == [b.id]
    assert library.active_assignment("movie", b.id) is None
    assert torrents.get(seeder.info_hash) is None


def test_removing_a_torrent_the_session_no_longer_has_changes_nothing(
    assigner, library, torrents, seed
):
    """The Torrents page and the API remove through here: a torrent gone meanwhile (another
    front end removed it) is TorrentNotFound before any item loses its source."""
    seeder = seed({"A.2001.mkv": 100 * KiB})
    movie = library.add_movie("A", 2001)
    assigner.assign("movie", movie.id, seeder.magnet)
    torrents.remove(seeder.info_hash)
    with pytest.raises(TorrentNotFound):
        assigner.remove_torrent(seeder.info_hash, force=True, delete_data=False)
    assert library.active_assignment("movie", movie.id).info_hash == seeder.info_hash


def test_discard_after_a_cancelled_inspect(assigner, torrents, seed):
    seeder = seed({"x.mkv": 100 * KiB})
    assigner.inspect(seeder.magnet)
    assert torrents.get(seeder.info_hash) is not None
    assert assigner.discard(seeder.info_hash) is True
    assert torrents.get(seeder.info_hash) is None
    assert assigner.discard(seeder.info_hash) is False


def test_local_files_mix_with_torrents(assigner, library, torrents, seed, tmp_path):
    seeder = seed({"Heat.1995.1080p.mkv": 100 * KiB})
    movie = library.add_movie("Heat", 1995)
    assigner.assign("movie", movie.id, seeder.magnet)
    # A watched folder's file replaces the torrent, which nothing uses any more.
    library.assign_local("movie", movie.id, tmp_path / "Heat.1995.mkv", size=5)
    assigner.discard(seeder.info_hash)
    assert torrents.get(seeder.info_hash) is None
    assert assigner.unassign("movie", movie.id).source_kind == "local"
    with pytest.raises(NotAssigned, match="no source assigned"):
        assigner.unassign("movie", movie.id)
    assigner.delete_item("movie", movie.id)  # a local file has no torrent to discard
    assert library.list_movies() == []
