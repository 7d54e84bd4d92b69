"""Local files (a watched folder's videos) on the real share: names, sizes, ranges, errors."""

from __future__ import annotations

import random
from urllib.parse import quote

from tests.app.share.conftest import MiB, propfind, props, responses

D = "{DAV:}"


def local_file(tmp_path, name: str, size: int, seed: int = 7):
    path = tmp_path / "disk" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def test_a_local_file_is_served_from_disk_with_ranges(stack, tmp_path):
    path = local_file(tmp_path, "Heat.1995.1080p.BluRay.x264-GRP.MKV", 3 * MiB + 17)
    data = path.read_bytes()
    movie = stack.library.add_movie("Heat", 1995)
    stack.library.assign_local("movie", movie.id, str(path), size=len(data))
    share_path = "/Movies/Heat (1995)/Heat (1995).mkv"

    with stack.client() as client:
        listing = responses(propfind(client, "/Movies/Heat (1995)/").content)
        file_props = props(listing[share_path])
        assert file_props[f"{D}getcontentlength"].text == str(len(data))
        assert file_props[f"{D}getcontenttype"].text == "video/x-matroska"

        reply = client.get(quote(share_path), headers={"Range": "bytes=1000000-2000123"})
        assert reply.status_code == 206
        assert reply.content == data[1000000:2000124]
        assert reply.headers["Content-Range"] == f"bytes 1000000-2000123/{len(data)}"

        tail = client.get(quote(share_path), headers={"Range": "bytes=-100"})
        assert tail.status_code == 206 and tail.content == data[-100:]

        head = client.head(quote(share_path))
        assert head.status_code == 200
        assert head.headers["Content-Length"] == str(len(data))
        etag = head.headers["ETag"]

        same = client.get(quote(share_path), headers={"Range": "bytes=0-9", "If-Range": etag})
        assert same.status_code == 206 and same.content == data[:10]
        stale = client.get(
            quote(share_path), headers={"Range": "bytes=0-9", "If-Range": '"another-etag"'}
        )
        assert stale.status_code == 200 and stale.content == data

        whole = client.get(quote(share_path))
        assert whole.status_code == 200 and whole.content == data

        # the API says where the movie's bytes come from
        detail = client.get(f"/api/movies/{movie.id}").json()
        (source,) = [a for a in detail["assignments"] if a["active"]]
        assert (source["source_kind"], source["local_path"], source["info_hash"]) == (
            "local",
            str(path),
            None,
        )


def test_local_episodes_keep_their_names_and_stay_apart(stack, tmp_path):
    first = local_file(tmp_path, "Dark.S01E01.mp4", 1000, seed=1)
    second = local_file(tmp_path, "Dark.S01E02.avi", 2000, seed=2)
    both = local_file(tmp_path, "Dark.S01E03E04.mkv", 3000, seed=3)
    show = stack.library.add_show("Dark", 2017, seasons={1: 4})
    for number, path in ((1, first), (2, second), (3, both), (4, both)):
        episode = stack.library.find_episode(show.id, 1, number)
        stack.library.assign_local("episode", episode.id, str(path), size=path.stat().st_size)
    season = "/TV Shows/Dark (2017)/Season 01/"

    with stack.client() as client:
        listing = responses(propfind(client, season).content)
        names = sorted(href[len(season) :] for href in listing if href != season)
        assert names == [
            "Dark (2017) - S01E01.mp4",
            "Dark (2017) - S01E02.avi",
            "Dark (2017) - S01E03-E04.mkv",
        ]
        for name, path in zip(names, (first, second, both), strict=True):
            reply = client.get(quote(season + name), headers={"Range": "bytes=10-99"})
            assert reply.status_code == 206
            assert reply.content == path.read_bytes()[10:100]


