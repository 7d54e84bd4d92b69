"""Paths are resolved only inside the tree: raw requests that try to get out get 4xx."""

from __future__ import annotations

import base64
import socket
import sys
from urllib.parse import quote

import pytest

from app.library import naming
from app.share.guard import safe_path
from tests.app.share.conftest import PASSWORD, USER, DiskShare, responses, running

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


def guard_accepts(path: str) -> bool:
    """The guard's verdict on a share path requested the way clients send it (UTF-8, quoted)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "REQUEST_URI": quote("/" + path),
        # cheroot unquotes the path and hands its bytes over as latin-1 code points
        "PATH_INFO": ("/" + path).encode("utf-8").decode("latin-1"),
    }
    return safe_path(environ)


def test_the_guard_accepts_every_name_the_share_gives_a_title():
    """Every code point, in titles of movies, shows and episodes: the name must be openable."""
    refused = []
    for start in range(0, sys.maxunicode + 1, 32):
        title = "A" + "".join(chr(c) for c in range(start, min(start + 32, sys.maxunicode + 1)))
        for path in (
            naming.movie_path(title, 1999, ".mkv"),
            naming.episode_path(title, None, 1, 2, title, ".mkv"),
        ):
            if not guard_accepts(path):
                refused.append((hex(start), path.encode("unicode_escape")[:120]))
    assert refused == []


def test_names_with_invisible_characters_are_served(tmp_path):
    path = naming.movie_path("\u200fHeat\u200b (\u2066Director's Cut\u2069)", 1995, ".mkv")
    share = DiskShare(tmp_path, {path: 1000})
    with running(share), share.client() as client:
        listing = client.request("PROPFIND", "/Movies/", headers={"Depth": "1"})
        listed = [href for href in responses(listing.content) if href != "/Movies/"]
        assert listed == ["/Movies/Heat (Director's Cut) (1995)/"]
        got = client.get(quote("/" + path))
        assert got.status_code == 200 and got.content == share.data(path)
