"""Basic auth for the share, bearer token for the API, anonymous only when turned on."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest

from app.share.auth import Credentials
from tests.app.share.conftest import PASSWORD, STANDARD_FILES, USER, DiskShare, running

HEAT = quote("/Movies/Heat (1995)/Heat (1995).mkv")


def test_no_credentials_gets_a_basic_challenge(disk_share):
    with disk_share.client(auth=None) as client:
        for method in ("GET", "HEAD", "PROPFIND", "OPTIONS"):
            reply = client.request(method, HEAT, headers={"Depth": "0"})
            assert reply.status_code == 401, method
            challenge = reply.headers["www-authenticate"]
            assert challenge.startswith("Basic ") and 'realm="Reelbox"' in challenge
            assert "Digest" not in challenge
            assert reply.content in (b"", b"Authentication required\n")


@pytest.mark.parametrize(
    "auth",
    [(USER, "wrong"), ("someone", PASSWORD), (USER, PASSWORD + "x"), (USER, "")],
)
def test_wrong_credentials_are_refused(disk_share, auth):
    with disk_share.client(auth=auth) as client:
        assert client.get(HEAT).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Digest username=reelbox",
        "Bearer tok-123",  # the token opens the API, not the WebDAV tree
    ],
)
def test_malformed_authorization_is_refused(disk_share, header):
    with disk_share.client(auth=None) as client:
        assert client.get(HEAT, headers={"Authorization": header}).status_code == 401


def test_right_credentials_get_the_file(disk_share):
    with disk_share.client() as client:
        reply = client.get(HEAT)
    assert reply.status_code == 200
    assert reply.content == disk_share.data("Movies/Heat (1995)/Heat (1995).mkv")


def test_api_accepts_the_bearer_token_and_basic(disk_share):
    # No API app is mounted in the disk share: an authorised request reaches the 404 JSON.
    with disk_share.client(auth=None) as client:
        assert client.get("/api/health").status_code == 401
        assert (
            client.get("/api/health", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        reply = client.get("/api/health", headers={"Authorization": "Bearer tok-123"})
        assert reply.status_code == 404 and reply.json() == {"error": "not found"}
    with disk_share.client() as client:
        assert client.get("/api/health").status_code == 404


def test_anonymous_opens_the_tree_but_not_the_api(tmp_path):
    share = DiskShare(tmp_path, STANDARD_FILES, anonymous=True)
    with running(share), httpx.Client(base_url=share.base) as client:
        assert client.get(HEAT).status_code == 200
        reply = client.get("/api/health")
        assert reply.status_code == 401
        assert reply.json() == {"error": "authentication required"}


def test_a_password_is_required_unless_anonymous():
    with pytest.raises(ValueError, match="password"):
        Credentials(USER, None)
    with pytest.raises(ValueError, match="password"):
        Credentials(USER, "")
    assert Credentials(USER, None, anonymous=True).check_basic("Basic Og==") is None


def test_non_ascii_password():
    credentials = Credentials("émile", "pässwörd")
    header = "Basic " + base64.b64encode("émile:pässwörd".encode()).decode()
    assert credentials.check_basic(header) == "émile"
