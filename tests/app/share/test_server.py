"""The HTTP server under load and failure: disconnects, stalls, concurrency, lifecycle."""

from __future__ import annotations

import base64
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import pytest

from app.settings import ShareSettings
from app.share.server import HttpServer, _addresses
from tests.app.share.conftest import PASSWORD, USER, DiskShare, MiB, running

MOVIE = "Movies/Big (1988)/Big (1988).mkv"
URL = quote("/" + MOVIE)
AUTH = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture
def big_share(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 24 * MiB}, block_size=64 * 1024, threads=8)
    with running(share):
        yield share


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_client_that_disconnects_mid_stream_frees_worker_and_reader(big_share):
    big_share.opener.delay = 0.002  # a swarm, not a disk: the client is gone long before EOF
    with socket.create_connection(("127.0.0.1", big_share.server.port)) as sock:
        sock.sendall(
            f"GET {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {AUTH}\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert big_share.opener.open_now == 1
    # the next write fails, the response generator is closed, the reader with it
    assert wait_for(lambda: big_share.opener.open_now == 0)
    # all workers are free again: as many parallel requests as workers still get served
    with ThreadPoolExecutor(8) as pool, big_share.client() as client:
        replies = list(
            pool.map(lambda i: client.get(URL, headers={"Range": f"bytes={i}-{i}"}), range(8))
        )
    assert [r.status_code for r in replies] == [206] * 8
    assert wait_for(lambda: big_share.opener.open_now == 0)


def test_read_that_times_out_before_any_byte_is_a_clean_504(big_share):
    big_share.opener.stall_after = 0
    big_share.opener.stall_for = 0.2
    with big_share.client() as client:
        reply = client.get(URL)
        assert reply.status_code == 504
        assert b"Traceback" not in reply.content
        # the connection and the server are fine afterwards
        big_share.opener.stall_after = None
        assert client.get(URL, headers={"Range": "bytes=0-9"}).status_code == 206
    assert wait_for(lambda: big_share.opener.open_now == 0)


def test_read_that_times_out_mid_stream_ends_the_response(big_share):
    big_share.opener.stall_after = 4 * MiB
    big_share.opener.stall_for = 0.2
    started = time.monotonic()
    with (
        big_share.client() as client,
        pytest.raises(httpx.HTTPError),
        client.stream("GET", URL) as reply,
    ):
        assert reply.status_code == 200
        for _ in reply.iter_bytes():
            pass
    assert time.monotonic() - started < 10  # cut short, not hung until the socket timeout
    assert wait_for(lambda: big_share.opener.open_now == 0)
    big_share.opener.stall_after = None
    with big_share.client() as client:
        assert client.get(URL, headers={"Range": "bytes=0-9"}).status_code == 206


def test_four_concurrent_range_readers_get_exact_bytes(big_share):
    data = big_share.data(MOVIE)
    ranges = [
        (0, 6 * MiB - 1),
        (6 * MiB, 12 * MiB - 1),
        (20 * MiB, 24 * MiB - 1),
        (13 * MiB + 7, 17 * MiB + 11),
    ]

    def fetch(span):
        with big_share.client() as client:
            reply = client.get(URL, headers={"Range": f"bytes={span[0]}-{span[1]}"})
        return reply.status_code, reply.content

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fetch, ranges))
    for (status, body), (start, end) in zip(results, ranges, strict=True):
        assert status == 206
        assert body == data[start : end + 1]


def test_a_stalled_client_does_not_hold_up_the_others(big_share):
    # One client starts a download and stops reading; others are served meanwhile.
    with socket.create_connection(("127.0.0.1", big_share.server.port)) as stalled:
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(
            f"GET {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {AUTH}\r\n\r\n".encode()
        )
        time.sleep(0.2)
        started = time.monotonic()
        with big_share.client() as client:
            for i in range(5):
                reply = client.get(URL, headers={"Range": f"bytes={i * MiB}-{i * MiB + 99}"})
                assert reply.status_code == 206
        assert time.monotonic() - started < 3


def test_port_in_use_raises_oserror(big_share):
    other = HttpServer(lambda e, s: [], "127.0.0.1", big_share.server.port)
    with pytest.raises(OSError):
        other.start()


def test_server_stops_and_frees_its_port(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 1000})
    share.server.start()
    port = share.server.port
    before = {t.name for t in threading.enumerate()}
    share.server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    assert wait_for(lambda: "share-http" not in {t.name for t in threading.enumerate()})
    assert "share-http" in before
    again = HttpServer(lambda e, s: [], "127.0.0.1", port)
    again.start()  # the port is free to bind again
    again.stop()


def test_addresses_for_all_interfaces_and_one():
    everything = _addresses("0.0.0.0")
    assert everything[0] == "127.0.0.1"
    assert all(":" not in a for a in everything)
    assert _addresses("127.0.0.1") == ["127.0.0.1"]
    assert _addresses("::")[0] == "::1"


def test_share_settings_defaults_suit_streaming():
    settings = ShareSettings()
    assert settings.threads >= 32
    assert settings.socket_timeout >= 120
    assert 256 <= settings.block_size_kib <= 4096


def test_share_server_restarts_with_new_settings(stack):
    from dataclasses import replace

    old_port = stack.share.port
    with stack.client(auth=None) as client:
        assert client.request("PROPFIND", "/", headers={"Depth": "0"}).status_code == 401
    stack.share.restart(replace(stack.share.settings, anonymous=True))
    assert stack.share.running
    with stack.client(auth=None) as client:
        assert client.request("PROPFIND", "/", headers={"Depth": "0"}).status_code == 207
        assert client.get("/api/health").status_code == 401  # the API still needs credentials
    stack.share.restart(password="new-password")
    with stack.client(auth=(USER, "new-password")) as client:
        assert client.get("/api/health").status_code == 200
    with stack.client() as client:
        assert client.get("/api/health").status_code == 401
    assert stack.share.urls() == [f"http://127.0.0.1:{stack.share.port}/"]
    assert old_port  # port 0: a fresh free port each start


def test_a_stopped_share_stops_following_the_library(stack):
    stack.share.stop()
    assert stack.share.urls() == []
    movie = stack.library.add_movie("Heat", 1995)
    stack.library.assign(
        "movie", movie.id, info_hash="a" * 40, file_index=0, file_path="Heat.mkv", file_size=10
    )
    assert stack.share.live_tree.current.file_count == 0  # no rebuild while stopped
    stack.share.start()
    assert stack.share.live_tree.current.file_count == 1  # caught up on start
    with stack.client() as client:
        reply = client.head(quote("/Movies/Heat (1995)/Heat (1995).mkv"))
    assert reply.status_code == 200 and reply.headers["content-length"] == "10"


def test_stop_does_not_wait_for_a_read_stuck_on_the_swarm(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 4 * MiB})
    share.server = HttpServer(
        share.server._server.wsgi_app, "127.0.0.1", 0, threads=4, shutdown_timeout=0.5
    )
    share.opener.stall_after = 0
    share.opener.stall_for = 8  # a read that blocks longer than stop() may take
    share.server.start()
    port = share.server.port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            f"GET {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {AUTH}\r\n\r\n".encode()
        )
        assert wait_for(lambda: share.opener.opened == 1)
        started = time.monotonic()
        share.server.stop()
        assert time.monotonic() - started < 5
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
