"""The JSON API end to end: real library, real torrent service, real seeder, real HTTP."""

from __future__ import annotations

import base64
import socket
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

import pytest

from tests.app.share.conftest import PASSWORD, USER, MiB, Stack
from tests.support.swarm import wait_until

MOVIE_FILE = "Heat.1995.1080p.BluRay.x264-GRP.mkv"
JSON = {"Content-Type": "application/json"}
D = "{DAV:}"


@pytest.fixture(scope="module")
def shared_stack(tmp_path_factory):
    """One stack for tests that change nothing."""
    from app.paths import Paths

    paths = Paths.under(tmp_path_factory.mktemp("home"))
    paths.ensure()
    built = Stack(paths)
    yield built
    built.close()


def add_movie(client, title="Heat", year=1995) -> int:
    reply = client.post("/api/movies", json={"title": title, "year": year})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_health(stack):
    with stack.client() as client:
        reply = client.get("/api/health")
    assert reply.status_code == 200
    data = reply.json()
    assert data["version"]
    assert data["uptime"] >= 0
    assert data["torrents"] == 0 and data["active_torrents"] == 0
    assert data["memory_bytes"] > 10 * MiB
    assert data["disk_free_bytes"] > 0
    assert data["share_urls"] == [f"{stack.base}/"]


def test_movie_from_magnet_to_bytes_over_webdav(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 6 * MiB + 4321})
    source = seeder.data(MOVIE_FILE)
    with stack.client() as client:
        movie_id = add_movie(client)
        reply = client.post(f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet})
        assert reply.status_code == 201, reply.text
        assignment = reply.json()
        assert assignment["info_hash"] == seeder.info_hash
        assert assignment["file_path"] == MOVIE_FILE
        assert assignment["file_size"] == len(source)
        assert assignment["resolution"] == "1080p" and assignment["source"] == "BluRay"
        path = assignment["share_path"]
        assert path == "/Movies/Heat (1995)/Heat (1995).mkv"

        listing = client.request("PROPFIND", quote("/Movies/Heat (1995)/"), headers={"Depth": "1"})
        assert listing.status_code == 207
        hrefs = [unquote(e.text) for e in ET.fromstring(listing.content).iter(f"{D}href")]
        assert path in hrefs

        whole = client.get(quote(path))
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/x-matroska"
        assert whole.content == source
        middle = client.get(quote(path), headers={"Range": "bytes=3000000-3100000"})
        assert middle.status_code == 206 and middle.content == source[3000000:3100001]
        last = client.get(quote(path), headers={"Range": f"bytes={len(source) - 1}-"})
        assert last.content == source[-1:]

        detail = client.get(f"/api/movies/{movie_id}").json()
        assert detail["assignment"]["share_path"] == path
        assert [a["id"] for a in detail["assignments"]] == [assignment["id"]]
        listed = client.get("/api/movies").json()["movies"]
        assert [m["title"] for m in listed] == ["Heat"]

        torrents = client.get("/api/torrents").json()["torrents"]
        assert [t["info_hash"] for t in torrents] == [seeder.info_hash]
        status = client.get(f"/api/torrents/{seeder.info_hash}").json()
        assert status["files"] == [{"index": 0, "path": MOVIE_FILE, "size": len(source)}]
        assert status["assignments"][0]["share_path"] == path
        assert set(status["pieces"]) <= {"0", "1", "2"} and "1" in status["pieces"]
        assert isinstance(status["health"], list)
        assert status["waiting"] is None  # no player waits for data right now

        gone = client.delete(f"/api/movies/{movie_id}/assign")
        assert gone.status_code == 200 and gone.json()["active"] is False
        assert client.head(quote(path)).status_code == 404
        assert client.get("/api/torrents").json()["torrents"] == []  # nothing else used it
        assert client.delete(f"/api/movies/{movie_id}/assign").status_code == 404


