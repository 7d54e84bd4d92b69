"""The TMDB v3 client: one long-lived httpx.AsyncClient, typed results, clear errors.

Owns talking to api.themoviedb.org and image.tmdb.org: searches, movie/show/season details,
image bytes. The credential is a v3 API key (sent as the `api_key` query parameter) or a v4
read access token (a JWT, sent as `Authorization: Bearer`), picked from its shape.

The secret never reaches a log record: httpx logs every request URL at INFO, so the client
never puts the key into the URLs it builds. A small transport wrapper adds the credential
to the copy of the request that goes on the wire, and only for the API host; images are
fetched without it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from app import APP_NAME, __version__
from app.metadata.models import (
    EpisodeDetails,
    MovieDetails,
    MovieResult,
    SeasonDetails,
    SeasonSummary,
    ShowDetails,
    ShowResult,
    parse_movie,
    parse_movie_result,
    parse_season,
    parse_show,
    parse_show_result,
)
from app.settings import TmdbSettings

logger = logging.getLogger(__name__)

__all__ = [
    "API_URL",
    "IMAGE_URL",
    "EpisodeDetails",
    "MovieDetails",
    "MovieResult",
    "SeasonDetails",
    "SeasonSummary",
    "ShowDetails",
    "ShowResult",
    "TmdbAuthError",
    "TmdbClient",
    "TmdbError",
    "TmdbNetworkError",
    "TmdbNotFound",
    "TmdbRateLimited",
    "check_image_ref",
]

API_URL = "https://api.themoviedb.org/3"
IMAGE_URL = "https://image.tmdb.org/t/p"

_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_IMAGE_PATH = re.compile(r"/[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_IMAGE_SIZE = re.compile(r"(?:w|h)[0-9]{2,4}|original")
_T = TypeVar("_T")


class TmdbError(Exception):
    """TMDB could not give us what we asked for; the message says what and why."""


class TmdbAuthError(TmdbError):
    """The key or token is missing or TMDB refused it (HTTP 401)."""


class TmdbNotFound(TmdbError):
    """TMDB has no such movie, show, season or image (HTTP 404)."""


class TmdbRateLimited(TmdbError):
    """TMDB kept answering 429 after our retries; `retry_after` is its last advice in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TmdbNetworkError(TmdbError):
    """TMDB could not be reached or did not answer in time."""


def check_image_ref(path: str, size: str) -> None:
    """Reject image paths and sizes that are not TMDB's: they become URLs and cache file names."""
    if not isinstance(path, str) or not _IMAGE_PATH.fullmatch(path) or ".." in path:
        raise ValueError(f"{path!r} is not a TMDB image path (expected e.g. '/abc123.jpg')")
    if not isinstance(size, str) or not _IMAGE_SIZE.fullmatch(size):
        raise ValueError(f"{size!r} is not a TMDB image size (expected e.g. 'w342' or 'original')")