def test_a_local_file_that_is_gone_or_shorter_is_a_clean_error(stack, tmp_path):
    path = local_file(tmp_path, "Alien.1979.mkv", 100_000)
    movie = stack.library.add_movie("Alien", 1979)
    stack.library.assign_local("movie", movie.id, str(path), size=100_000)
    share_path = quote("/Movies/Alien (1979)/Alien (1979).mkv")

    with stack.client() as client:
        path.write_bytes(b"short")  # rewritten on disk, not yet rescanned
        reply = client.get(share_path, headers={"Range": "bytes=0-99"})
        assert reply.status_code == 503
        assert "fewer than the 100000" in reply.text and "Traceback" not in reply.text

        path.unlink()
        reply = client.get(share_path)
        assert reply.status_code == 410
        assert "no longer on disk" in reply.text and "Traceback" not in reply.text


def test_subtitles_beside_a_local_video_are_served_too(stack, tmp_path):
    movie_file = local_file(tmp_path, "Heat.1995.1080p.mkv", 5000)
    (tmp_path / "disk" / "Heat.1995.1080p.en.srt").write_text("1\n00:00:01,000 --> x\nHello\n")
    (tmp_path / "disk" / "Subs").mkdir()
    (tmp_path / "disk" / "Subs" / "Heat.1995.1080p.fr.srt").write_text("1\nBonjour\n")
    (tmp_path / "disk" / "Other.Film.2001.srt").write_text("not Heat's")
    local_file(tmp_path, "Other.Film.2001.mkv", 6000, seed=2)  # two videos: names decide
    movie = stack.library.add_movie("Heat", 1995)
    stack.library.assign_local("movie", movie.id, str(movie_file), size=5000)
    folder = "/Movies/Heat (1995)/"

    with stack.client() as client:
        listing = responses(propfind(client, folder).content)
        assert sorted(href[len(folder) :] for href in listing if href != folder) == [
            "Heat (1995).en.srt",
            "Heat (1995).fr.srt",
            "Heat (1995).mkv",
        ]
        english = client.get(quote(folder + "Heat (1995).en.srt"))
        assert english.status_code == 200 and "Hello" in english.text
        french = client.get(quote(folder + "Heat (1995).fr.srt"), headers={"Range": "bytes=2-"})
        assert french.status_code == 206 and french.content == b"Bonjour\n"
        etags = {
            props(listing[folder + name])[f"{D}getetag"].text
            for name in ("Heat (1995).en.srt", "Heat (1995).fr.srt", "Heat (1995).mkv")
        }
        assert len(etags) == 3


def test_a_watched_folder_feeds_the_share(stack, tmp_path, make_seeder):
    """End to end: a video and a .torrent dropped into a watched folder, played from the share."""
    import asyncio

    from app.assign import Assigner
    from app.sync.folders import FolderSource

    folder = tmp_path / "watched"
    video = local_file(tmp_path, "Alien.1979.720p.BluRay.mkv", 2 * MiB, seed=5)
    folder.mkdir()
    video = video.rename(folder / video.name)
    seeder = make_seeder({"Heat.1995.1080p.WEB-DL.mkv": 2 * MiB})
    (folder / "Heat.1995.1080p.WEB-DL.torrent").write_bytes(seeder.torrent_bytes)
    alien = stack.library.add_movie("Alien", 1979)
    heat = stack.library.add_movie("Heat", 1995)
    record = stack.library.add_folder_source(folder, mode="manual")
    source = FolderSource(
        stack.library, stack.torrents, Assigner(stack.library, stack.torrents), record
    )

    assert asyncio.run(source.sync()) == "2 added; 2 assigned"
    assert stack.library.active_assignment("movie", alien.id).source_kind == "local"
    assert stack.library.active_assignment("movie", heat.id).source_kind == "torrent"
    stack.torrents.add(seeder.magnet)  # the .torrent has no tracker: tell it where the peer is
    with stack.client() as client:
        reply = client.get(
            quote("/Movies/Alien (1979)/Alien (1979).mkv"), headers={"Range": "bytes=5-1000004"}
        )
        assert reply.status_code == 206 and reply.content == video.read_bytes()[5:1000005]
        reply = client.get(
            quote("/Movies/Heat (1995)/Heat (1995).mkv"), headers={"Range": "bytes=7-70006"}
        )
        assert reply.status_code == 206
        assert reply.content == seeder.data("Heat.1995.1080p.WEB-DL.mkv")[7:70007]
