"""hangups.watch over real TCP connections on 127.0.0.1: which sockets count as hung up."""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.share.hangups import watch
from tests.support.swarm import wait_until


@contextmanager
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(the server's side, the client's side) of one TCP connection."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        served, _ = listener.accept()
        served.settimeout(5)  # cheroot gives its sockets a timeout: a look must not use it
        try:
            yield served, client
        finally:
            served.close()
            client.close()


def test_a_client_that_is_still_there_has_not_hung_up():
    with connection() as (served, _client):
        hung_up = watch(served)
        started = time.monotonic()
        assert not hung_up()
        assert time.monotonic() - started < 2.5  # did not wait out the socket's 5 s timeout


def test_bytes_the_client_sent_are_not_a_hang_up_and_stay_unread():
    with connection() as (served, client):
        client.sendall(b"GET /next HTTP/1.1\r\n")  # a pipelined request
        hung_up = watch(served)
        assert wait_until(lambda: _readable(served))
        assert not hung_up()
        assert served.recv(100) == b"GET /next HTTP/1.1\r\n"


def test_a_closed_connection_has_hung_up():
    with connection() as (served, client):
        hung_up = watch(served)
        client.close()
        assert wait_until(hung_up)


def test_a_reset_connection_has_hung_up():
    with connection() as (served, client):
        hung_up = watch(served)
        # SO_LINGER with a zero timeout: close() sends a RST, as a killed player's system does
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        assert wait_until(hung_up)


def test_a_client_that_stopped_sending_counts_as_gone():
    with connection() as (served, client):
        hung_up = watch(served)
        client.shutdown(socket.SHUT_WR)
        assert wait_until(hung_up)


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def test_without_poll_select_tells_the_same(monkeypatch):
    monkeypatch.delattr(select, "poll")  # as on Windows
    with connection() as (served, client):
        hung_up = watch(served)
        assert not hung_up()
        client.close()
        assert wait_until(hung_up)
