"""A stand-in for api.themoviedb.org and image.tmdb.org behind httpx.MockTransport.

Answers come from the JSON fixtures next to this file, shaped like TMDB's real v3 responses;
tests can replace or queue answers per path and read back every request the client sent.
As TMDB does, `append_to_response=external_ids` on a details path adds the answer of its
`/external_ids` sub-path under the key "external_ids" (without the repeated "id").
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "0123456789abcdef0123456789abcdef"
# The shape of a v4 read access token: a JWT (header.payload.signature).
READ_TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiIsInNjb3BlcyI6WyJh"
    "cGlfcmVhZCJdLCJ2ZXJzaW9uIjoxfQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1mb3ItdGVzdHMtb25seQ"
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error(name: str, status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=fixture(name), headers=headers)


class FakeTmdb:
    """Routes TMDB paths to fixture answers and checks the credential like TMDB does."""

    def __init__(self, credential: str = API_KEY) -> None:
        self.credential = credential
        self.requests: list[httpx.Request] = []
        self.data: dict[str, Any] = {
            "/3/search/movie": fixture("search_movie.json"),
            "/3/search/tv": fixture("search_tv.json"),
            "/3/movie/603": fixture("movie_603.json"),
            "/3/movie/1196470": fixture("movie_1196470.json"),
            "/3/tv/1396": fixture("tv_1396.json"),
            "/3/tv/1396/external_ids": fixture("tv_1396_external_ids.json"),
            "/3/tv/1396/season/0": fixture("tv_1396_season_0.json"),
            "/3/tv/1396/season/1": fixture("tv_1396_season_1.json"),
        }
        self.images: dict[str, bytes] = {}
        self.queued: dict[str, deque[httpx.Response]] = defaultdict(deque)
        self.image_delay = 0.0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def queue(self, path: str, *responses: httpx.Response) -> None:
        """Answer the next requests for `path` with these responses, then with the data again."""
        self.queued[path].extend(responses)

    def hits(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)

    def edit(self, path: str) -> Any:
        """A private copy of the answer for `path`, to change for one test."""
        self.data[path] = copy.deepcopy(self.data[path])
        return self.data[path]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.queued[path]:
            return self.queued[path].popleft()
        if request.url.host == "image.tmdb.org":
            return await self._image(request)
        if request.url.host != "api.themoviedb.org":
            return httpx.Response(404, text="unknown host")
        if not self._authorized(request):
            name = "error_401.json" if "api_key" in request.url.params else "error_401_token.json"
            return error(name, 401)
        if path not in self.data:
            return error("error_404.json", 404)
        answer = dict(self.data[path])
        appended = request.url.params.get("append_to_response", "")
        for name in filter(None, appended.split(",")):
            if f"{path}/{name}" in self.data:  # TMDB leaves out what it cannot append
                extra = dict(self.data[f"{path}/{name}"])
                extra.pop("id", None)
                answer[name] = extra
        return httpx.Response(200, json=answer)

    def _authorized(self, request: httpx.Request) -> bool:
        key = request.url.params.get("api_key")
        bearer = request.headers.get("Authorization", "")
        return self.credential in (key, bearer.removeprefix("Bearer "))

    async def _image(self, request: httpx.Request) -> httpx.Response:
        if self.image_delay:
            await asyncio.sleep(self.image_delay)
        # /t/p/w342/abc.jpg
        parts = request.url.path.split("/")
        name = "/" + parts[-1]
        if name not in self.images:
            return httpx.Response(
                404, text="<html>Not Found</html>", headers={"Content-Type": "text/html"}
            )
        return httpx.Response(
            200, content=self.images[name], headers={"Content-Type": "image/jpeg"}
        )
