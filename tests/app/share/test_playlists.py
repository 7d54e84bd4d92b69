"""M3U playlists through the real server: a real library of local files on the running share.

The playlist must list exactly the share's videos (not their sidecar subtitles), each URL
absolute, quoted, free of credentials, and opening with the share's credentials.
"""

from __future__ import annotations

import random
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest

from app.share.playlists import render
from app.share.tree import FileNode
from tests.app.share.conftest import PASSWORD, USER, Stack, propfind, responses

# titles with characters a URL must quote: a space, &, #, %, an accent
MOVIES = {"Heat": 1995, "Amélie": 2001, "Se7en #1 & 50%": 1995}


def local_file(folder, name: str, size: int, seed: int):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


@pytest.fixture(scope="module")
def share(tmp_path_factory):
    """Movies, a subtitle, two shows (one with a double episode) assigned to local files,
    the episodes assigned out of order."""
    from app.paths import Paths

    home = tmp_path_factory.mktemp("home")
    paths = Paths.under(home)
    paths.ensure()
    stack = Stack(paths)
    disk = home / "disk"
    library = stack.library
    for seed, (title, year) in enumerate(MOVIES.items()):
        path = local_file(disk / title, f"{title}.{year}.mkv", 20_000 + seed, seed)
        movie = library.add_movie(title, year)
        library.assign_local("movie", movie.id, str(path), size=path.stat().st_size)
    (disk / "Heat" / "Heat.1995.en.srt").write_text("1\n00:00:01,000 --> x\nHello\n")

    dark = library.add_show("Dark", 2017, seasons={1: 4, 2: 1})
    order = [(2, 1, "Dark.S02E01.mkv"), (1, 2, "Dark.S01E02.mkv"), (1, 1, "Dark.S01E01.mkv")]
    double = local_file(disk / "Dark", "Dark.S01E03E04.mkv", 3000, 9)
    for seed, (season, number, name) in enumerate(order):
        path = local_file(disk / "Dark", name, 1000 + seed, 10 + seed)
        episode = library.find_episode(dark.id, season, number)
        library.assign_local("episode", episode.id, str(path), size=path.stat().st_size)
    for number in (3, 4):
        episode = library.find_episode(dark.id, 1, number)
        library.assign_local("episode", episode.id, str(double), size=3000)

    other = library.add_show("Severance", 2022, seasons={1: 1})
    episode = library.find_episode(other.id, 1, 1)
    path = local_file(disk / "Severance", "Severance.S01E01.mkv", 500, 20)
    library.assign_local("episode", episode.id, str(path), size=500)

    stack.dark_id, stack.other_id = dark.id, other.id
    yield stack
    stack.close()


def entries(reply) -> list[tuple[str, str]]:
    """(title, url) per entry of an Extended M3U answer, checking its shape."""
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "audio/x-mpegurl; charset=utf-8"
    assert int(reply.headers["content-length"]) == len(reply.content)
    assert "transfer-encoding" not in reply.headers
    lines = reply.text.split("\n")
    assert lines[0] == "#EXTM3U" and lines[-1] == ""
    pairs = list(zip(lines[1:-1:2], lines[2:-1:2], strict=True))
    found = []
    for info, url in pairs:
        assert info.startswith("#EXTINF:-1,")
        found.append((info[len("#EXTINF:-1,") :], url))
    return found


def share_files(client) -> set[str]:
    """Every file on the share, by walking it with PROPFIND."""
    found, pending = set(), ["/"]
    while pending:
        folder = pending.pop()
        for href in responses(propfind(client, folder).content):
            if href.endswith("/"):
                if href != folder:
                    pending.append(href)
            else:
                found.add(href)
    return found


