"""A debrid file read through the real share over HTTP: the loopback Real-Debrid unrestricts
it, the loopback file host serves its bytes, the share proxies ranges, HEAD and ETags."""

from __future__ import annotations

import httpx
import pytest

from app.debrid import store
from app.debrid.source import DebridSource
from app.debrid.stream import DebridOpener
from app.settings import ShareSettings
from app.share.server import ShareServer
from app.share.streams import TorrentOpener
from tests.app.debrid.conftest import make_client
from tests.support.loop_thread import LoopThread
from tests.support.realdebrid import content_of, file_key

USER, PASSWORD = "reelbox", "pw"
SIZE = 3 * 1024 * 1024 + 17
PATH = "/Movies/Heat (1995)/Heat (1995).mkv"


@pytest.fixture
def stack(library, rd, fake_time):
    library.add_movie("Heat", 1995)
    torrent = rd.add("Heat.1995.1080p.BluRay", [("/Heat.1995.1080p.BluRay.mkv", SIZE)])
    loop = LoopThread()

    async def build():
        return DebridSource(library, make_client(rd, fake_time))

    source = loop.run(build())
    loop.run(source.sync())
    opener = DebridOpener(lambda link: loop.run(source.account.unrestrict(link)), store.link_of)
    share = ShareServer(
        ShareSettings(bind_address="127.0.0.1", port=0, username=USER, threads=8),
        library,
        None,
        password=PASSWORD,
        opener=TorrentOpener(library, None, debrid=opener),
    )
    share.start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{share.port}", auth=(USER, PASSWORD))
    try:
        yield client, rd, torrent, opener, source, loop
    finally:
        client.close()
        share.stop()
        opener.close()
        loop.run(source.account.aclose())
        loop.close()


def test_whole_file_ranges_head_and_etag(stack):
    client, rd, torrent, opener, *_ = stack
    key = file_key(torrent, 1)
    whole = client.get(PATH)
    assert whole.status_code == 200 and whole.content == content_of(key, 0, SIZE)

    part = client.get(PATH, headers={"Range": "bytes=1000000-1999999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000000-1999999/{SIZE}"
    assert part.content == content_of(key, 1000000, 1000000)

    tail = client.get(PATH, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == content_of(key, SIZE - 10, 10)

    head = client.head(PATH)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == SIZE
    etag = head.headers["ETag"]
    assert etag == whole.headers["ETag"] and etag.strip('"').startswith("rd-")
    assert client.get(PATH, headers={"If-None-Match": etag}).status_code == 304

    bad = client.get(PATH, headers={"Range": f"bytes={SIZE}-"})
    assert bad.status_code == 416
    # one unrestrict served every read: the direct link is cached
    assert opener.unrestricted == 1
    assert len(rd.requests_to("/rest/1.0/unrestrict/link", "POST")) == 1
    ranges = [r for m, _, r in rd.cdn.requests if m == "GET"]
    assert ranges[:3] == [
        f"bytes=0-{SIZE - 1}",
        f"bytes=1000000-{SIZE - 1}",
        f"bytes={SIZE - 10}-{SIZE - 1}",
    ]


def test_an_expired_link_is_unrestricted_again_once(stack):
    client, rd, torrent, opener, *_ = stack
    key = file_key(torrent, 1)
    assert client.get(PATH, headers={"Range": "bytes=0-99"}).content == content_of(key, 0, 100)
    rd.cdn.refuse(1, 403)
    again = client.get(PATH, headers={"Range": "bytes=500-599"})
    assert again.status_code == 206 and again.content == content_of(key, 500, 100)
    assert opener.unrestricted == 2
    assert len(rd.requests_to("/rest/1.0/unrestrict/link", "POST")) == 2
    # a host that keeps refusing is a clean error, not a loop
    rd.cdn.refuse(2, 410)
    assert client.get(PATH, headers={"Range": "bytes=0-9"}).status_code == 502
    assert opener.unrestricted == 3


def test_a_torrent_gone_from_the_account_leaves_the_share(stack):
    client, rd, torrent, opener, source, loop = stack
    rd.remove(torrent.id)
    summary = loop.run(source.sync())
    assert "1 gone" in summary and "1 off the share" in summary
    assert client.get(PATH).status_code == 404
