"""The Real-Debrid client against the loopback service: shapes, errors, retries, pacing."""

from __future__ import annotations

import asyncio

import pytest

from app.debrid.base import DebridError, NotLoggedIn, TokenInvalid
from tests.app.debrid.conftest import make_client
from tests.support.loopback import free_port


def run(coro):
    return asyncio.run(coro)


async def _closing(client, coro):
    try:
        return await coro
    finally:
        await client.aclose()


def test_user_list_info_and_probe_follow_the_documented_shapes(rd, fake_time):
    old = rd.add("Old.Movie.2001.1080p", [("/Old.Movie.2001.1080p.mkv", 1000)])
    new = rd.add("Show.S01.1080p", [("/Show.S01/Show.S01E01.mkv", 10), ("/Show.S01/x.nfo", 1)])
    rd.add("Loading.2024", [("/Loading.mkv", 5)], status="downloading")
    client = make_client(rd, fake_time)

    async def scenario():
        user = await client.user()
        page, total = await client.torrents_page(2, 2)
        probe = await client.probe()
        info = await client.info(new.id)
        past, past_total = await client.torrents_page(5, 2)
        return user, page, total, probe, info, past, past_total

    user, page, total, probe, info, past, past_total = run(_closing(client, scenario()))
    assert (user.username, user.premium_seconds) == ("loopback", 86400 * 30)
    assert [(t.id, t.status) for t in page] == [(old.id, "downloaded")] and total == 3
    assert (probe.total, probe.active) == (3, 1)
    assert probe.first_id == rd.torrents[0].id
    assert [(f.id, f.path, f.link) for f in info.files] == [
        (1, "/Show.S01/Show.S01E01.mkv", new.link(1)),
        (2, "/Show.S01/x.nfo", new.link(2)),
    ]
    assert (past, past_total) == ([], 3)  # 204 past the end
    assert len(rd.requests_to("/rest/1.0/torrents")) == 3  # the probe sent one of them


def test_a_refused_token_says_it_is_invalid(rd, fake_time):
    client = make_client(rd, fake_time, token="wrong")
    with pytest.raises(TokenInvalid, match="token is invalid or has expired"):
        run(_closing(client, client.user()))
    assert len(rd.requests_to("/rest/1.0/user")) == 1  # no retry: it cannot help
    assert fake_time.slept == []


def test_no_token_sends_nothing(rd, fake_time):
    client = make_client(rd, fake_time, token=None)
    with pytest.raises(NotLoggedIn):
        run(_closing(client, client.user()))
    assert rd.seen == []


def test_429_waits_its_retry_after_then_retries(rd, fake_time):
    rd.answer_next("/rest/1.0/user", 429, {"error": "too_many_requests", "error_code": 34},
                   {"Retry-After": "7"})  # fmt: skip
    rd.answer_next("/rest/1.0/user", 503, {"error": "slow_down", "error_code": 5})
    client = make_client(rd, fake_time)
    user = run(_closing(client, client.user()))
    assert user.username == "loopback"
    assert len(rd.requests_to("/rest/1.0/user")) == 3
    # Retry-After first; a slow-down without one backs off from 5 s, 10 s at the second
    # attempt (the service counts requests per minute: 0.5 s steps gave up within 8 s)
    assert fake_time.slept == [7.0, 10.0]


def test_slow_down_that_never_ends_gives_up_after_the_retries(rd, fake_time):
    for _ in range(3):
        rd.answer_next("/rest/1.0/user", 429, {"error": "too_many_requests", "error_code": 34},
                       {"Retry-After": "2"})  # fmt: skip
    client = make_client(rd, fake_time, retries=3)
    with pytest.raises(DebridError, match="keeps asking to slow down"):
        run(_closing(client, client.user()))
    assert len(rd.requests_to("/rest/1.0/user")) == 3
    assert fake_time.slept == [2.0, 2.0]


def test_network_errors_back_off_exponentially_then_fail(fake_time):
    from app.debrid.realdebrid import RealDebridClient

    url = f"http://127.0.0.1:{free_port()}"  # nobody listens
    client = RealDebridClient(
        "x", api_url=url, retries=4, sleep=fake_time.sleep, clock=fake_time.clock
    )
    with pytest.raises(DebridError, match="cannot be reached"):
        run(_closing(client, client.user()))
    assert fake_time.slept == [0.5, 1.0, 2.0]
    assert client.requests == 4


def test_the_pacer_keeps_requests_under_the_limit_per_minute(rd, fake_time):
    client = make_client(rd, fake_time, per_minute=3)

    async def scenario():
        for _ in range(7):
            await client.user()

    run(_closing(client, scenario()))
    assert len(rd.requests_to("/rest/1.0/user")) == 7
    # three at once, then each next batch waits for the window to move on
    assert fake_time.slept == [60.0, 60.0]


def test_device_login_then_refresh(rd, fake_time):
    client = make_client(rd, fake_time, token=None)

    async def scenario():
        code = await client.device_code()
        pending = await client.device_credentials(code.device_code)
        rd.approved = True
        credentials = await client.device_credentials(code.device_code)
        tokens = await client.device_token(*credentials, code.device_code)
        refreshed = await client.refresh(tokens)
        return code, pending, credentials, tokens, refreshed

    code, pending, credentials, tokens, refreshed = run(_closing(client, scenario()))
    assert (code.user_code, code.verification_url) == ("ABCD1234", "https://real-debrid.com/device")
    assert pending is None and credentials == ("CID", "SECRET")
    assert tokens.access_token in rd.access and tokens.refresh_token == "REFRESH"
    (token_call, refresh_call) = rd.requests_to("/oauth/v2/token", "POST")
    assert token_call.form["grant_type"] == ["http://oauth.net/grant_type/device/1.0"]
    assert token_call.form["code"] == ["DEVICE"] and refresh_call.form["code"] == ["REFRESH"]
    assert rd.requests_to("/oauth/v2/device/code")[0].query["client_id"] == ["X245A4XAIBGVM"]


def test_add_a_magnet_select_its_files_and_delete_it(rd, fake_time):
    client = make_client(rd, fake_time)
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20

    async def scenario():
        torrent_id = await client.add_magnet(magnet)
        before = await client.info(torrent_id)
        await client.select_files(torrent_id, [1])
        after = await client.info(torrent_id)
        await client.delete(torrent_id)
        return before, after, (await client.probe()).total

    before, after, total = run(_closing(client, scenario()))
    assert before.torrent.status == "waiting_files_selection"
    assert after.torrent.status == "downloaded" and after.files[0].link is not None
    assert total == 0
    assert rd.requests_to(f"/rest/1.0/torrents/selectFiles/{after.torrent.id}", "POST")[0].form == {
        "files": ["1"]
    }


def test_permission_denied_is_not_a_bad_token(rd, fake_time):
    rd.answer_next("/rest/1.0/user", 403, {"error": "permission_denied", "error_code": 9})
    client = make_client(rd, fake_time)
    with pytest.raises(DebridError, match="locked or not premium") as raised:
        run(_closing(client, client.user()))
    assert not isinstance(raised.value, TokenInvalid)
    assert len(rd.requests_to("/rest/1.0/user")) == 1


def test_a_token_with_a_line_break_is_refused_without_being_shown(rd, fake_time, caplog):
    client = make_client(rd, fake_time, token="SECRET-TOKEN\nX")
    with pytest.raises(TokenInvalid) as raised:
        run(_closing(client, client.user()))
    assert "SECRET" not in str(raised.value)
    assert not any("SECRET" in record.getMessage() for record in caplog.records)
    assert rd.seen == []
