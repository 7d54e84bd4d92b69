"""The requests Infuse sends, as raw HTTP on one kept-alive connection: OPTIONS, then PROPFIND
Depth 1 on the root with allprop and with named properties.

Infuse has shown other Python WebDAV servers' folders as files; what it needs is every answer
framed by an exact Content-Length (no chunking) and, for each member, the properties that tell
a folder from a file: resourcetype/collection, DAV:iscollection 1 or 0, getcontentlength.
Reading the answers straight off the socket, one after the other, proves the framing: a wrong
length would leave bytes that break the next answer's status line.
"""

from __future__ import annotations

import base64
import socket
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest

from tests.app.share.conftest import PASSWORD, STANDARD_FILES, USER, DiskShare, running

D = "{DAV:}"
ALLPROP = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
)
NAMED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:prop>'
    b"<D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:displayname/>"
    b"<D:iscollection/><D:getcontenttype/></D:prop></D:propfind>"
)


class RawConnection:
    """One socket, requests written by hand, answers read by their Content-Length only."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n"
        self.head += "User-Agent: Infuse/7.7 CFNetwork\r\n"

    def request(
        self, method: str, path: str, headers: str = "", body: bytes = b""
    ) -> tuple[str, dict, bytes]:
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        line = f"{method} {path} HTTP/1.1\r\n{self.head}{headers}{length}\r\n"
        self.sock.sendall(line.encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        raw_head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = raw_head.decode("latin-1").split("\r\n")
        found: dict[str, list[str]] = {}
        for header in lines:
            name, _, value = header.partition(":")
            found.setdefault(name.strip().lower(), []).append(value.strip())
        assert "transfer-encoding" not in found, status  # no chunking, ever
        (declared,) = found["content-length"]  # exactly one, and present
        size = 0 if method == "HEAD" else int(declared)
        while len(self.buffer) < size:
            self._receive()
        content, self.buffer = self.buffer[:size], self.buffer[size:]
        return status, {name: values[0] for name, values in found.items()}, content

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def share(tmp_path_factory):
    built = DiskShare(tmp_path_factory.mktemp("infuse"), STANDARD_FILES)
    with running(built):
        yield built


def members(body: bytes) -> dict[str, dict[str, ET.Element]]:
    """href -> the properties of its 200 propstat."""
    found = {}
    for response in ET.fromstring(body).findall(f"{D}response"):
        (ok,) = [
            s
            for s in response.findall(f"{D}propstat")
            if s.findtext(f"{D}status").endswith("200 OK")
        ]
        found[response.findtext(f"{D}href")] = {p.tag: p for p in ok.find(f"{D}prop")}
    return found


def assert_folder(prop: dict[str, ET.Element]) -> None:
    assert [child.tag for child in prop[f"{D}resourcetype"]] == [f"{D}collection"]
    assert prop[f"{D}iscollection"].text == "1"
    assert prop[f"{D}getcontentlength"].text == "0"


def assert_file(prop: dict[str, ET.Element], size: int) -> None:
    assert len(prop[f"{D}resourcetype"]) == 0
    assert prop[f"{D}iscollection"].text == "0"
    assert prop[f"{D}getcontentlength"].text == str(size)


def test_infuse_options_then_propfind_of_the_root_tells_folders_from_files(share):
    connection = RawConnection(share.server.port)
    try:
        status, headers, body = connection.request("OPTIONS", "/")
        assert status.startswith("HTTP/1.1 200") and body == b""
        assert headers["dav"] == "1" and "PROPFIND" in headers["allow"]

        for request_body in (ALLPROP, NAMED):
            status, headers, body = connection.request(
                "PROPFIND",
                "/",
                "Depth: 1\r\nContent-Type: text/xml; charset=utf-8\r\n",
                request_body,
            )
            assert status.startswith("HTTP/1.1 207")
            assert headers["content-type"].startswith("application/xml")
            listing = members(body)
            assert list(listing) == ["/", "/Movies/", "/TV%20Shows/"]
            for href, prop in listing.items():
                assert_folder(prop)
                if href != "/":
                    assert prop[f"{D}displayname"].text == unquote(href).strip("/")

        # one level down, files and folders side by side (Infuse's next request)
        season = "/TV%20Shows/Dark%20(2017)/Season%2001/"
        status, _, body = connection.request(
            "PROPFIND", season, "Depth: 1\r\nContent-Type: text/xml\r\n", NAMED
        )
        assert status.startswith("HTTP/1.1 207")
        listing = members(body)
        assert_folder(listing.pop(season))
        sizes = {
            "/" + path.replace(" ", "%20"): size
            for path, size in STANDARD_FILES.items()
            if path.startswith("TV Shows/")
        }
        assert set(listing) == set(sizes)
        for href, prop in listing.items():
            assert_file(prop, sizes[href])
            assert prop[f"{D}getcontenttype"].text

        # a named request for iscollection alone gets it, in a 200 propstat
        only = b'<D:propfind xmlns:D="DAV:"><D:prop><D:iscollection/></D:prop></D:propfind>'
        status, _, body = connection.request("PROPFIND", "/Movies/", "Depth: 0\r\n", only)
        assert status.startswith("HTTP/1.1 207")
        assert {tag: p.text for tag, p in members(body)["/Movies/"].items()} == {
            f"{D}iscollection": "1"
        }
    finally:
        connection.close()
