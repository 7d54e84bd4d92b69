"""Basic auth for the share, bearer token for the API, anonymous only when turned on."""

from __future__ import annotations

import base64
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, unquote

import httpx
import pytest

from app.share.auth import Credentials
from app.share.server import HttpServer, share_app
from app.share.throttle import FREE_FAILURES, MAX_COOLDOWN, FailureThrottle
from tests.app.share.conftest import PASSWORD, STANDARD_FILES, USER, DiskShare, running

HEAT = quote("/Movies/Heat (1995)/Heat (1995).mkv")


@pytest.fixture
def share(tmp_path):
    """A share of its own, for tests whose wrong credentials must not slow down the next test."""
    own = DiskShare(tmp_path, STANDARD_FILES)
    with running(own):
        yield own


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
def test_wrong_credentials_are_refused(share, auth):
    with share.client(auth=auth) as client:
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
def test_malformed_authorization_is_refused(share, header):
    with share.client(auth=None) as client:
        assert client.get(HEAT, headers={"Authorization": header}).status_code == 401


def test_right_credentials_get_the_file(disk_share):
    with disk_share.client() as client:
        reply = client.get(HEAT)
    assert reply.status_code == 200
    assert reply.content == disk_share.data("Movies/Heat (1995)/Heat (1995).mkv")


def test_api_accepts_the_bearer_token_and_basic(share):
    # No API app is mounted in the disk share: an authorised request reaches the 404 JSON.
    with share.client(auth=None) as client:
        assert client.get("/api/health").status_code == 401
        assert (
            client.get("/api/health", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        reply = client.get("/api/health", headers={"Authorization": "Bearer tok-123"})
        assert reply.status_code == 404 and reply.json() == {"error": "not found"}
    with share.client() as client:
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


# ---- wrong credentials, many times: slowed down per address, logged once per burst --------


class Clock:
    """The throttle's clock, moved by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttled(tmp_path):
    clock = Clock()
    own = DiskShare(tmp_path, STANDARD_FILES)
    app = share_app(
        lambda: own.tree,
        own.opener,
        own.credentials,
        block_size=64 * 1024,
        throttle=FailureThrottle(clock),
    )
    own.server = HttpServer(app, "127.0.0.1", 0, threads=8)
    with running(own):
        yield own, clock


def auth_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("app.share")]


def test_a_burst_of_wrong_passwords_is_slowed_down_and_logged_once(throttled, caplog):
    share, clock = throttled
    with share.client(auth=(USER, "guess")) as guesser, caplog.at_level(logging.INFO):
        answers = [guesser.get(HEAT).status_code for _ in range(300)]
        token = guesser.get("/api/health", headers={"Authorization": "Bearer guess"})
    # ten tries are free; after that nothing is even checked until the cooldown is over
    assert answers == [401] * FREE_FAILURES + [429] * (300 - FREE_FAILURES)
    assert token.status_code == 429 and "too many wrong credentials" in token.json()["error"]
    assert int(token.headers["retry-after"]) >= 1
    lines = [(r.levelno, r.getMessage()) for r in auth_logs(caplog)]
    assert lines == [
        (logging.INFO, f"Refused credentials from 127.0.0.1 for GET {unquote(HEAT)}"),
        (
            logging.WARNING,
            "127.0.0.1 sent wrong credentials 10 times in 0 s; its attempts are slowed down "
            "until it stops",
        ),
    ]
    # the burst ends after a quiet minute; the next request of anyone logs its summary
    clock.now += 61
    caplog.clear()
    with share.client() as owner, caplog.at_level(logging.INFO):
        assert owner.get(HEAT).status_code == 200
    assert [r.getMessage() for r in auth_logs(caplog)] == [
        "Wrong credentials from 127.0.0.1: 10 refused and 291 more answered 429 unchecked over 0 s"
    ]


def test_the_right_password_passes_once_the_cooldown_is_over(throttled):
    share, clock = throttled
    with share.client(auth=(USER, "stale")) as stale, share.client() as fixed:
        for _ in range(FREE_FAILURES):
            assert stale.get(HEAT).status_code == 401
        refused = fixed.get(HEAT)
        assert refused.status_code == 429  # unchecked: else guessing would go on at full speed
        clock.now += float(refused.headers["retry-after"])
        assert fixed.get(HEAT).status_code == 200
        # and at once for what follows: the address is not locked out
        assert [fixed.get(HEAT).status_code for _ in range(5)] == [200] * 5
        assert fixed.head(HEAT).status_code == 200


def test_the_cooldown_grows_while_failures_go_on_up_to_a_few_seconds(throttled):
    share, clock = throttled
    waits = []
    with share.client(auth=(USER, "guess")) as guesser:
        for _ in range(FREE_FAILURES):
            assert guesser.get(HEAT).status_code == 401
        for _ in range(6):
            refused = guesser.get(HEAT)
            assert refused.status_code == 429
            waits.append(float(refused.headers["retry-after"]))
            clock.now += waits[-1]
            assert guesser.get(HEAT).status_code == 401  # checked, and wrong again
    assert waits == [1, 1, 2, 4, 4, 4]  # 0.5 s rounded up, then doubling to the cap
    assert max(waits) <= MAX_COOLDOWN


def test_parallel_requests_share_one_check(throttled):
    share, clock = throttled
    with share.client(auth=(USER, "guess")) as guesser:
        for _ in range(FREE_FAILURES):
            guesser.get(HEAT)
        clock.now += MAX_COOLDOWN
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: guesser.get(HEAT).status_code, range(16)))
    assert sorted(answers) == [401] + [429] * 15


def test_other_addresses_are_not_slowed_down(throttled):
    share, _ = throttled
    try:
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other, base_url=share.base, auth=(USER, PASSWORD)) as client:
            client.get(HEAT)
    except (OSError, httpx.ConnectError):
        pytest.skip("no second loopback address here")
    with share.client(auth=(USER, "guess")) as guesser:
        for _ in range(FREE_FAILURES + 5):
            guesser.get(HEAT)
        assert guesser.get(HEAT).status_code == 429
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport, base_url=share.base, timeout=30) as client:
        assert client.get(HEAT, auth=(USER, "typo")).status_code == 401
        assert client.get(HEAT, auth=(USER, PASSWORD)).status_code == 200


def test_a_refused_request_with_a_body_is_answered_and_closed_without_reading_it(share):
    # a client that declares a big body and trickles it (or never sends it) gets its 401 at
    # once and the connection ends: no worker waits for the body for the socket timeout
    with socket.create_connection(("127.0.0.1", share.server.port), timeout=10) as sock:
        sock.sendall(
            b"PUT /api/movies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n{"
        )
        answer = b""
        while chunk := sock.recv(65536):  # EOF: the server closed the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b"Connection: close" in answer