def test_torrent_upload_and_ambiguous_files(stack, make_seeder):
    seeder = make_seeder(
        {
            "Pack/Alien.1979.720p.WEB-DL.mkv": 2 * MiB,
            "Pack/Aliens.1986.720p.WEB-DL.mkv": 3 * MiB,
            "Pack/readme.txt": 1000,
        }
    )
    encoded = base64.b64encode(seeder.torrent_bytes).decode()
    with stack.client() as client:
        movie_id = add_movie(client, "Aliens", 1986)
        reply = client.post(f"/api/movies/{movie_id}/assign", json={"torrent_base64": encoded})
        assert reply.status_code == 409
        body = reply.json()
        assert "video files" in body["error"]
        assert sorted(f["path"] for f in body["video_files"]) == [
            "Pack/Alien.1979.720p.WEB-DL.mkv",
            "Pack/Aliens.1986.720p.WEB-DL.mkv",
        ]
        missing = client.post(
            f"/api/movies/{movie_id}/assign",
            json={"torrent_base64": encoded, "file_path": "Pack/nope.mkv"},
        )
        assert missing.status_code == 422 and "no file" in missing.json()["error"]
        reply = client.post(
            f"/api/movies/{movie_id}/assign",
            json={
                "torrent_base64": encoded,
                "file_path": "Aliens.1986.720p.WEB-DL.mkv",
                "resolution": "720p",
                "source": "WEB",
            },
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["source"] == "WEB"
        # the generated .torrent names no tracker; the magnet tells the session where the peer is
        stack.torrents.add(seeder.magnet)
        data = client.get(quote(reply.json()["share_path"])).content
    assert data == seeder.data("Pack/Aliens.1986.720p.WEB-DL.mkv")


def test_show_without_tmdb_and_an_episode_from_a_season_pack(stack, make_seeder):
    seeder = make_seeder(
        {
            "Dark.S01.1080p/Dark.S01E01.1080p.mkv": 1 * MiB,
            "Dark.S01.1080p/Dark.S01E02.1080p.mkv": 2 * MiB + 5,
        }
    )
    with stack.client() as client:
        reply = client.post(
            "/api/shows", json={"title": "Dark", "year": 2017, "seasons": {"1": 3, "2": 2}}
        )
        assert reply.status_code == 201, reply.text
        show = reply.json()
        assert [(s["number"], len(s["episodes"])) for s in show["seasons"]] == [(1, 3), (2, 2)]
        second = show["seasons"][0]["episodes"][1]
        assert second["number"] == 2 and second["assignment"] is None
        reply = client.post(
            f"/api/episodes/{second['id']}/assign", json={"magnet_uri": seeder.magnet}
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["file_path"] == "Dark.S01.1080p/Dark.S01E02.1080p.mkv"
        path = reply.json()["share_path"]
        assert path == "/TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02.mkv"
        assert client.get(quote(path)).content == seeder.data(
            "Dark.S01.1080p/Dark.S01E02.1080p.mkv"
        )
        detail = client.get(f"/api/shows/{show['id']}").json()
        assert detail["seasons"][0]["episodes"][1]["assignment"]["share_path"] == path
        assert [s["title"] for s in client.get("/api/shows").json()["shows"]] == ["Dark"]
        # deleting the show takes its episodes off the share and drops the unused torrent
        assert client.delete(f"/api/shows/{show['id']}").status_code == 200
        assert client.head(quote(path)).status_code == 404
        assert client.get("/api/torrents").json()["torrents"] == []
        assert client.get(f"/api/shows/{show['id']}").status_code == 404


def test_torrent_control_and_forced_removal(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 1 * MiB})
    with stack.client() as client:
        movie_id = add_movie(client)
        path = client.post(
            f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
        ).json()["share_path"]
        url = f"/api/torrents/{seeder.info_hash}"
        assert client.post(url + "/pause").json()["paused"] is True
        assert client.post(url + "/resume").json()["paused"] is False
        refused = client.delete(url)
        assert refused.status_code == 409
        assert refused.json()["assignments"][0]["item_id"] == movie_id
        assert client.head(quote(path)).status_code == 200  # nothing changed
        forced = client.delete(url + "?force=1")
        assert forced.status_code == 200
        assert [a["active"] for a in forced.json()["deactivated"]] == [False]
        assert client.head(quote(path)).status_code == 404
        assert client.get(url).status_code == 404
        assert client.get(f"/api/movies/{movie_id}").json()["assignment"] is None


def test_duplicates_give_409_with_the_existing_id(stack):
    with stack.client() as client:
        first = add_movie(client)
        reply = client.post("/api/movies", json={"title": "heat", "year": 1995})
        assert reply.status_code == 409 and reply.json()["id"] == first
        client.post("/api/shows", json={"title": "Dark"})
        again = client.post("/api/shows", json={"title": "Dark"})
        assert again.status_code == 409 and isinstance(again.json()["id"], int)


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("POST", "/api/movies", b"{not json", 400),
        ("POST", "/api/movies", b"[1, 2]", 400),
        ("POST", "/api/movies", b"", 400),
        ("POST", "/api/movies", b'{"title": 5}', 422),
        ("POST", "/api/movies", b'{"title": "  "}', 422),
        ("POST", "/api/movies", b'{"title": "X", "year": "1999"}', 422),
        ("POST", "/api/movies", b'{"title": "X", "year": true}', 422),
        ("POST", "/api/movies", b'{"title": "X", "colour": "red"}', 422),
        ("POST", "/api/movies", b'{"tmdb_id": "550"}', 422),
        ("POST", "/api/shows", b'{"title": "X", "seasons": [10]}', 422),
        ("POST", "/api/shows", b'{"title": "X", "seasons": {"one": 10}}', 422),
        ("POST", "/api/shows", b'{"title": "X", "seasons": {"1": -1}}', 422),
        ("GET", "/api/movies/999", None, 404),
        ("GET", "/api/movies/abc", None, 404),
        ("DELETE", "/api/movies/999", None, 404),
        ("GET", "/api/shows/999", None, 404),
        (
            "POST",
            "/api/movies/999/assign",
            b'{"magnet_uri": "magnet:?xt=urn:btih:' + b"a" * 40 + b'"}',
            404,
        ),
        ("POST", "/api/episodes/999/assign", b'{"magnet_uri": "' + b"b" * 40 + b'"}', 404),
        ("GET", "/api/torrents/" + "a" * 40, None, 404),
        ("POST", "/api/torrents/" + "a" * 40 + "/pause", None, 404),
        ("DELETE", "/api/torrents/" + "a" * 40, None, 404),
        ("GET", "/api/torrents/nothex", None, 404),
        ("GET", "/api/nothing", None, 404),
        ("PUT", "/api/movies", b"{}", 405),
        ("DELETE", "/api/health", None, 405),
    ],
)
def test_bad_requests_get_json_errors(shared_stack, method, url, body, status):
    with shared_stack.client(headers=JSON) as client:
        reply = client.request(method, url, content=body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    assert isinstance(reply.json()["error"], str) and reply.json()["error"]
    assert "Traceback" not in reply.text
    if status == 405:
        assert reply.headers["allow"]


def test_bad_assign_bodies(stack, make_seeder):
    seeder = make_seeder({"notes/readme.txt": 5000, "notes/cover.jpg": 3000})
    with stack.client() as client:
        movie_id = add_movie(client)
        url = f"/api/movies/{movie_id}/assign"
        cases = [
            ({}, 422, "exactly one"),
            ({"magnet_uri": seeder.magnet, "torrent_base64": "AAAA"}, 422, "exactly one"),
            ({"magnet_uri": "magnet:?xt=urn:btih:nothash"}, 422, ""),
            ({"magnet_uri": "http://example.com/x.torrent"}, 422, ""),
            ({"torrent_base64": "!!!"}, 422, "base64"),
            ({"torrent_base64": base64.b64encode(b"d4:junke").decode()}, 422, ""),
            ({"magnet_uri": seeder.magnet, "file_path": 7}, 422, "file_path"),
            ({"magnet_uri": seeder.magnet}, 422, "no video"),
        ]
        for body, status, words in cases:
            reply = client.post(url, json=body)
            assert reply.status_code == status, (body, reply.text)
            assert words in reply.json()["error"]
        assert client.get(f"/api/movies/{movie_id}").json()["assignment"] is None
        # the torrent added to find out it holds no video was not kept
        assert client.get("/api/torrents").json()["torrents"] == []


def test_tmdb_lookups(paths):
    """The look-up callables' answers and errors (the real ones: tests/app/test_core.py)."""
    from app.add import NewMovie, NewShow
    from app.library.records import EpisodeData

    calls = []

    def tmdb_movie(tmdb_id):
        calls.append(tmdb_id)
        if tmdb_id == 404:
            raise LookupError("no such movie")
        if tmdb_id == 500:
            raise RuntimeError("TMDB is down")
        if tmdb_id == 422:
            from app.share.api import TmdbNotConfigured

            raise TmdbNotConfigured()
        if tmdb_id == 1:
            return {"title": "not a NewMovie"}
        return NewMovie("Fight Club", 1999, 550, "tt0137523", "...", "/p.jpg")

    def tmdb_show(tmdb_id):
        if tmdb_id == 1399:
            return NewShow("Game of Thrones", 2011, 1399, seasons={0: 2, 1: 10})
        return NewShow(
            "Dark",
            2017,
            tmdb_id,
            imdb_id="tt5753856",
            seasons={1: (EpisodeData(1, "Secrets", air_date="2017-12-01"), EpisodeData(2, "Lies"))},
        )

    stack = Stack(paths, tmdb_movie=tmdb_movie, tmdb_show=tmdb_show)
    try:
        with stack.client() as client:
            reply = client.post("/api/movies", json={"tmdb_id": 550})
            assert reply.status_code == 201
            assert reply.json()["title"] == "Fight Club" and reply.json()["tmdb_id"] == 550
            assert reply.json()["imdb_id"] == "tt0137523"
            again = client.post("/api/movies", json={"tmdb_id": 550})
            assert again.status_code == 409 and again.json()["id"] == reply.json()["id"]
            assert client.post("/api/movies", json={"tmdb_id": 404}).status_code == 404
            down = client.post("/api/movies", json={"tmdb_id": 500})
            assert down.status_code == 502 and "TMDB is down" in down.json()["error"]
            no_key = client.post("/api/movies", json={"tmdb_id": 422})
            assert no_key.status_code == 422 and "not configured" in no_key.json()["error"]
            odd = client.post("/api/movies", json={"tmdb_id": 1})
            assert odd.status_code == 502 and "nothing usable" in odd.json()["error"]
            show = client.post("/api/shows", json={"tmdb_id": 70523}).json()
            assert show["imdb_id"] == "tt5753856"
            assert client.get(f"/api/shows/{show['id']}").json()["imdb_id"] == "tt5753856"
            episodes = show["seasons"][0]["episodes"]
            assert [e["title"] for e in episodes] == ["Secrets", "Lies"]
            assert episodes[0]["air_date"] == "2017-12-01"
            got = client.post("/api/shows", json={"tmdb_id": 1399}).json()
            assert got["title"] == "Game of Thrones" and got["tmdb_id"] == 1399
            assert got["imdb_id"] is None
            listed = client.get("/api/shows").json()["shows"]
            assert [(s["title"], s["imdb_id"]) for s in listed] == [
                ("Dark", "tt5753856"),
                ("Game of Thrones", None),
            ]
            assert [(s["number"], len(s["episodes"])) for s in got["seasons"]] == [(0, 2), (1, 10)]
    finally:
        stack.close()
    no_tmdb = Stack(paths)
    try:
        with no_tmdb.client() as client:
            for url in ("/api/movies", "/api/shows"):
                reply = client.post(url, json={"tmdb_id": 550})
                assert reply.status_code == 422
                assert reply.json()["error"] == "TMDB is not configured (set an API key)"
    finally:
        no_tmdb.close()


def test_api_auth(stack):
    with stack.client(auth=None) as client:
        assert client.get("/api/health").status_code == 401
        assert (
            client.get("/api/health", headers={"Authorization": "Bearer tok-123"}).status_code
            == 200
        )
        assert (
            client.post(
                "/api/movies", json={"title": "X"}, headers={"Authorization": "Bearer wrong"}
            ).status_code
            == 401
        )
        assert client.get("/api/movies").status_code == 401
    with stack.client(auth=(USER, PASSWORD + "!")) as client:
        assert client.get("/api/movies").status_code == 401


def test_disconnect_mid_stream_frees_the_torrent_reader(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 8 * MiB}, upload_kib=2048)
    with stack.client() as client:
        movie_id = add_movie(client)
        path = client.post(
            f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
        ).json()["share_path"]
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with socket.create_connection(("127.0.0.1", stack.share.port)) as sock:
        sock.sendall(
            f"GET {quote(path)} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert wait_until(lambda: stack.torrents.status(seeder.info_hash).active_readers == 1)
    assert wait_until(
        lambda: stack.torrents.status(seeder.info_hash).active_readers == 0, timeout=20
    )


def test_four_concurrent_range_readers_through_the_swarm(stack, make_seeder):
    from concurrent.futures import ThreadPoolExecutor

    seeder = make_seeder({MOVIE_FILE: 12 * MiB})
    source = seeder.data(MOVIE_FILE)
    with stack.client() as client:
        movie_id = add_movie(client)
        path = quote(
            client.post(
                f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
            ).json()["share_path"]
        )
    spans = [(0, 3 * MiB), (11 * MiB, 12 * MiB - 1), (5 * MiB + 3, 7 * MiB), (9 * MiB, 10 * MiB)]

    def fetch(span):
        with stack.client() as client:
            return client.get(path, headers={"Range": f"bytes={span[0]}-{span[1]}"})

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(fetch, spans))
    for reply, (start, end) in zip(replies, spans, strict=True):
        assert reply.status_code == 206
        assert reply.content == source[start : end + 1]


