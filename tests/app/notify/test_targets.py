"""Each kind of target against a loopback server (or a real command): what goes on the wire."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import pytest

from app.notify.changes import CREATED, DELETED, MODIFIED, Change
from app.notify.targets import NotifyFailed, PathMap, make_target
from app.settings import NotifyTarget
from tests.support.loopback import free_port
from tests.support.media_servers import serve

CHANGES = [
    Change("/Movies/Heat (1995)", CREATED),
    Change("/TV Shows/Severance (2022)/Season 01", MODIFIED),
    Change("/Movies/Alien (1979)", DELETED),
]
MOUNT = {"path_from": "/", "path_to": "/mnt/reelbox"}


def send(spec: NotifyTarget, token: str | None, changes=CHANGES) -> str:
    async def go() -> str:
        async with httpx.AsyncClient(trust_env=False) as client:
            return await make_target(spec, token, client).send(changes)

    return asyncio.run(go())


def test_path_mapping_turns_share_paths_into_the_servers():
    mount = PathMap("/", "/mnt/reelbox/")
    assert mount.apply("/Movies/Heat (1995)") == "/mnt/reelbox/Movies/Heat (1995)"
    assert PathMap("/", "").apply("/Movies") == "/Movies"  # no mapping: share paths as they are
    movies_only = PathMap("/Movies", "/data/films")
    assert movies_only.apply("/Movies/Heat (1995)") == "/data/films/Heat (1995)"
    assert movies_only.apply("/Movies") == "/data/films"
    assert movies_only.apply("/Movies2/X") is None  # a prefix is a whole folder name
    assert movies_only.apply("/TV Shows/Severance (2022)") is None
    assert PathMap("/", "Z:\\\\").apply("/TV Shows/S (2022)") == "Z:\\TV Shows\\S (2022)"


def test_jellyfin_gets_every_folder_in_one_post_with_a_mediabrowser_token():
    with serve("jellyfin") as jellyfin:
        spec = NotifyTarget("jf", "jellyfin", url=jellyfin.url + "/", **MOUNT)
        assert send(spec, "tok-1") == "3 folders sent"
    (request,) = jellyfin.requests
    assert (request.method, request.path) == ("POST", "/Library/Media/Updated")
    assert request.headers["authorization"] == 'MediaBrowser Token="tok-1"'
    assert "x-emby-token" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "Updates": [
            {"Path": "/mnt/reelbox/Movies/Heat (1995)", "UpdateType": "Created"},
            {"Path": "/mnt/reelbox/TV Shows/Severance (2022)/Season 01", "UpdateType": "Modified"},
            {"Path": "/mnt/reelbox/Movies/Alien (1979)", "UpdateType": "Deleted"},
        ]
    }


def test_emby_gets_the_same_call_with_its_token_header():
    with serve("emby") as emby:
        spec = NotifyTarget("emby", "emby", url=emby.url, path_from="/Movies", path_to="/films")
        assert send(spec, "tok-2") == "2 folders sent"  # the season is outside the mapping
    (request,) = emby.requests
    assert request.headers["x-emby-token"] == "tok-2"
    assert "authorization" not in request.headers
    assert [u["Path"] for u in request.json()["Updates"]] == [
        "/films/Heat (1995)",
        "/films/Alien (1979)",
    ]


def test_plex_refreshes_each_folder_in_the_section_that_holds_it():
    with serve("plex") as plex:
        spec = NotifyTarget("plex", "plex", url=plex.url, **MOUNT)
        assert send(spec, "tok-3") == "3 folders refreshed"
    sections = plex.of("GET", "/library/sections")
    assert len(sections) == 1 and sections[0].headers["x-plex-token"] == "tok-3"
    refreshes = [r for r in plex.requests if r.path.endswith("/refresh")]
    assert [(r.path, r.query["path"]) for r in refreshes] == [
        ("/library/sections/1/refresh", ["/mnt/reelbox/Movies/Heat (1995)"]),
        ("/library/sections/2/refresh", ["/mnt/reelbox/TV Shows/Severance (2022)/Season 01"]),
        # a deleted folder is gone: Plex rescans the folder that held it
        ("/library/sections/1/refresh", ["/mnt/reelbox/Movies"]),
    ]
    assert all(r.headers["x-plex-token"] == "tok-3" for r in refreshes)
    assert all("tok-3" not in r.path for r in plex.requests)  # never in a URL (httpx logs URLs)


def test_plex_says_which_paths_no_library_holds():
    with serve("plex") as plex:
        spec = NotifyTarget("plex", "plex", url=plex.url, path_to="/elsewhere")
        with pytest.raises(NotifyFailed, match="no Plex library holds /elsewhere/Movies"):
            send(spec, "tok")
        assert [r.path for r in plex.requests] == ["/library/sections"]


def test_a_refused_token_a_server_error_and_a_closed_port_say_why():
    with serve("jellyfin") as jellyfin:
        spec = NotifyTarget("jf", "jellyfin", url=jellyfin.url)
        jellyfin.status = 401
        with pytest.raises(NotifyFailed, match=r"refused the token \(HTTP 401\)"):
            send(spec, "wrong")
        jellyfin.status = 500
        with pytest.raises(NotifyFailed, match="HTTP 500 from"):
            send(spec, "tok")
    closed = NotifyTarget("jf", "jellyfin", url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NotifyFailed, match="cannot reach"):
        send(closed, "tok")


def test_a_command_gets_the_changed_paths_as_arguments(tmp_path):
    out = tmp_path / "argv.json"
    script = tmp_path / "record.py"
    script.write_text(
        f"import json, sys\nopen({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    command = f'"{sys.executable}" "{script}" --from-reelbox'
    spec = NotifyTarget("script", "command", command=command, **MOUNT)
    assert send(spec, None) == "3 folders passed to " + sys.executable.rsplit("/", 1)[-1]
    assert json.loads(out.read_text()) == [
        "--from-reelbox",
        "/mnt/reelbox/Movies/Heat (1995)",
        "/mnt/reelbox/TV Shows/Severance (2022)/Season 01",
        "/mnt/reelbox/Movies/Alien (1979)",
    ]


def test_a_failing_or_hanging_command_says_why(tmp_path):
    failing = f'"{sys.executable}" -c "import sys; sys.exit(\'no library here\')"'
    with pytest.raises(NotifyFailed, match="exited with status 1: no library here"):
        send(NotifyTarget("script", "command", command=failing), None)
    hanging = f'"{sys.executable}" -c "import time; time.sleep(60)"'
    with pytest.raises(NotifyFailed, match="did not finish within 1 s"):
        send(NotifyTarget("script", "command", command=hanging, timeout=1), None)
    with pytest.raises(NotifyFailed, match="cannot run"):
        send(NotifyTarget("script", "command", command=str(tmp_path / "missing")), None)