class _CredentialTransport(httpx.AsyncBaseTransport):
    """Adds the credential on the way out, to a copy of the request the client never logs."""

    def __init__(self, inner: httpx.AsyncBaseTransport, api_host: str, credential: str) -> None:
        self._inner = inner
        self._api_host = api_host
        if _JWT.fullmatch(credential):
            self._header: tuple[str, str] | None = ("Authorization", f"Bearer {credential}")
            self._param: str | None = None
        else:
            self._header = None
            self._param = credential

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self._api_host:
            return await self._inner.handle_async_request(request)
        url = request.url
        headers = request.headers.copy()
        if self._param is not None:
            url = url.copy_merge_params({"api_key": self._param})
        if self._header is not None:
            headers[self._header[0]] = self._header[1]
        keyed = httpx.Request(
            request.method,
            url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(keyed)

    async def aclose(self) -> None:
        await self._inner.aclose()


class TmdbClient:
    """Async TMDB client; create one per credential and close it with `aclose()`."""

    def __init__(
        self,
        credential: str,
        *,
        language: str = "en-US",
        include_adult: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        max_retries: int = 3,
        max_retry_wait: float = 30.0,
        api_url: str = API_URL,
        image_url: str = IMAGE_URL,
    ) -> None:
        credential = (credential or "").strip()
        if not credential:
            raise TmdbAuthError(
                "no TMDB API key is set: add your key or read access token in Settings"
            )
        if any(char.isspace() for char in credential):
            raise TmdbAuthError("the TMDB API key contains spaces: paste the key or token alone")
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative")
        self._secret = credential
        self._language = language
        self._include_adult = include_adult
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._api_url = api_url.rstrip("/")
        self._image_url = image_url.rstrip("/")
        self.uses_bearer = bool(_JWT.fullmatch(credential))
        inner = transport if transport is not None else httpx.AsyncHTTPTransport()
        self._http = httpx.AsyncClient(
            transport=_CredentialTransport(inner, httpx.URL(self._api_url).host, credential),
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": f"{APP_NAME}/{__version__}", "Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, credential: str, settings: TmdbSettings, **kwargs: Any) -> TmdbClient:
        return cls(
            credential, language=settings.language, include_adult=settings.include_adult, **kwargs
        )

    async def __aenter__(self) -> TmdbClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- the API ------------------------------------------------------------------------

    async def search_movies(self, query: str, year: int | None = None) -> list[MovieResult]:
        params = self._search_params(query)
        if year is not None:
            params["year"] = year
        data = await self._get_json("/search/movie", params, f"movie search for {query!r}")
        return self._parse(
            data,
            lambda d: [parse_movie_result(r) for r in d["results"]],
            f"movie search for {query!r}",
        )

    async def search_shows(self, query: str, year: int | None = None) -> list[ShowResult]:
        params = self._search_params(query)
        if year is not None:
            params["first_air_date_year"] = year
        data = await self._get_json("/search/tv", params, f"show search for {query!r}")
        return self._parse(
            data,
            lambda d: [parse_show_result(r) for r in d["results"]],
            f"show search for {query!r}",
        )

    async def movie(self, tmdb_id: int) -> MovieDetails:
        what = f"movie {int(tmdb_id)}"
        data = await self._get_json(f"/movie/{int(tmdb_id)}", {}, what)
        return self._parse(data, parse_movie, what)

    async def show(self, tmdb_id: int) -> ShowDetails:
        what = f"show {int(tmdb_id)}"
        # the IMDb id is not in a show's details, only in its external ids: one request for both
        params = {"append_to_response": "external_ids"}
        data = await self._get_json(f"/tv/{int(tmdb_id)}", params, what)
        return self._parse(data, parse_show, what)

    async def season(self, show_id: int, number: int) -> SeasonDetails:
        what = f"season {int(number)} of show {int(show_id)}"
        data = await self._get_json(f"/tv/{int(show_id)}/season/{int(number)}", {}, what)
        return self._parse(data, parse_season, what)

    async def download_image(self, path: str, size: str = "w342") -> bytes:
        """The bytes of a poster or still, e.g. `download_image("/abc.jpg", "w342")`."""
        check_image_ref(path, size)
        what = f"image {size}{path}"
        response = await self._send(f"{self._image_url}/{size}{path}", {}, what)
        kind = response.headers.get("Content-Type", "")
        if not kind.startswith("image/") or not response.content:
            raise TmdbError(f"TMDB sent no picture for {what} (got {kind or 'no content type'})")
        return response.content

    # ---- plumbing -----------------------------------------------------------------------

    def _search_params(self, query: str) -> dict[str, Any]:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("search text is empty")
        return {
            "query": query.strip(),
            "include_adult": "true" if self._include_adult else "false",
            "page": 1,
        }

    async def _get_json(self, path: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        params = {"language": self._language, **params}
        response = await self._send(f"{self._api_url}{path}", params, what)
        try:
            data = response.json()
        except ValueError:
            raise TmdbError(f"TMDB sent an answer that is not JSON for {what}") from None
        if not isinstance(data, dict):
            raise TmdbError(f"TMDB sent an unexpected answer for {what}")
        return data

    def _parse(self, data: dict[str, Any], parser: Callable[[dict[str, Any]], _T], what: str) -> _T:
        try:
            return parser(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise TmdbError(f"TMDB sent an unexpected answer for {what} ({exc!r})") from None

    async def _send(self, url: str, params: dict[str, Any], what: str) -> httpx.Response:
        """GET with bounded retries on 429; every failure becomes a TmdbError."""
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._http.get(url, params=params)
            except httpx.TimeoutException:
                raise TmdbNetworkError(
                    f"TMDB did not answer within {self._timeout:g} s ({what})"
                ) from None
            except httpx.TransportError as exc:
                raise TmdbNetworkError(
                    f"cannot reach TMDB ({what}): {self._scrub(str(exc)) or type(exc).__name__}"
                ) from None
            logger.debug(
                "TMDB %s: HTTP %d in %.2f s", what, response.status_code, time.monotonic() - started
            )
            if response.status_code != 429:
                break
            retry_after = _retry_after(response)
            if attempt >= self._max_retries or retry_after > self._max_retry_wait:
                raise TmdbRateLimited(
                    f"TMDB is limiting requests ({what}); try again in {retry_after:g} s",
                    retry_after,
                )
            attempt += 1
            logger.info(
                "TMDB asks us to slow down; retry %d/%d for %s in %g s",
                attempt,
                self._max_retries,
                what,
                retry_after,
            )
            await asyncio.sleep(retry_after)
        if response.is_success:
            return response
        message = _status_message(response)
        if response.status_code == 401:
            raise TmdbAuthError(f"TMDB refused the API key or token ({message})")
        if response.status_code == 404:
            raise TmdbNotFound(f"TMDB has no {what} ({message})")
        raise TmdbError(f"TMDB answered HTTP {response.status_code} for {what} ({message})")

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***")


def _retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds (a number or an HTTP date); 1 s when TMDB gives none."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())


def _status_message(response: httpx.Response) -> str:
    """TMDB's own words from its error body, else the HTTP reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("status_message"), str):
        return body["status_message"]
    return response.reason_phrase or f"HTTP {response.status_code}"