# ---- careless and hostile clients ---------------------------------------------------------


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send bytes as they are, say we are done sending (the client is gone), read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def raw_post(path: str, body: bytes, headers: str) -> bytes:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/json\r\n{headers}\r\n"
    ).encode() + body


def test_a_body_cut_short_stores_nothing(stack):
    body = b'{"title": "Cut", "year": 1999}'  # a whole JSON object, shorter than announced
    answer = raw_exchange(
        stack.share.port, raw_post("/api/movies", body, "Content-Length: 100\r\n")
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"cut short: 30 of 100 bytes" in answer
    with stack.client() as client:
        assert client.get("/api/movies").json()["movies"] == []


@pytest.mark.parametrize(
    "headers",
    [
        "Content-Length: 30\r\nContent-Length: 30\r\n",
        "Content-Length: 5\r\nContent-Length: 30\r\n",
        "Content-Length: 30\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 30, 30\r\n",
    ],
)
def test_duplicate_or_conflicting_lengths_are_refused(stack, headers):
    body = b'{"title": "Two", "year": 1999}'
    answer = raw_exchange(stack.share.port, raw_post("/api/movies", body, headers))
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    with stack.client() as client:
        assert client.get("/api/movies").json()["movies"] == []


@pytest.mark.parametrize(
    ("url", "body", "status", "words"),
    [
        ("/api/movies", b"[" * 100_000, 400, "nested too deeply"),
        ("/api/movies", b'{"title": "\\ud800"}', 422, "surrogate"),
        ("/api/movies", b'{"title": "Heat\\u0000"}', 422, "NUL"),
        ("/api/movies", b'{"title": "X", "year": ' + b"9" * 5000 + b"}", 400, "JSON"),
        ("/api/movies", b'{"tmdb_id": 18446744073709551616}', 422, "tmdb_id"),
        ("/api/shows", b'{"title": "X", "seasons": {"99999999999999999999": 1}}', 422, "season"),
        ("/api/shows", b'{"title": "X", "seasons": {"1": 18446744073709551616}}', 422, "episode"),
        ("/api/shows", b'{"title": "X", "seasons": {"1": 1, "01": 2}}', 422, "twice"),
        ("/api/movies/1/assign", b'{"magnet_uri": "magnet:\\udfff"}', 422, "surrogate"),
    ],
)
def test_hostile_bodies_get_a_4xx_with_a_message(shared_stack, url, body, status, words):
    with shared_stack.client(headers=JSON) as client:
        reply = client.post(url, content=body)
        assert reply.status_code == status, reply.text
        assert words in reply.json()["error"]
        assert client.get("/api/movies").json()["movies"] == []
        assert client.get("/api/shows").json()["shows"] == []


def test_sizes_are_capped_and_nothing_is_stored_beyond(stack):
    with stack.client() as client:
        refused = [
            ("/api/shows", {"title": "Huge", "seasons": {str(n): 2000 for n in range(1, 301)}}),
            ("/api/shows", {"title": "Many", "seasons": {str(n): 1 for n in range(1, 102)}}),
            ("/api/shows", {"title": "Long", "seasons": {"1": 2000, "2": 2000, "3": 1001}}),
            ("/api/movies", {"title": "x" * 1001}),
        ]
        for url, body in refused:
            reply = client.post(url, json=body)
            assert reply.status_code == 422, reply.text
            assert "at most" in reply.json()["error"]
        assert client.get("/api/shows").json()["shows"] == []
        assert client.get("/api/movies").json()["movies"] == []
        big = client.post("/api/movies", json={"title": "x", "padding": "y" * (1024 * 1024)})
        assert big.status_code == 413 and "1 MiB" in big.json()["error"]
        # at the limits themselves everything is accepted
        reply = client.post(
            "/api/shows", json={"title": "Ok", "seasons": {str(n): 1 for n in range(100)}}
        )
        assert reply.status_code == 201 and len(reply.json()["seasons"]) == 100
        assert client.post("/api/movies", json={"title": "x" * 1000}).status_code == 201
        # an assignment may carry a .torrent of several MiB: not a 413, just a bad torrent
        movie_id = add_movie(client)
        data = base64.b64encode(b"d" + b"x" * (3 * MiB)).decode()
        reply = client.post(f"/api/movies/{movie_id}/assign", json={"torrent_base64": data})
        assert reply.status_code == 422, reply.text


def test_magnet_uri_never_reads_a_file_on_the_server(stack, tmp_path):
    from tests.support.swarm import make_files, make_torrent

    make_files(tmp_path / "content", {MOVIE_FILE: 300_000})
    torrent = tmp_path / "on-the-server.torrent"
    torrent.write_bytes(make_torrent(tmp_path / "content", MOVIE_FILE, 16 * 1024))
    with stack.client() as client:
        movie_id = add_movie(client)
        for link in (str(torrent), f"  {torrent}  ", torrent.as_uri()):
            reply = client.post(f"/api/movies/{movie_id}/assign", json={"magnet_uri": link})
            assert reply.status_code == 422, reply.text
            assert "magnet link" in reply.json()["error"]
        assert client.get("/api/torrents").json()["torrents"] == []
        assert client.get(f"/api/movies/{movie_id}").json()["assignment"] is None


def test_browser_pages_cannot_write(stack):
    with stack.client() as client:
        cases = [
            ({"json": {"title": "A"}, "headers": {"Origin": "http://evil.example"}}, 403),
            ({"content": b'{"title": "B"}', "headers": {"Content-Type": "text/plain"}}, 415),
            ({"data": {"title": "C"}}, 415),  # a form
            ({"files": {"title": (None, "D")}}, 415),  # multipart
        ]
        for kwargs, status in cases:
            reply = client.post("/api/movies", **kwargs)
            assert reply.status_code == status, reply.text
        assert client.get("/api/movies").json()["movies"] == []
        own = client.post("/api/movies", json={"title": "E"}, headers={"Origin": stack.base})
        assert own.status_code == 201


def test_invisible_characters_in_titles_stay_off_share_names(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 1 * MiB})
    title = "\u200fHeat\u200b\u2066\ue000\ufeff"  # RLM, zero width space, isolate, private use
    with stack.client() as client:
        movie_id = add_movie(client, title)
        reply = client.post(f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet})
        assert reply.status_code == 201, reply.text
        path = reply.json()["share_path"]
        assert path == "/Movies/Heat (1995)/Heat (1995).mkv"
        listing = client.request("PROPFIND", "/Movies/", headers={"Depth": "1"})
        hrefs = [unquote(e.text) for e in ET.fromstring(listing.content).iter(f"{D}href")]
        assert "/Movies/Heat (1995)/" in hrefs
        got = client.get(quote(path))
        assert got.status_code == 200 and got.content == seeder.data(MOVIE_FILE)


def test_a_full_disk_is_507_and_loses_nothing(stack):
    with stack.client() as client:
        add_movie(client)
        db = stack.library.db
        # SQLite answers "database or disk is full" once the file would grow past this size
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
        db.pragma("max_page_count", pages, permanent=True)
        titles = ["Heat"]
        for number in range(500):
            title = f"Movie {number} " + "x" * 900
            reply = client.post("/api/movies", json={"title": title})
            if reply.status_code != 201:
                break
            titles.append(title)
        assert reply.status_code == 507, reply.text
        assert reply.json()["error"].startswith("disk full")
        listed = [m["title"] for m in client.get("/api/movies").json()["movies"]]
        assert sorted(listed) == sorted(titles)
