"""PROPFIND over a real server: the multistatus XML element by element, modes, depths, speed."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

from tests.app.share.conftest import STANDARD_FILES, propfind, props, responses

D = "{DAV:}"
HEAT = "/Movies/Heat (1995)/Heat (1995).mkv"


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


@pytest.mark.parametrize("depth", [None, "infinity", "Infinity"])
def test_propfind_infinite_depth_is_refused(disk_share, depth):
    with disk_share.client() as client:
        reply = propfind(client, "/", depth=depth)
    assert reply.status_code == 403
    assert b"propfind-finite-depth" in reply.content


def test_propfind_of_missing_path_is_404(disk_share):
    with disk_share.client() as client:
        assert propfind(client, "/Movies/Nope (2000)/").status_code == 404


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
        f"{D}iscollection",
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
