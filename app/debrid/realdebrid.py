"""Real-Debrid's REST API (v1) and its device login, over one pooled httpx.AsyncClient.

Every request is paced under the account's limit (250 a minute, refused ones included;
pacing.py). A 429 or error code 5/34 ("slow down") holds every request for the
Retry-After (or a doubling backoff) and retries; a network error or a 5xx retries with a
doubling backoff (a slow-down without Retry-After from 5 s, so the tries span the service's
minute window); both give up after `retries` attempts with a DebridError that says so. A 401,
or error code 8 (bad_token), is a TokenInvalid, except once after a device login's refresher
(`auth`, app/debrid/auth.py) got a new token; code 9 (permission_denied: a locked or
expired account) says so; retrying cannot help either. Runs on the app's loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from app.debrid.base import (
    Account,
    DebridError,
    DeviceCode,
    NotLoggedIn,
    Probe,
    Refused,
    RemoteFile,
    RemoteTorrent,
    TokenInvalid,
    Tokens,
    TorrentInfo,
    Unrestricted,
)
from app.debrid.pacing import Pacer, Sleep, backoff

if TYPE_CHECKING:
    from app.debrid.auth import TokenRefresher

logger = logging.getLogger(__name__)

API_URL = "https://api.real-debrid.com/rest/1.0"
OAUTH_URL = "https://api.real-debrid.com/oauth/v2"
OPEN_SOURCE_CLIENT_ID = "X245A4XAIBGVM"  # Real-Debrid's client id for open-source apps
DEVICE_GRANT = "http://oauth.net/grant_type/device/1.0"
PER_MINUTE = 240  # under the 250 the service allows, for the other apps on the account
SLOW_DOWN = frozenset({5, 34})
BAD_TOKEN = 8
PERMISSION_DENIED = 9
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
TOKEN_FORM = re.compile(r"[A-Za-z0-9._~+/=-]+")
INVALID_TOKEN = "the Real-Debrid token is invalid or has expired: set a new one"


class RealDebridClient:
    """The DebridAccount of a Real-Debrid account; `token` may be changed at any time."""

    def __init__(
        self,
        token: str | None,
        *,
        api_url: str = API_URL,
        oauth_url: str = OAUTH_URL,
        per_minute: int = PER_MINUTE,
        retries: int = 5,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30.0,
    ) -> None:
        self.token = token
        self.auth: TokenRefresher | None = None  # a device login's, which renews `token`
        self._api = api_url.rstrip("/")
        self._oauth = oauth_url.rstrip("/")
        self._retries = retries
        self._sleep = sleep
        self.pacer = Pacer(per_minute, sleep=sleep, clock=clock)
        self.requests = 0  # sent, refused ones included (the bench reports it)
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            headers={"User-Agent": "Reelbox"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- the account ------------------------------------------------------------------------

    async def user(self) -> Account:
        data = (await self._call("GET", "/user")).json()
        return Account(
            username=str(data.get("username", "")),
            email=str(data.get("email", "")),
            premium_seconds=int(data.get("premium") or 0),
            expiration=str(data.get("expiration") or ""),
            type=str(data.get("type", "")),
        )

    async def probe(self) -> Probe:
        """The two requests of a change check, sent together."""
        # both finish before an error is raised: none is left running behind the caller
        first, active = await asyncio.gather(
            self._call("GET", "/torrents", params={"page": 1, "limit": 1}),
            self._call("GET", "/torrents/activeCount"),
            return_exceptions=True,
        )
        for answer in (first, active):
            if isinstance(answer, BaseException):
                raise answer
        items = _list(first)
        return Probe(
            total=_total(first, len(items)),
            active=int(active.json().get("nb") or 0),
            first_id=str(items[0]["id"]) if items else None,
        )

    async def torrents_page(self, page: int, limit: int) -> tuple[list[RemoteTorrent], int]:
        """One page of the list (newest first) and the total the header gives."""
        response = await self._call("GET", "/torrents", params={"page": page, "limit": limit})
        items = _list(response)
        return [_torrent(item) for item in items], _total(response, None)

    async def info(self, torrent_id: str) -> TorrentInfo:
        data = (await self._call("GET", f"/torrents/info/{torrent_id}")).json()
        listed = sorted(data.get("files") or [], key=lambda f: int(f["id"]))
        links = list(data.get("links") or [])
        # one link per selected file, in file order; fewer links means the service packed the
        # files into an archive (one RAR link): a file's link would then serve archive bytes
        packed = len(links) != sum(1 for item in listed if item.get("selected"))
        if packed:
            logger.warning(
                "Real-Debrid torrent %s has %d links for its selected files: packed",
                data.get("id"),
                len(links),
            )
        next_link = iter(links)
        files = []
        for item in listed:
            link = next(next_link, None) if item.get("selected") else None
            files.append(
                RemoteFile(
                    int(item["id"]),
                    str(item["path"]),
                    int(item["bytes"]),
                    None if packed else link,
                )
            )
        return TorrentInfo(_torrent(data), tuple(files))

    async def unrestrict(self, link: str) -> Unrestricted:
        data = (await self._call("POST", "/unrestrict/link", data={"link": link})).json()
        return Unrestricted(
            url=str(data["download"]),
            size=int(data.get("filesize") or 0),
            filename=str(data.get("filename", "")),
        )

    async def add_magnet(self, magnet: str) -> str:
        """Send a magnet to the account; returns the new torrent's id."""
        return str(
            (await self._call("POST", "/torrents/addMagnet", data={"magnet": magnet})).json()["id"]
        )

    async def select_files(self, torrent_id: str, file_ids: list[int] | None = None) -> None:
        """Choose the files to fetch (None: all of them)."""
        files = ",".join(str(i) for i in file_ids) if file_ids else "all"
        await self._call("POST", f"/torrents/selectFiles/{torrent_id}", data={"files": files})

    async def delete(self, torrent_id: str) -> None:
        await self._call("DELETE", f"/torrents/delete/{torrent_id}")

    # ---- device login (for open-source apps) -------------------------------------------------

    async def device_code(self) -> DeviceCode:
        data = (
            await self._call(
                "GET",
                "/device/code",
                params={"client_id": OPEN_SOURCE_CLIENT_ID, "new_credentials": "yes"},
                oauth=True,
            )
        ).json()
        return DeviceCode(
            device_code=str(data["device_code"]),
            user_code=str(data["user_code"]),
            verification_url=str(data["verification_url"]),
            interval=int(data.get("interval") or 5),
            expires_in=int(data.get("expires_in") or 600),
        )

    async def device_credentials(self, device_code: str) -> tuple[str, str] | None:
        """(client_id, client_secret) once the user approved the code; None until then."""
        try:
            response = await self._call(
                "GET",
                "/device/credentials",
                params={"client_id": OPEN_SOURCE_CLIENT_ID, "code": device_code},
                oauth=True,
            )
        except DebridError:
            return None  # "not approved yet" is an error answer until the user acts
        data = response.json()
        return str(data["client_id"]), str(data["client_secret"])

    async def device_token(self, client_id: str, client_secret: str, code: str) -> Tokens:
        """The tokens for an approved device code (or, to refresh, for a refresh token); a
        refused grant is a TokenInvalid: only a new login helps."""
        try:
            response = await self._call(
                "POST",
                "/token",
                data={
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "code": code,
                    "grant_type": DEVICE_GRANT,
                },
                oauth=True,
            )
        except Refused as exc:
            raise TokenInvalid(f"{exc}: log in to Real-Debrid again") from None
        data = response.json()
        return Tokens(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_in=int(data.get("expires_in") or 0),
            client_id=client_id,
            client_secret=client_secret,
        )

    async def refresh(self, tokens: Tokens) -> Tokens:
        return await self.device_token(tokens.client_id, tokens.client_secret, tokens.refresh_token)

    # ---- requests ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        oauth: bool = False,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        auth = None if oauth else self.auth
        if auth is not None:
            await auth.fresh()
        url = (self._oauth if oauth else self._api) + path
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            if not oauth:
                if not self.token:
                    raise NotLoggedIn("no Real-Debrid token is set")
                if not TOKEN_FORM.fullmatch(self.token):
                    # a line break pasted inside it: httpx would refuse the header and put
                    # the token into its error message (and our log)
                    raise TokenInvalid("the Real-Debrid token has characters a token never has")
                headers["Authorization"] = f"Bearer {self.token}"
            await self.pacer.wait()
            self.requests += 1
            try:
                response = await self._http.request(
                    method, url, params=params, data=data, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise DebridError(f"Real-Debrid cannot be reached: {exc}") from None
                logger.info("Real-Debrid %s %s: %s; retrying", method, path, exc)
                await self._sleep(backoff(attempt))
                continue
            code = _error_code(response)
            if response.status_code == 429 or code in SLOW_DOWN:
                wait = _retry_after(response) or backoff(attempt, base=5.0, cap=60.0)
                self.pacer.hold_until(wait)  # every request waits, not just this one
                if attempt >= self._retries:
                    raise DebridError(
                        f"Real-Debrid keeps asking to slow down ({attempt} tries); try later"
                    )
                logger.info("Real-Debrid asks to slow down; waiting %.1f s", wait)
                continue
            if response.status_code == 401 or code == BAD_TOKEN:
                sent = headers["Authorization"].removeprefix("Bearer ") if headers else None
                if auth is not None and not renewed and await auth.renew(sent):
                    renewed = True  # once: a token refused right after renewal is bad
                    attempt -= 1
                    continue
                raise TokenInvalid(INVALID_TOKEN)
            if code == PERMISSION_DENIED:
                raise DebridError("Real-Debrid denied access: the account is locked or not premium")
            if response.status_code in RETRIED_STATUSES and attempt < self._retries:
                await self._sleep(backoff(attempt))
                continue
            if response.status_code >= 400:
                raise Refused(f"Real-Debrid refused {method} {path}: {_error_text(response)}")
            return response


def _error_code(response: httpx.Response) -> int | None:
    if response.status_code < 400:
        return None
    try:
        code = response.json().get("error_code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('error', 'error')} (code {body.get('error_code')}, HTTP {response.status_code})"
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _list(response: httpx.Response) -> list[dict[str, Any]]:
    """A page's items: past the end the service answers 204 or []."""
    if response.status_code == 204 or not response.content:
        return []
    items = response.json()
    if not isinstance(items, list):
        raise DebridError("Real-Debrid answered the torrent list with something else")
    return items


def _total(response: httpx.Response, fallback: int | None) -> int:
    try:
        return int(response.headers["X-Total-Count"])
    except (KeyError, ValueError):
        if fallback is None:
            raise DebridError("Real-Debrid's torrent list has no X-Total-Count") from None
        return fallback


def _torrent(item: dict[str, Any]) -> RemoteTorrent:
    return RemoteTorrent(
        id=str(item["id"]),
        filename=str(item.get("filename") or item.get("original_filename") or ""),
        hash=str(item.get("hash", "")).lower(),
        bytes=int(item.get("bytes") or 0),
        status=str(item.get("status", "")),
        progress=float(item.get("progress") or 0),
        added=str(item.get("added", "")),
    )
