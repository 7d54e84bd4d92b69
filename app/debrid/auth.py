"""Logging in to a debrid account: the device flow, keeping its token fresh, logging out.

device_login() runs the device flow for open-source apps: a code the user enters on the
service's website (shown through `show`), polled at the interval the service gives until
it is approved or has expired, then exchanged for tokens. An OAuth access token expires
(`expires_in`): TokenRefresher, attached to the client (`client.auth`), refreshes it with the
refresh token shortly before it expires and once more when the service answers 401, and
hands the new tokens to `save` (the keyring and the settings, in a worker thread). A pasted
API token does not expire and has no refresher. forget_account() is the library side of a
logout: the account's source, its torrents and its files on the share go.

Runs on the app's loop, except forget_account() (a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.debrid.base import DebridError, DeviceCode, TokenInvalid, Tokens
from app.debrid.pacing import Sleep

logger = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0  # seconds before expiry when a token is renewed ahead of time


class CodeExpired(DebridError):
    """The device code was not entered in time."""


@dataclass(frozen=True)
class Login:
    """A device login's tokens and when its access token expires (seconds since 1970)."""

    tokens: Tokens
    expires_at: float

    @classmethod
    def new(cls, tokens: Tokens, now: float | None = None) -> Login:
        return cls(tokens, (time.time() if now is None else now) + tokens.expires_in)


async def device_login(
    client: Any,
    show: Callable[[DeviceCode], None],
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Tokens:
    """The device flow on `client` (a RealDebridClient); cancel the task to stop it."""
    code = await client.device_code()
    show(code)
    deadline = clock() + code.expires_in
    while True:
        await sleep(max(1, code.interval))
        credentials = await client.device_credentials(code.device_code)
        if credentials is not None:
            break
        if clock() >= deadline:
            raise CodeExpired("the code expired before it was entered; start the login again")
    client_id, client_secret = credentials
    return await client.device_token(client_id, client_secret, code.device_code)


class TokenRefresher:
    """Keeps `client.token` a live access token of `login`; see the module docstring."""

    def __init__(
        self,
        client: Any,
        login: Login,
        save: Callable[[Login], None],
        *,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        self.client = client
        self.login = login
        self._save = save
        self._clock = clock
        self._margin = margin
        self._lock = asyncio.Lock()
        self.refreshes = 0  # tests count them
        self.refused = False  # the refresh token was refused: only a new login helps
        client.token = login.tokens.access_token

    async def fresh(self) -> None:
        """Before a request: renew a token about to expire (a failure keeps the old one)."""
        if not self.refused and self._clock() >= self.login.expires_at - self._margin:
            await self.renew(self.client.token)

    async def renew(self, rejected: str | None) -> bool:
        """After `rejected` was refused: a new token; False when none could be had. Requests
        refused together renew once: the others find the token already changed."""
        async with self._lock:
            if self.refused:
                return False
            if self.client.token != rejected:
                return True
            try:
                tokens = await self.client.refresh(self.login.tokens)
            except DebridError as exc:
                logger.warning("Refreshing the debrid token failed: %s", exc)
                self.refused = isinstance(exc, TokenInvalid)
                return False
            if self.client.auth is not self:  # logged out, or another login, meanwhile
                return False
            self.login = Login.new(tokens, self._clock())
            self.client.token = tokens.access_token
            self.refreshes += 1
            await asyncio.to_thread(self._save, self.login)
            logger.info("Debrid token refreshed; it lasts %d s", tokens.expires_in)
            return True


def forget_account(library: Any, source: str = "debrid") -> int:
    """After a logout (any thread but the loop's): the account's sync source with its
    history, its saved torrents and every file of it on the share go, in one transaction.
    Returns how many files left the share."""
    from app.debrid import store
    from app.library.models import Assignment, DebridTorrent, SyncSourceRecord

    with library.writing():
        store.count_logout()
        files = Assignment.delete().where(Assignment.source_kind == "debrid").execute()
        DebridTorrent.delete().execute()
        SyncSourceRecord.delete().where(SyncSourceRecord.name == source).execute()
    return files
