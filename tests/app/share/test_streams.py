"""Share streams over real torrents: re-adding a lost torrent, read timeouts as HTTP errors, a
player hanging up while its read waits."""

from __future__ import annotations

import base64
import logging
import socket
import time
from urllib.parse import quote

import pytest

from app.torrents.pieces import NOW
from tests.app.share.conftest import PASSWORD, USER, MiB, Stack
from tests.app.share.test_api_reading import reading
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


def open_ended_get(path: str, offset: int) -> bytes:
    """A player's request after a seek, to send on a raw socket it can drop at any time."""
    credentials = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return (
        f"GET {quote(path)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Basic {credentials}\r\nRange: bytes={offset}-\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("had_bytes", [False, True], ids=["before-any-byte", "after-some-bytes"])
def test_a_player_hanging_up_while_its_read_waits_ends_the_read_at_once(
    paths, tmp_path, caplog, had_bytes
):
    # with a 120 s read timeout, a read that did not notice would hold its piece at the top
    # priority, ahead of the next seek's, for 2 minutes (or until the piece came)
    stack = Stack(paths, read_timeout=120.0, stall_timeout=60)
    caplog.set_level(logging.DEBUG, logger="app.share")
    piece_length = 256 * KiB  # the share's block size too: a read is one piece
    try:
        with (
            Seeder(tmp_path / "seed", {MOVIE_FILE: 24 * MiB}, piece_length=piece_length) as seeder,
            stack.client() as client,
        ):
            movie_id = add_movie(client)
            path = client.post(
                f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
            ).json()["share_path"]
            seeder.stop()  # nothing arrives: the read waits for as long as its player is there
            info_hash = seeder.info_hash
            fetcher = stack.torrents.torrent(info_hash).fetcher
            offset = 60 * piece_length  # 15 MiB: away from the head and tail pins
            piece = offset // piece_length  # the movie is the torrent's only file
            if had_bytes:
                # the first piece is here (handed over as libtorrent's read_piece_alert
                # would): the player gets the headers and its bytes, and the read after
                # waits for the next piece
                data = seeder.data(MOVIE_FILE)[offset : offset + piece_length]
                fetcher.on_read(piece, data, None)
                piece += 1
            with socket.create_connection(("127.0.0.1", stack.share.port)) as player:
                player.sendall(open_ended_get(path, offset))
                if had_bytes:
                    assert player.recv(100).startswith(b"HTTP/1.1 206 ")
                assert wait_until(lambda: fetcher.waiting == 1 and fetcher.applied()[piece] == NOW)
                time.sleep(0.5)  # the read looks at its player ~10 times: it is still there
                assert fetcher.waiting == 1
                assert reading(client, info_hash) == ([piece], [piece])
            # the player hung up without a word (with bytes unread: a reset), as players do
            assert wait_until(lambda: reading(client, info_hash) == ([], []))
            assert stack.torrents.status(info_hash).active_readers == 0
            assert fetcher.waiting == 0
            assert fetcher.applied()[piece] < NOW  # its piece no longer comes before others
        assert any("the client hung up" in r.getMessage() for r in caplog.records)
        loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert not loud  # a hang-up is what players do, not a failure to report
    finally:
        stack.close()


def test_stopping_the_share_ends_a_read_that_waits_for_a_piece(paths, tmp_path, caplog):
    # cheroot gives a busy request its grace period (5 s), then shuts its socket: the read
    # takes that for a hang-up, instead of holding its piece until its 120 s timeout
    stack = Stack(paths, read_timeout=120.0, stall_timeout=60)
    try:
        with (
            Seeder(tmp_path / "seed", {MOVIE_FILE: 24 * MiB}, piece_length=256 * KiB) as seeder,
            stack.client() as client,
        ):
            movie_id = add_movie(client)
            path = client.post(
                f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet}
            ).json()["share_path"]
            seeder.stop()
            fetcher = stack.torrents.torrent(seeder.info_hash).fetcher
            with socket.create_connection(("127.0.0.1", stack.share.port)) as player:
                player.sendall(open_ended_get(path, 15_000_000))
                assert wait_until(lambda: fetcher.waiting == 1)
                stack.share.stop()  # the player is still connected
                assert wait_until(lambda: fetcher.waiting == 0)
                assert wait_until(
                    lambda: stack.torrents.status(seeder.info_hash).active_readers == 0
                )
        assert not any("still running" in r.getMessage() for r in caplog.records)
    finally:
        stack.close()
