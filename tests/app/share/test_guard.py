"""Paths are resolved only inside the tree: raw requests that try to get out get 4xx."""

from __future__ import annotations

import base64
import socket

import pytest

from tests.app.share.conftest import PASSWORD, USER

AUTH = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRET = b"root:x:0:0"


def raw_request(port: int, method: str, target: bytes, extra: bytes = b"") -> tuple[int, bytes]:
    """Send the request line exactly as given (clients would normalise these paths away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            method.encode() + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Basic "
            + AUTH.encode()
            + b"\r\n"
            + (b"Depth: 1\r\n" if method == "PROPFIND" else b"")
            + b"Connection: close\r\n"
            + extra
            + b"\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize(
    "target",
    [
        b"/../../../../etc/passwd",
        b"/Movies/../../etc/passwd",
        b"/Movies/%2e%2e/%2e%2e/etc/passwd",
        b"/Movies/..%2f..%2fetc%2fpasswd",
        b"/Movies%2F..%2F..%2Fetc%2Fpasswd",
        b"/Movies/..%5c..%5cetc%5cpasswd",
        b"/Movies/%5c..%5c..%5cetc%5cpasswd",
        b"/Movies\\..\\..\\etc\\passwd",
        b"//etc/passwd",
        b"/etc/passwd",
        b"/Movies/%00/etc/passwd",
        b"/Movies/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",  # overlong UTF-8 dots
        b"/Movies/%ff%fe",
        b"/Movies/\xe2\x80\xae/x",  # raw right-to-left override
        b"/Movies/%e2%80%ae%e2%80%ae",
        b"/Movies/%ef%bc%8e%ef%bc%8e/%ef%bc%8e%ef%bc%8e/etc/passwd",  # fullwidth dots
        b"/Movies/./Heat%20(1995)/",
        b"http://127.0.0.1/etc/passwd",
        b"http://evil.example/../etc/passwd",
        b"file:///etc/passwd",
    ],
)
@pytest.mark.parametrize("method", ["GET", "PROPFIND", "HEAD", "OPTIONS"])
def test_traversal_and_odd_paths_never_leave_the_tree(disk_share, target, method):
    status, data = raw_request(disk_share.server.port, method, target)
    assert 400 <= status < 500, (status, data[:200])
    assert SECRET not in data
    # cheroot itself answers 400 to absolute-form targets ("//x" parses as one) and to raw
    # non-ASCII bytes in the request line; everything else reaches the guard: 404.
    cheroot_refuses = target.startswith((b"http", b"file", b"//")) or not target.isascii()
    if method in ("GET", "PROPFIND") and not cheroot_refuses:
        assert status == 404, (status, data[:200])


def test_plain_paths_still_work_raw(disk_share):
    status, data = raw_request(
        disk_share.server.port, "GET", b"/Movies/Heat%20(1995)/Heat%20(1995).mkv"
    )
    assert status == 200
    status, data = raw_request(disk_share.server.port, "PROPFIND", b"/Movies/")
    assert status == 207 and b"Heat (1995)" in data
