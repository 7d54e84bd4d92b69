"""The HTTP server under load and failure: disconnects, stalls, concurrency, lifecycle."""

from __future__ import annotations

import base64
import contextlib
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


# ---- hostile clients: slow heads, huge heads, huge bodies --------------------------------


def raw_request(path: str = URL, extra: str = "", method: str = "GET") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {AUTH}\r\n{extra}\r\n"
    ).encode()


def read_answer(sock: socket.socket, timeout: float = 30) -> bytes:
    """What the server sends until it closes (or `timeout` passes without a byte)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


@pytest.fixture
def hostile_share(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 2 * MiB}, threads=8)
    with running(share):
        yield share


def test_slow_request_heads_do_not_occupy_the_workers(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 2 * MiB}, threads=8)
    # a long head timeout, so that no slow client is let go while the test runs
    share.server = HttpServer(share.server._server.wsgi_app, "127.0.0.1", 0, head_timeout=120)
    slow = []
    with running(share), contextlib.ExitStack() as closing:
        # 200 clients (25 per worker) send part of a head, then a byte now and then
        for _ in range(200):
            sock = closing.enter_context(socket.create_connection(("127.0.0.1", share.server.port)))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            slow.append(sock)
        for sock in slow:
            sock.sendall(b"a")
        with share.client(timeout=10) as client:
            for i in range(10):
                reply = client.get(URL, headers={"Range": f"bytes={i}-{i + 9}"})
                assert reply.status_code == 206
        # all still connected and none answered (the client's kept-alive connection may be
        # waiting for its next head too, or not yet: count on the sockets, not on the gate)
        assert share.server._server.gate.waiting >= 200
        for sock in slow:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)  # b"" would be a close, bytes an answer


def test_a_head_that_does_not_arrive_in_time_gets_408(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 1000})
    share.server = HttpServer(share.server._server.wsgi_app, "127.0.0.1", 0, head_timeout=0.5)
    with running(share):
        port = share.server.port
        with (
            socket.create_connection(("127.0.0.1", port)) as partial,
            socket.create_connection(("127.0.0.1", port)) as silent,
        ):
            partial.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            assert read_answer(partial).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert read_answer(silent).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        with share.client() as client:
            assert client.head(URL).status_code == 200


def test_a_paused_stream_and_an_idle_kept_alive_connection_outlive_the_head_timeout(tmp_path):
    share = DiskShare(tmp_path, {MOVIE: 4 * MiB})
    share.server = HttpServer(share.server._server.wsgi_app, "127.0.0.1", 0, head_timeout=0.3)
    with running(share), socket.create_connection(("127.0.0.1", share.server.port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.sendall(raw_request())
        stream = sock.makefile("rb")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += stream.readline()
        assert head.startswith(b"HTTP/1.1 200")
        body = stream.read(65536)
        time.sleep(1.0)  # the player pauses: the server is blocked writing, not reading a head
        body += stream.read(4 * MiB - len(body))
        assert body == share.data(MOVIE)
        time.sleep(1.0)  # kept alive and idle between requests
        sock.sendall(raw_request(extra="Range: bytes=0-9\r\n"))
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += stream.readline()
        assert head.startswith(b"HTTP/1.1 206")
        assert stream.read(10) == share.data(MOVIE)[:10]


def test_pipelined_requests_are_all_answered(hostile_share):
    with socket.create_connection(("127.0.0.1", hostile_share.server.port)) as sock:
        sock.sendall(
            raw_request(extra="Range: bytes=0-4\r\n")
            + raw_request(extra="Range: bytes=5-9\r\n")
            + raw_request(extra="Range: bytes=10-14\r\nConnection: close\r\n")
        )
        answer = read_answer(sock)
    assert answer.count(b"HTTP/1.1 206 Partial Content\r\n") == 3
    assert answer.endswith(hostile_share.data(MOVIE)[10:15])


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (256 * 1024),  # one endless line, unfinished
        b"GET / HTTP/1.1\r\n" + b"X-Many: aaaaaaaaaaaaaaaa\r\n" * 4000 + b"\r\n",
        b"GET /" + b"a" * (256 * 1024) + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_a_huge_head_is_refused_before_it_is_all_read(hostile_share, head):
    with socket.create_connection(("127.0.0.1", hostile_share.server.port)) as sock:
        sender = threading.Thread(target=lambda: _send_ignoring_reset(sock, head))
        sender.start()
        answer = read_answer(sock)
        sender.join()
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    with hostile_share.client() as client:
        assert client.head(URL).status_code == 200


def _send_ignoring_reset(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server may close before it all went out
        sock.sendall(data)


@pytest.mark.parametrize("method", ["PROPFIND", "PUT", "GET"])
def test_a_huge_body_is_refused_before_it_is_read(hostile_share, method):
    with socket.create_connection(("127.0.0.1", hostile_share.server.port)) as sock:
        sock.sendall(raw_request(method=method, extra=f"Depth: 1\r\nContent-Length: {10**12}\r\n"))
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_an_error_in_the_request_reader_does_not_stop_the_share(hostile_share, monkeypatch):
    # every request head goes through one thread: an unexpected error there once stopped the
    # share for good (nothing was served again)
    gate = hostile_share.server._server.gate
    real = gate._take_incoming
    failures = []

    def fails_once() -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("an unexpected error")
        real()

    monkeypatch.setattr(gate, "_take_incoming", fails_once)
    for _ in range(2):  # the first connection meets the error; both are answered
        with socket.create_connection(("127.0.0.1", hostile_share.server.port)) as sock:
            sock.settimeout(10)
            sock.sendall(raw_request(extra="Range: bytes=0-4\r\nConnection: close\r\n"))
            assert read_answer(sock).startswith(b"HTTP/1.1 206")
    assert failures == [1]
