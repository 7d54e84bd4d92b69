"""WebDAV reads over real files and a real server: GET, HEAD, ranges, OPTIONS, read-only."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from tests.app.share.conftest import STANDARD_FILES, DiskShare, propfind, responses, running

D = "{DAV:}"
HEAT = "/Movies/Heat (1995)/Heat (1995).mkv"
HEAT_URL = quote(HEAT)


def test_unicode_names_in_listing_and_get(disk_share):
    path = "/Movies/Amélie (2001)/Amélie (2001).mp4"
    with disk_share.client() as client:
        found = responses(propfind(client, "/Movies/").content)
        assert "/Movies/Amélie (2001)/" in found
        reply = client.get(quote(path))
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "video/mp4"
        assert reply.content == disk_share.data(path[1:])
        # macOS clients send decomposed (NFD) names: the same file
        nfd = quote("/Movies/Ame\u0301lie (2001)/Ame\u0301lie (2001).mp4")
        assert client.head(nfd).status_code == 200


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E01 - Secrets.avi", "video/x-msvideo"),
        (
            "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E01 - Secrets.srt",
            "application/x-subrip",
        ),
        ("TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02 - Lies.ts", "video/mp2t"),
        ("TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E03 - Past.m4v", "video/x-m4v"),
        ("Movies/Heat (1995)/Heat (1995).mkv", "video/x-matroska"),
    ],
)
def test_get_whole_file_with_type(disk_share, name, content_type):
    with disk_share.client() as client:
        reply = client.get(quote("/" + name))
    assert reply.status_code == 200
    assert reply.headers["content-type"] == content_type
    assert reply.headers["accept-ranges"] == "bytes"
    assert int(reply.headers["content-length"]) == STANDARD_FILES[name]
    assert reply.content == disk_share.data(name)


def test_head_gives_headers_without_body(disk_share):
    opened = disk_share.opener.opened
    with disk_share.client() as client:
        reply = client.head(HEAT_URL)
        assert disk_share.opener.opened == opened  # HEAD never opens the stream
        full = client.get(HEAT_URL)
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["content-length"] == str(STANDARD_FILES[HEAT[1:]])
    assert reply.headers["etag"] == full.headers["etag"]
    assert reply.headers["last-modified"] == full.headers["last-modified"]


SIZE = STANDARD_FILES[HEAT[1:]]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-1048575", 0, 1048575),
        ("bytes=1500000-2600000", 1500000, 2600000),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
        ("bytes=-100", SIZE - 100, SIZE - 1),
        ("bytes=3000000-", 3000000, SIZE - 1),
        (f"bytes=100-{SIZE + 5000}", 100, SIZE - 1),  # end past EOF is clipped
    ],
)
def test_single_ranges(disk_share, header, start, end):
    data = disk_share.data(HEAT[1:])
    with disk_share.client() as client:
        reply = client.get(HEAT_URL, headers={"Range": header})
    assert reply.status_code == 206
    assert reply.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert int(reply.headers["content-length"]) == end - start + 1
    assert reply.content == data[start : end + 1]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}"])
def test_range_past_the_end_is_416(disk_share, header):
    with disk_share.client() as client:
        reply = client.get(HEAT_URL, headers={"Range": header})
    assert reply.status_code == 416


def test_if_range_with_current_etag_gives_the_range(disk_share):
    data = disk_share.data(HEAT[1:])
    with disk_share.client() as client:
        etag = client.head(HEAT_URL).headers["etag"]
        last_modified = client.head(HEAT_URL).headers["last-modified"]
        partial = client.get(HEAT_URL, headers={"Range": "bytes=10-19", "If-Range": etag})
        by_date = client.get(HEAT_URL, headers={"Range": "bytes=10-19", "If-Range": last_modified})
        stale = client.get(HEAT_URL, headers={"Range": "bytes=10-19", "If-Range": '"other"'})
    assert partial.status_code == 206 and partial.content == data[10:20]
    assert by_date.status_code == 206 and by_date.content == data[10:20]
    # the entity changed: the whole file, not a range of something else
    assert stale.status_code == 200 and stale.content == data


def test_options_announces_read_only_dav(disk_share):
    with disk_share.client() as client:
        reply = client.options(HEAT_URL)
        folder = client.options("/Movies/")
    assert reply.status_code == 200
    assert reply.headers["dav"] == "1"
    assert set(reply.headers["allow"].replace(" ", "").split(",")) == {
        "OPTIONS",
        "HEAD",
        "GET",
        "PROPFIND",
    }
    assert folder.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", HEAT_URL),
        ("PUT", quote("/Movies/New (2020)/New (2020).mkv")),
        ("DELETE", HEAT_URL),
        ("DELETE", "/Movies/"),
        ("MKCOL", quote("/Movies/New Folder/")),
        ("COPY", HEAT_URL),
        ("MOVE", HEAT_URL),
        ("PROPPATCH", HEAT_URL),
        ("LOCK", HEAT_URL),
        ("UNLOCK", HEAT_URL),
        ("POST", HEAT_URL),
        ("PATCH", HEAT_URL),
    ],
)
def test_write_and_lock_methods_are_refused_and_change_nothing(disk_share, method, path):
    before = disk_share.data(HEAT[1:])
    headers = {"Destination": disk_share.base + quote("/Movies/Copy.mkv"), "Overwrite": "T"}
    with disk_share.client() as client:
        listing = propfind(client, "/Movies/").content
        reply = client.request(method, path, headers=headers, content=b"overwrite me")
        assert reply.status_code in (403, 405)
        assert propfind(client, "/Movies/").content == listing
        assert client.get(HEAT_URL).content == before
    assert disk_share.data(HEAT[1:]) == before


def test_get_of_a_folder_is_not_a_listing_leak(disk_share):
    with disk_share.client() as client:
        reply = client.get("/Movies/")
    assert reply.status_code in (403, 404, 405)


def assert_plain(reply) -> None:
    """An error body a client may show: short text, no HTML page, no internals."""
    assert reply.headers["content-type"].startswith("text/plain")
    for leak in (b"<html", b"WsgiDAV", b"wsgidav", b"Traceback", b"Error:"):
        assert leak not in reply.content
    assert len(reply.content) < 300


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-" + "9" * 5000,  # int() refuses it: was a 500 page with the exception
        "bytes=" + "9" * 5000 + "-",
        "bytes=-" + "9" * 5000,
        "bytes=5-2",  # was the last two bytes
        "bytes=-0",  # was an empty 206
        "bytes=",
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=0-1,x",
        f"bytes={SIZE}-,{SIZE + 1}-{SIZE + 2}",
    ],
)
def test_malformed_or_unsatisfiable_range_is_a_plain_416(disk_share, header, caplog):
    with disk_share.client() as client:
        reply = client.get(HEAT_URL, headers={"Range": header})
        head = client.head(HEAT_URL, headers={"Range": header})
    assert reply.status_code == 416 and head.status_code == 416
    assert reply.headers["content-range"] == f"bytes */{SIZE}"
    assert_plain(reply)
    assert head.content == b""
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("header", ["items=0-5", "garbage", "bytes 0-5"])
def test_range_in_another_unit_is_ignored(disk_share, header):
    with disk_share.client() as client:
        reply = client.get(HEAT_URL, headers={"Range": header})
    assert reply.status_code == 200
    assert reply.content == disk_share.data(HEAT[1:])


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199, 0-9", 0, 199),  # was only one of them: 100-199
        ("bytes=10-19,15-30", 10, 30),
        (f"bytes=0-0,-1,{SIZE + 5}-", 0, SIZE - 1),  # the one past the end is dropped
        ("Bytes=7-8 , ,", 7, 8),
    ],
)
def test_several_ranges_are_served_as_the_span_covering_them(disk_share, header, start, end):
    data = disk_share.data(HEAT[1:])
    with disk_share.client() as client:
        reply = client.get(HEAT_URL, headers={"Range": header})
    assert reply.status_code == 206
    assert reply.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert reply.content == data[start : end + 1]


def test_not_found_is_plain_text_without_the_wsgidav_version(disk_share):
    with disk_share.client() as client:
        reply = client.get("/Movies/Nothing%20here.mkv")
    assert reply.status_code == 404
    assert_plain(reply)


def test_unexpected_error_is_logged_with_its_traceback_and_answered_plainly(tmp_path, caplog):
    share = DiskShare(tmp_path, STANDARD_FILES)
    share.sources[HEAT[1:]].unlink()  # the opener's open() raises FileNotFoundError: a bug here
    with running(share), share.client() as client, caplog.at_level(logging.INFO):
        reply = client.get(HEAT_URL)
        assert client.get(HEAT_URL, headers={"Range": "bytes=0-9"}).status_code == 500
    assert reply.status_code == 500
    assert reply.content == b"Internal error\n"
    failures = [r for r in caplog.records if r.getMessage() == f"Request GET {HEAT} failed"]
    assert len(failures) == 2
    assert failures[0].exc_info and failures[0].exc_info[0] is FileNotFoundError
