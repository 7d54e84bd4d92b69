"""Logging in to Real-Debrid against the loopback service: the device flow, an expiring
token refreshed ahead of time and after a 401, and the login kept, renewed and forgotten by a
real Core (keyring, settings file, sync source, share)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from app import settings as settings_file
from app.core import Core
from app.debrid import realdebrid as client_module
from app.debrid.auth import CodeExpired, Login, TokenRefresher, device_login
from app.debrid.base import DebridError, TokenInvalid
from app.library.db import close_database, open_database
from app.library.models import Assignment, DebridTorrent, SyncSourceRecord
from app.secrets import REALDEBRID_CLIENT_SECRET, REALDEBRID_REFRESH, REALDEBRID_TOKEN
from app.sync import folder_parse
from tests.app.debrid.conftest import make_client
from tests.app.debrid.test_core import PATH
from tests.support.core import make_core
from tests.support.core import run as run_core
from tests.support.realdebrid import TOKEN
from tests.support.swarm import wait_until


def run(client, coro):
    async def closing():
        try:
            return await coro
        finally:
            await client.aclose()

    return asyncio.run(closing())


def paths_asked(rd) -> list[str]:
    return [seen.path for seen in rd.seen]


async def approved_tokens(rd, client):
    rd.approve()
    return await device_login(client, lambda code: None, sleep=lambda s: asyncio.sleep(0))


def test_device_login_polls_at_the_given_interval_until_approved(rd, fake_time):
    rd.device_interval = 7
    client = make_client(rd, fake_time, token=None)
    shown = []

    async def sleep(seconds: float) -> None:
        await fake_time.sleep(seconds)
        if len(fake_time.slept) == 3:  # the user enters the code before the third poll
            rd.approve()

    tokens = run(client, device_login(client, shown.append, sleep=sleep, clock=fake_time.clock))
    assert [(c.user_code, c.verification_url) for c in shown] == [
        ("ABCD1234", "https://real-debrid.com/device")
    ]
    assert fake_time.slept == [7, 7, 7]
    assert paths_asked(rd) == ["/oauth/v2/device/code"] + ["/oauth/v2/device/credentials"] * 3 + [
        "/oauth/v2/token"
    ]
    assert (tokens.client_id, tokens.client_secret) == ("CID", "SECRET")
    assert tokens.access_token in rd.access and tokens.expires_in == rd.token_lifetime


def test_a_code_not_entered_in_time_expires(rd, fake_time):
    rd.device_interval, rd.device_expires_in = 5, 10
    client = make_client(rd, fake_time, token=None)
    with pytest.raises(CodeExpired, match="expired before it was entered"):
        run(client, device_login(client, lambda code: None, **_fake(fake_time)))
    assert fake_time.slept == [5, 5]
    assert "/oauth/v2/token" not in paths_asked(rd)


def _fake(fake_time) -> dict:
    return {"sleep": fake_time.sleep, "clock": fake_time.clock}


def test_a_token_about_to_expire_is_refreshed_first_and_saved(rd, fake_time):
    client = make_client(rd, fake_time, token=None)
    saved: list[Login] = []

    async def scenario():
        tokens = await approved_tokens(rd, client)
        refresher = TokenRefresher(
            client, Login.new(tokens, 0.0), saved.append, clock=fake_time.clock
        )
        client.auth = refresher
        await client.user()  # an hour left: no refresh
        fake_time.now = tokens.expires_in - 200  # inside the 5 minutes before expiry
        rd.clear()
        await client.user()
        return tokens, refresher

    tokens, refresher = run(client, scenario())
    assert paths_asked(rd) == ["/oauth/v2/token", "/rest/1.0/user"]  # refreshed, then asked
    assert rd.requests_to("/oauth/v2/token", "POST")[0].form["code"] == [tokens.refresh_token]
    assert [login.tokens.refresh_token for login in saved] == ["REFRESH-2"]
    assert saved[0].expires_at == fake_time.now + rd.token_lifetime
    assert client.token == saved[0].tokens.access_token != tokens.access_token
    assert refresher.login == saved[0] and tokens.refresh_token not in rd.refresh_tokens


def test_a_401_refreshes_once_for_requests_refused_together(rd, fake_time):
    rd.add("Heat.1995", [("/Heat.1995.mkv", 10)])
    client = make_client(rd, fake_time, token=None)
    saved: list[Login] = []

    async def scenario():
        tokens = await approved_tokens(rd, client)
        client.auth = TokenRefresher(
            client, Login.new(tokens, 0.0), saved.append, clock=fake_time.clock
        )
        rd.expire_access()  # the service ends the token early
        rd.clear()
        return await client.probe()  # two requests at once, both refused

    probe = run(client, scenario())
    assert (probe.total, probe.first_id) == (1, rd.torrents[0].id)
    assert len(rd.requests_to("/oauth/v2/token", "POST")) == 1
    assert len(saved) == 1 and client.token == saved[0].tokens.access_token


def test_a_refused_refresh_says_the_token_is_invalid(rd, fake_time):
    client = make_client(rd, fake_time, token=None)
    saved: list[Login] = []

    async def scenario():
        tokens = await approved_tokens(rd, client)
        client.auth = TokenRefresher(
            client, Login.new(tokens, 0.0), saved.append, clock=fake_time.clock
        )
        rd.expire_access()
        rd.refresh_tokens.clear()  # the login was revoked on the website
        await client.user()

    with pytest.raises(TokenInvalid, match="invalid or has expired"):
        run(client, scenario())
    assert len(rd.requests_to("/oauth/v2/token", "POST")) == 2  # the login, one refresh
    assert saved == []


# ---- a real Core ------------------------------------------------------------------------------


@pytest.fixture
def core_urls(rd, monkeypatch):
    monkeypatch.setattr(client_module, "API_URL", rd.api_url)
    monkeypatch.setattr(client_module, "OAUTH_URL", rd.oauth_url)


def test_core_keeps_renews_and_forgets_a_device_login(paths, rd, core_urls, memory_keyring):
    torrent = rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", 300_000)])
    keys = {name: ("Reelbox", name) for name in (REALDEBRID_TOKEN, REALDEBRID_REFRESH)}
    logins = []

    async def log_in(core: Core) -> None:
        core.library.add_movie("Heat", 1995)
        rd.approve()
        tokens = await device_login(core.debrid, lambda c: None, sleep=lambda s: asyncio.sleep(0))
        login = Login.new(tokens)
        logins.append(login)
        await asyncio.to_thread(core.set_debrid_login, login)
        run = await core.sync.run("debrid", "manual")
        assert run.outcome == "ok", run.error
        assert memory_keyring.store[keys[REALDEBRID_TOKEN]] == tokens.access_token
        assert memory_keyring.store[("Reelbox", REALDEBRID_CLIENT_SECRET)] == "SECRET"
        assert core.settings.debrid.token_expires == round(login.expires_at, 3)

    run_core(make_core(paths), log_in)
    saved = settings_file.load(paths.settings_file)
    assert saved.debrid.token_expires == round(logins[0].expires_at, 3)

    async def restart_and_expire(core: Core) -> None:
        assert core.debrid.auth is not None  # read back from the keyring at start
        assert core.debrid.token == logins[0].tokens.access_token
        rd.expire_access()
        run = await core.sync.run("debrid", "manual")
        assert run.outcome == "ok", run.error
        assert core.debrid.auth.refreshes == 1
        assert memory_keyring.store[keys[REALDEBRID_REFRESH]] == "REFRESH-2"
        assert memory_keyring.store[keys[REALDEBRID_TOKEN]] == core.debrid.token

    run_core(make_core(paths), restart_and_expire)
    assert "REFRESH-2" in rd.refresh_tokens

    async def log_out(core: Core) -> None:
        tree = core.share.live_tree
        assert await asyncio.to_thread(wait_until, lambda: tree.current.lookup("/" + PATH), 10)
        gone = await asyncio.to_thread(core.debrid_logout)
        assert gone == 1
        assert "debrid" not in core.sync.names()
        assert await asyncio.to_thread(wait_until, lambda: not tree.current.lookup("/" + PATH), 10)
        assert not [k for k in memory_keyring.store if k[1].startswith("realdebrid")]
        assert not SyncSourceRecord.select().where(SyncSourceRecord.kind == "debrid").exists()
        assert not Assignment.select().where(Assignment.source_kind == "debrid").exists()
        assert core.debrid.token is None and core.debrid.auth is None
        base = core.share.urls()[0]
        auth = (core.settings.share.username, await asyncio.to_thread(core.share_password))
        async with httpx.AsyncClient(timeout=30, auth=auth) as client:
            assert (await client.get(base + PATH)).status_code == 404

    run_core(make_core(paths), log_out)
    assert settings_file.load(paths.settings_file).debrid.token_expires == 0
    assert torrent.id in [t.id for t in rd.torrents]  # the account itself is untouched


def test_a_logout_during_a_refresh_stays_logged_out(paths, rd, core_urls, memory_keyring):
    # The refresh under way used to set its new token and save all four secrets after the
    # logout had deleted them: logged in again, and again after a restart.
    async def scenario(core: Core) -> None:
        rd.approve()
        tokens = await device_login(core.debrid, lambda c: None, sleep=lambda s: asyncio.sleep(0))
        await asyncio.to_thread(core.set_debrid_login, Login.new(tokens))
        # the first sync done: the refresh below is our request's, which a logout does not
        # cancel (as a share read's or an assignment's)
        state = lambda: core.sync.state("debrid")  # noqa: E731
        assert await asyncio.to_thread(
            wait_until, lambda: state().history and not state().running, 10
        )
        gate = asyncio.Event()
        refresh = core.debrid.refresh

        async def held_refresh(old):
            await gate.wait()
            return await refresh(old)

        core.debrid.refresh = held_refresh
        rd.expire_access()
        request = asyncio.ensure_future(core.debrid.user())
        assert await asyncio.to_thread(wait_until, lambda: core.debrid.auth._lock.locked(), 10)
        await asyncio.to_thread(core.debrid_logout)
        gate.set()
        with pytest.raises(DebridError):
            await request
        await asyncio.sleep(0.2)  # anything the refresh would still save
        assert core.debrid.token is None and core.debrid.auth is None
        assert not [k for k in memory_keyring.store if k[1].startswith("realdebrid")]
        assert core.settings.debrid.token_expires == 0.0

    run_core(make_core(paths), scenario)


def test_a_logout_during_a_sync_leaves_nothing_of_the_account(
    paths, rd, core_urls, memory_keyring, monkeypatch
):
    # The sync's worker read names outside the write lock, then wrote the account's rows
    # after the logout had removed them.

    rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", 300_000)])
    entered, release = threading.Event(), threading.Event()
    read_names = folder_parse.releases

    def held(names):
        entered.set()
        release.wait(10)
        return read_names(names)

    monkeypatch.setattr(folder_parse, "releases", held)

    async def scenario(core: Core) -> None:
        core.library.add_movie("Heat", 1995)
        await asyncio.to_thread(core.set_debrid_token, TOKEN)
        assert await asyncio.to_thread(entered.wait, 10)
        await asyncio.to_thread(core.debrid_logout)
        release.set()
        await asyncio.sleep(0.5)  # the sync's thread goes on and reaches the write lock

    run_core(make_core(paths), scenario)
    db = open_database(paths.database_file)  # the same library, after the core stopped
    try:
        assert Assignment.select().where(Assignment.source_kind == "debrid").count() == 0
        assert DebridTorrent.select().count() == 0
        assert SyncSourceRecord.get_or_none(SyncSourceRecord.name == "debrid") is None
    finally:
        close_database(db)