def test_the_playlist_lists_every_video_on_the_share_and_each_url_plays(share):
    with share.client() as client:
        playlist = entries(client.get("/api/playlist.m3u"))
        on_share = share_files(client)
    paths = [unquote(urlsplit(url).path) for _, url in playlist]
    subtitles = {path for path in on_share if path.endswith(".srt")}
    assert subtitles == {"/Movies/Heat (1995)/Heat (1995).en.srt"}
    assert sorted(paths) == sorted(on_share - subtitles) and len(paths) == 8
    # movies first, then shows, each in the share's order
    assert paths == sorted(paths, key=lambda p: [part.casefold() for part in p.split("/")])
    assert [title for title, _ in playlist[:3]] == [
        "Amélie (2001)",
        "Heat (1995)",
        "Se7en #1 & 50% (1995)",
    ]
    for title, url in playlist:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == share.base  # from the request's Host
        assert parts.username is None and PASSWORD not in url and USER not in url
        assert url == share.base + quote(unquote(parts.path), safe="/")  # every byte quoted
        assert "#" not in url and " " not in url and "&" not in url
        assert unquote(parts.path).rsplit("/", 1)[1].startswith(title)
        # the player brings the share's credentials; without them it is asked for them
        assert httpx.get(url, timeout=30).status_code == 401
        whole = httpx.get(url, auth=(USER, PASSWORD), timeout=30)
        assert whole.status_code == 200 and len(whole.content) > 0
        head = httpx.get(url, auth=(USER, PASSWORD), headers={"Range": "bytes=0-99"}, timeout=30)
        assert head.status_code == 206 and head.content == whole.content[:100]


def test_a_show_playlist_is_its_episodes_in_episode_order(share):
    season1 = "/TV Shows/Dark (2017)/Season 01/Dark (2017) - "
    with share.client() as client:
        dark = entries(client.get(f"/api/shows/{share.dark_id}/playlist.m3u"))
        other = entries(client.get(f"/api/shows/{share.other_id}/playlist.m3u"))
    assert [unquote(urlsplit(url).path) for _, url in dark] == [
        season1 + "S01E01.mkv",
        season1 + "S01E02.mkv",
        season1 + "S01E03-E04.mkv",  # one file for two episodes, listed once
        "/TV Shows/Dark (2017)/Season 02/Dark (2017) - S02E01.mkv",
    ]
    assert [title for title, _ in dark][0] == "Dark (2017) - S01E01"
    assert [unquote(urlsplit(url).path) for _, url in other] == [
        "/TV Shows/Severance (2022)/Season 01/Severance (2022) - S01E01.mkv"
    ]
    for _, url in dark:
        assert httpx.get(url, auth=(USER, PASSWORD), timeout=30).status_code == 200


def test_urls_use_the_host_the_player_asked_for(share):
    port = share.share.port
    with share.client(headers={"Host": f"localhost:{port}"}) as client:
        playlist = entries(client.get("/api/playlist.m3u"))
    assert all(url.startswith(f"http://localhost:{port}/") for _, url in playlist)


def test_playlists_are_authenticated_and_errors_are_json(share):
    with share.client(auth=None) as client:
        assert client.get("/api/playlist.m3u").status_code == 401
        bearer = client.get("/api/playlist.m3u", headers={"Authorization": "Bearer tok-123"})
        assert len(entries(bearer)) == 8
    with share.client() as client:
        missing = client.get("/api/shows/999999/playlist.m3u")
        assert missing.status_code == 404 and "error" in missing.json()
        bad_host = client.get("/api/playlist.m3u", headers={"Host": "me@evil.example/x"})
        assert bad_host.status_code == 400 and "Host" in bad_host.json()["error"]
        wrong = client.post("/api/playlist.m3u")
        assert wrong.status_code == 405 and "error" in wrong.json()


def test_render_keeps_each_entry_on_two_lines():
    node = FileNode(
        "/Movies/A\nB (2000)/A\nB (2000).mkv", 1, 0.0, "e", "h", 0, 1, "video/x-matroska"
    )
    assert render("http://h:1", [node]) == (
        "#EXTM3U\n#EXTINF:-1,A B (2000)\nhttp://h:1/Movies/A%0AB%20%282000%29/A%0AB%20%282000%29.mkv\n"
    )
