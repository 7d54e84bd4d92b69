"""Sidecar subtitles: which subtitle files of a torrent appear next to which video, and how."""

from __future__ import annotations

from datetime import UTC, datetime

from app.library.records import ActiveEntry
from app.share.tree import build_tree
from app.torrents.status import TorrentFile

HASH = "c" * 40


def files(*paths: str) -> tuple[TorrentFile, ...]:
    return tuple(TorrentFile(i, p, 1000 + i, 0) for i, p in enumerate(paths))


def entry(
    kind="movie",
    item_id=1,
    title="Heat",
    year=1995,
    file_index=0,
    file_path="",
    season=None,
    episode=None,
    show_id=None,
) -> ActiveEntry:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    return ActiveEntry(
        kind,
        item_id,
        title,
        year,
        show_id,
        season,
        episode,
        None,
        item_id,
        HASH,
        file_index,
        file_path,
        5000,
        None,
        True,
        None,
        None,
        when,
        when,
    )


def paths_for(entries, torrent_files) -> dict[str, int]:
    tree = build_tree(entries, lambda info_hash: torrent_files)
    return {f.path: f.file_index for f in tree.files()}


def test_movie_subtitles_named_after_the_video_and_in_a_subs_folder():
    torrent = files(
        "Heat.1995.1080p/Heat.1995.1080p.mkv",
        "Heat.1995.1080p/Heat.1995.1080p.en.srt",
        "Heat.1995.1080p/Heat.1995.1080p.FR.forced.srt",
        "Heat.1995.1080p/Subs/English.srt",
        "Heat.1995.1080p/Subs/Spanish.ass",
        "Heat.1995.1080p/Sample/heat.sample.mkv",
        "Heat.1995.1080p/heat.nfo",
        "Other/elsewhere.srt",
    )
    found = paths_for([entry(file_path=torrent[0].path)], torrent)
    base = "/Movies/Heat (1995)/Heat (1995)"
    assert found == {
        f"{base}.mkv": 0,
        f"{base}.en.srt": 1,
        f"{base}.FR.forced.srt": 2,
        f"{base}.English.srt": 3,
        f"{base}.Spanish.ass": 4,
    }


def test_a_subtitle_with_the_same_name_gets_no_tag():
    torrent = files("Heat.mkv", "Heat.srt", "heat.SRT")
    found = paths_for([entry(file_path="Heat.mkv")], torrent)
    assert set(found) == {
        "/Movies/Heat (1995)/Heat (1995).mkv",
        "/Movies/Heat (1995)/Heat (1995).srt",
        "/Movies/Heat (1995)/Heat (1995).sub2.srt",
    }


def test_season_pack_subtitles_go_to_their_own_episode():
    torrent = files(
        "Dark.S01/Dark.S01E01.mkv",
        "Dark.S01/Dark.S01E02.mkv",
        "Dark.S01/Dark.S01E01.en.srt",
        "Dark.S01/Subs/Dark.S01E02/2_English.srt",
        "Dark.S01/Subs/English.srt",  # which episode? none: not guessed
    )
    entries = [
        entry("episode", 1, "Dark", 2017, 0, torrent[0].path, 1, 1, show_id=9),
        entry("episode", 2, "Dark", 2017, 1, torrent[1].path, 1, 2, show_id=9),
    ]
    found = paths_for(entries, torrent)
    season = "/TV Shows/Dark (2017)/Season 01/Dark (2017)"
    assert found == {
        f"{season} - S01E01.mkv": 0,
        f"{season} - S01E01.en.srt": 2,
        f"{season} - S01E02.mkv": 1,
        f"{season} - S01E02.2_English.srt": 3,
    }


def test_sidecars_have_their_own_type_etag_and_do_not_replace_the_video():
    torrent = files("Heat.mkv", "Heat.en.srt")
    tree = build_tree([entry(file_path="Heat.mkv")], lambda info_hash: torrent)
    video = tree.lookup("/Movies/Heat (1995)/Heat (1995).mkv")
    sub = tree.lookup("/Movies/Heat (1995)/Heat (1995).en.srt")
    assert sub.content_type == "application/x-subrip" and sub.sidecar
    assert sub.etag != video.etag and sub.size == 1001
    assert tree.path_of(video.assignment_id) == video.path


def test_unknown_torrent_files_mean_no_sidecars():
    tree = build_tree([entry(file_path="Heat.mkv")], lambda info_hash: None)
    assert tree.file_count == 1


def test_sidecar_streams_over_webdav(stack, make_seeder):
    from urllib.parse import quote

    seeder = make_seeder(
        {"Alien.1979/Alien.1979.mkv": 1024 * 1024, "Alien.1979/Alien.1979.en.srt": 3000}
    )
    with stack.client() as client:
        movie = client.post("/api/movies", json={"title": "Alien", "year": 1979}).json()
        reply = client.post(f"/api/movies/{movie['id']}/assign", json={"magnet_uri": seeder.magnet})
        assert reply.status_code == 201, reply.text
        assert reply.json()["share_path"] == "/Movies/Alien (1979)/Alien (1979).mkv"
        sub = client.get(quote("/Movies/Alien (1979)/Alien (1979).en.srt"))
    assert sub.status_code == 200
    assert sub.headers["content-type"] == "application/x-subrip"
    assert sub.content == seeder.data("Alien.1979/Alien.1979.en.srt")
