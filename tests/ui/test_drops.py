"""Links from drops and the clipboard, and turning them into sources: magnets as they are,
.torrent files read from disk, http(s) links downloaded from a real local HTTP server with
a size limit and a timeout, and plain-word errors for everything else."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QMimeData, QUrl

from tests.ui.http_server import SLOW_ANSWERED, TORRENT
from ui import drops
from ui.drops import LinkError, links_from_mime, resolve

MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20


def test_links_from_uri_lists_and_text(tmp_path):
    mime = QMimeData()
    mime.setUrls(
        [QUrl(MAGNET), QUrl.fromLocalFile(str(tmp_path / "a.torrent")), QUrl("https://x/b.torrent")]
    )
    assert links_from_mime(mime) == [MAGNET, str(tmp_path / "a.torrent"), "https://x/b.torrent"]
    text = QMimeData()
    text.setText(f"# a comment in a text/uri-list\n  {MAGNET}  \n\n{MAGNET}\n")
    assert links_from_mime(text) == [MAGNET]


def test_resolve_magnets_files_and_downloads(server, tmp_path):
    torrent = tmp_path / "movie.torrent"
    torrent.write_bytes(TORRENT)
    assert asyncio.run(resolve(MAGNET)) == MAGNET
    assert asyncio.run(resolve(str(torrent))) == TORRENT
    assert asyncio.run(resolve(QUrl.fromLocalFile(str(torrent)).toString())) == TORRENT
    assert asyncio.run(resolve(f"{server}/movie.torrent")) == TORRENT
    assert asyncio.run(resolve(f"{server}/moved")) == TORRENT


@pytest.mark.parametrize(
    "link, words",
    [
        ("not a link at all", "not a magnet link, a .torrent file or a link to one"),
        ("/nowhere/missing.torrent", "does not exist"),
        ("{server}/gone.torrent", "answered 404"),
        ("{server}/huge.torrent", "too big"),
        ("{server}/endless.torrent", "too big"),
        ("http://127.0.0.1:9/x.torrent", "Could not download"),
    ],
)
def test_bad_links_get_plain_errors(server, link, words):
    with pytest.raises(LinkError, match=words):
        asyncio.run(resolve(link.format(server=server)))


def test_a_slow_server_times_out(server, monkeypatch):
    monkeypatch.setattr(drops, "DOWNLOAD_TIMEOUT", 0.5)
    with pytest.raises(LinkError, match="did not answer"):
        asyncio.run(resolve(f"{server}/slow.torrent"))
    assert not SLOW_ANSWERED.is_set()  # gave up before the server answered


def test_a_magnet_is_described_by_the_release_name_it_carries():
    named = f"{MAGNET}&dn=Heat.1995.1080p.BluRay%20x264&x.pe=127.0.0.1:6881"
    assert drops.describe(named) == "magnet link “Heat.1995.1080p.BluRay x264”"
    assert drops.describe(MAGNET) == "magnet link"
    assert drops.describe(f"{MAGNET}&dn={'x' * 100}") == f"magnet link “{'x' * 67}…”"
    assert drops.describe("https://example.org/" + "a" * 100).endswith("…")
