"""A browser opening the share gets HTML index pages whose links open; WebDAV clients do not."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from app.share.browse import human_size, wants_html
from tests.app.share.conftest import STANDARD_FILES, DiskShare, propfind, responses, running

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


class Links(HTMLParser):
    """The page's links in order, each as (href, text, the size cell's text and title)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.scripts = 0
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        elif tag == "a":
            self.rows.append({"href": attributes["href"], "text": "", "size": "", "exact": None})
            self._cell = "text"
        elif tag == "td" and attributes.get("class") == "size" and self.rows:
            self.rows[-1]["exact"] = attributes.get("title")
            self._cell = "size"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "td"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.rows[-1][self._cell] += data


def links(reply) -> Links:
    parser = Links()
    parser.feed(reply.text)
    return parser


def test_a_browser_walks_the_whole_share_by_its_links(disk_share):
    """From / every folder's page links each child; following them reaches every file, and
    each file link serves the file's bytes."""
    found: dict[str, bytes] = {}
    with disk_share.client(headers={"Accept": BROWSER}) as client:
        pending, seen = ["/"], set()
        while pending:
            url = pending.pop()
            seen.add(url)
            page = client.get(url)
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert int(page.headers["content-length"]) == len(page.content)
            assert "transfer-encoding" not in page.headers
            assert "default-src 'none'" in page.headers["content-security-policy"]
            rows = links(page).rows
            if url != "/":
                assert rows[0]["text"] == "Parent folder"
                assert rows.pop(0)["href"] == url.rstrip("/").rsplit("/", 1)[0] + "/"
            for row in rows:
                if row["href"].endswith("/"):
                    assert row["text"].endswith("/") and row["exact"] is None
                    assert row["href"] not in seen
                    pending.append(row["href"])
                else:
                    # the file's own GET, with the same browser Accept, streams it
                    data = client.get(row["href"])
                    assert data.status_code == 200
                    found[row["href"]] = data.content
                    assert row["text"] == unquote(row["href"]).rsplit("/", 1)[1]
                    assert row["exact"] == f"{len(data.content):,} bytes"
                    assert row["size"] == human_size(len(data.content))
    assert {unquote(href)[1:] for href in found} == set(STANDARD_FILES)
    for href, content in found.items():
        assert content == disk_share.data(unquote(href)[1:])


def test_head_of_a_folder_from_a_browser_has_the_page_length_and_no_body(disk_share):
    with disk_share.client(headers={"Accept": BROWSER}) as client:
        page = client.get("/Movies/")
        head = client.head("/Movies/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(page.content))


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/xml", "text/xml, */*", "text/html;q=0", "text/plain"],
)
def test_webdav_clients_keep_getting_webdav(disk_share, accept):
    headers = {} if accept is None else {"Accept": accept}
    with disk_share.client(headers=headers) as client:
        folder = client.get("/Movies/")
        listing = propfind(client, "/Movies/")
    assert folder.status_code == 403 and b"<html" not in folder.content
    assert listing.status_code == 207 and "/Movies/" in responses(listing.content)


def test_propfind_from_a_browser_accept_is_still_a_multistatus(disk_share):
    with disk_share.client(headers={"Accept": BROWSER}) as client:
        listing = propfind(client, "/")
    assert listing.status_code == 207
    assert set(responses(listing.content)) == {"/", "/Movies/", "/TV Shows/"}


def test_names_are_escaped_and_links_quoted(tmp_path):
    hostile = "Movies/<script>alert(1) & Co #1 50% 'Q' (2000)/x?.mkv"
    share = DiskShare(tmp_path, {hostile: 1234})
    with running(share), share.client(headers={"Accept": BROWSER}) as client:
        movies = client.get("/Movies/")
        assert movies.status_code == 200
        assert "<script>" not in movies.text and links(movies).scripts == 0
        assert "&lt;script&gt;alert(1) &amp; Co #1 50% &#x27;Q&#x27;" in movies.text
        (folder,) = links(movies).rows[1:]
        assert folder["text"] == "<script>alert(1) & Co #1 50% 'Q' (2000)/"
        inside = client.get(folder["href"])
        assert inside.status_code == 200
        (file,) = links(inside).rows[1:]
        assert file["text"] == "x?.mkv" and file["exact"] == "1,234 bytes"
        reply = client.get(file["href"])
        assert reply.status_code == 200 and reply.content == share.data(hostile)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("TEXT/HTML; q=0.5", True),
        ("text/html;q=0", False),
        ("text/html;q=zero", False),
        ("*/*", False),
        ("text/*", False),
        ("", False),
    ],
)
def test_wants_html(accept, expected):
    assert wants_html({"HTTP_ACCEPT": accept}) is expected
