"""The WebDAV protocol over real files and a real server: PROPFIND XML, ranges, read-only."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

import pytest

from tests.app.share.conftest import STANDARD_FILES

D = "{DAV:}"
HEAT = "/Movies/Heat (1995)/Heat (1995).mkv"
HEAT_URL = quote(HEAT)


def propfind(client, path: str, depth: str = "1", body: bytes | None = None):
    headers = {"Depth": depth} if depth is not None else {}
    return client.request("PROPFIND", quote(path), headers=headers, content=body)


def responses(text: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == f"{D}multistatus"
    found = {}
    for response in root.findall(f"{D}response"):
        href = unquote(response.findtext(f"{D}href"))
        found[href] = response
    return found


def props(response: ET.Element) -> dict[str, ET.Element]:
    stats = response.findall(f"{D}propstat")
    ok = [s for s in stats if s.findtext(f"{D}status").endswith("200 OK")]
    assert len(ok) == 1, ET.tostring(response)
    return {child.tag: child for child in ok[0].find(f"{D}prop")}


def test_propfind_depth1_of_root_lists_the_two_top_folders(disk_share):
    with disk_share.client() as client:
        reply = propfind(client, "/")
    assert reply.status_code == 207
    assert reply.headers["content-type"].startswith("application/xml") or reply.headers[
        "content-type"
    ].startswith("text/xml")
    # Infuse-friendly servers write the DAV prefix as D:, never ns0:
    assert b"<D:multistatus" in reply.content and b"ns0:" not in reply.content
    found = responses(reply.content)
    assert set(found) == {"/", "/Movies/", "/TV Shows/"}
    for href in found:
        folder = props(found[href])
        assert folder[f"{D}resourcetype"].find(f"{D}collection") is not None
        assert folder[f"{D}getcontentlength"].text == "0"
        parsedate_to_datetime(folder[f"{D}getlastmodified"].text)  # RFC 1123 date


def test_propfind_file_properties_element_by_element(disk_share):
    with disk_share.client() as client:
        reply = propfind(client, "/Movies/Heat (1995)/")
    assert reply.status_code == 207
    found = responses(reply.content)
    assert set(found) == {"/Movies/Heat (1995)/", HEAT}
    folder = props(found["/Movies/Heat (1995)/"])
    assert folder[f"{D}displayname"].text == "Heat (1995)"
    file = props(found[HEAT])
    assert file[f"{D}resourcetype"].text in (None, "")
    assert len(file[f"{D}resourcetype"]) == 0
    assert file[f"{D}getcontentlength"].text == str(STANDARD_FILES[HEAT[1:]])
    assert file[f"{D}getcontenttype"].text == "video/x-matroska"
    assert file[f"{D}displayname"].text == "Heat (1995).mkv"
    etag = file[f"{D}getetag"].text
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    modified = parsedate_to_datetime(file[f"{D}getlastmodified"].text)
    assert modified.timestamp() == 1_700_000_000 + sorted(STANDARD_FILES).index(HEAT[1:])
    # the folder's date is its newest file's
    assert parsedate_to_datetime(folder[f"{D}getlastmodified"].text) == modified


def test_propfind_depth0_and_named_props(disk_share):
    body = (
        b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>'
        b"<D:getcontentlength/><D:getetag/><D:quota-used-bytes/></D:prop></D:propfind>"
    )
    with disk_share.client() as client:
        reply = propfind(client, HEAT, depth="0", body=body)
    assert reply.status_code == 207
    found = responses(reply.content)
    assert list(found) == [HEAT]
    stats = found[HEAT].findall(f"{D}propstat")
    by_status = {s.findtext(f"{D}status").split(" ", 2)[1]: s for s in stats}
    ok = [c.tag for c in by_status["200"].find(f"{D}prop")]
    assert ok == [f"{D}getcontentlength", f"{D}getetag"]
    assert [c.tag for c in by_status["404"].find(f"{D}prop")] == [f"{D}quota-used-bytes"]


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


@pytest.mark.parametrize("depth", [None, "infinity", "Infinity"])
def test_propfind_infinite_depth_is_refused(disk_share, depth):
    with disk_share.client() as client:
        reply = propfind(client, "/", depth=depth)
    assert reply.status_code == 403
    assert b"propfind-finite-depth" in reply.content


def test_propfind_of_missing_path_is_404(disk_share):
    with disk_share.client() as client:
        assert propfind(client, "/Movies/Nope (2000)/").status_code == 404


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


def test_propfind_propname_and_foreign_namespaces(disk_share):
    propname = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'
    named = (
        b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/">'
        b"<D:prop><D:resourcetype/><A:quota/><D:getcontenttype/></D:prop></D:propfind>"
    )
    with disk_share.client() as client:
        names = propfind(client, HEAT, depth="0", body=propname)
        folder = propfind(client, "/Movies/", depth="0", body=named)
    assert names.status_code == 207
    empty = props(responses(names.content)[HEAT])
    assert set(empty) == {
        f"{D}resourcetype",
        f"{D}getcontentlength",
        f"{D}getcontenttype",
        f"{D}getetag",
        f"{D}displayname",
        f"{D}creationdate",
        f"{D}getlastmodified",
    }
    assert all(len(e) == 0 and not e.text for e in empty.values())
    response = responses(folder.content)["/Movies/"]
    by_status = {
        s.findtext(f"{D}status").split(" ", 2)[1]: s for s in response.findall(f"{D}propstat")
    }
    assert [c.tag for c in by_status["200"].find(f"{D}prop")] == [f"{D}resourcetype"]
    assert [c.tag for c in by_status["404"].find(f"{D}prop")] == [
        "{http://apple.com/ns/}quota",
        f"{D}getcontenttype",
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"<not-xml",
        b'<D:lock xmlns:D="DAV:"/>',
        b'<D:propfind xmlns:D="DAV:"><D:bogus/></D:propfind>',
    ],
)
def test_propfind_with_a_bad_body_is_400(disk_share, body):
    with disk_share.client() as client:
        assert propfind(client, "/", body=body).status_code == 400


def test_big_folder_depth1_propfind_is_fast(tmp_path):
    """10,000 movies in one folder: the Depth-1 listing must stay well under 0.5 s."""
    import time

    import httpx

    from app.share.auth import Credentials
    from app.share.server import HttpServer, share_app
    from app.share.tree import FileSpec, ShareTree

    tree = ShareTree.from_files(
        FileSpec(
            f"Movies/Movie {i} (19{i % 100:02d})/Movie {i} (19{i % 100:02d}).mkv",
            10**9 + i,
            1.7e9 + i,
            "ab" * 20,
            i,
            i,
        )
        for i in range(10_000)
    )
    server = HttpServer(
        share_app(lambda: tree, None, Credentials("u", "p"), block_size=1 << 20), "127.0.0.1", 0
    )
    server.start()
    try:
        with httpx.Client(auth=("u", "p"), timeout=30) as client:
            best = float("inf")
            for _ in range(3):  # best of three: the machine is shared
                started = time.perf_counter()
                reply = client.request(
                    "PROPFIND", f"http://127.0.0.1:{server.port}/Movies/", headers={"Depth": "1"}
                )
                best = min(best, time.perf_counter() - started)
    finally:
        server.stop()
    assert reply.status_code == 207
    assert reply.content.count(b"<D:response>") == 10_001
    assert best < 0.5
