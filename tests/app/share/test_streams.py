"""Share streams over real torrents: re-adding a lost torrent, read timeouts as HTTP errors."""

from __future__ import annotations

import time
from urllib.parse import quote

from tests.app.share.conftest import MiB, Stack
from tests.support.swarm import KiB, Seeder, wait_until

MOVIE_FILE = "Heat.1995.1080p.BluRay.x264-GRP.mkv"


def add_movie(client, title="Heat", year=1995) -> int:
    reply = client.post("/api/movies", json={"title": title, "year": year})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_share_re_adds_a_torrent_the_session_lost(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 2 * MiB})
    with stack.client() as client:
        movie_id = add_movie(client)
        path = client.post(
            f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
        ).json()["share_path"]
        stack.torrents.remove(seeder.info_hash, delete_data=True)  # e.g. resume data lost
        reply = client.get(quote(path), headers={"Range": "bytes=100-199"})
        assert reply.status_code == 206
        assert reply.content == seeder.data(MOVIE_FILE)[100:200]
    assert stack.torrents.get(seeder.info_hash) is not None


def test_real_read_timeout_gives_504_not_a_hung_worker(paths, tmp_path):
    stack = Stack(paths, read_timeout=2.0, stall_timeout=60)
    try:
        with (
            Seeder(
                tmp_path / "seed", {"Gone.2001.mkv": 24 * MiB}, piece_length=256 * KiB
            ) as seeder,
            stack.client() as client,
        ):
            movie = client.post("/api/movies", json={"title": "Gone", "year": 2001}).json()
            path = client.post(
                f"/api/movies/{movie['id']}/assign", json={"magnet_uri": seeder.magnet}
            ).json()["share_path"]
            seeder.stop()  # the only peer goes away
            started = time.monotonic()
            reply = client.get(quote(path), headers={"Range": "bytes=15000000-15000099"})
            assert reply.status_code == 504
            assert "Traceback" not in reply.text
            assert time.monotonic() - started < 10
            info_hash = seeder.info_hash
        assert wait_until(lambda: stack.torrents.status(info_hash).active_readers == 0)
    finally:
        stack.close()


def test_data_that_cannot_be_written_is_a_503_with_the_reason_at_once(paths, tmp_path):
    stack = Stack(paths, read_timeout=60.0, stall_timeout=60)
    try:
        with (
            Seeder(tmp_path / "seed", {MOVIE_FILE: 2 * MiB}, piece_length=256 * KiB) as seeder,
            stack.client() as client,
        ):
            # a folder where the file must go: libtorrent cannot open it, the share says so
            # (with the read timeout at 60 s, a 504 would mean the player waited for nothing)
            (paths.default_storage_dir / MOVIE_FILE).mkdir(parents=True)
            movie_id = add_movie(client)
            path = client.post(
                f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
            ).json()["share_path"]
            reply = client.get(quote(path), headers={"Range": "bytes=0-99"})
            assert reply.status_code == 503, reply.text
            assert "cannot use the downloaded data" in reply.text
            assert "Is a directory" in reply.text
    finally:
        stack.close()
