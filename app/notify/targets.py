"""The places told about changed share folders: Jellyfin, Emby, Plex and a user's command.

Each target turns share folders into the paths its server sees (PathMap: the server mounts
the share somewhere) and delivers them in one go; send() returns a one-line summary or
raises NotifyFailed saying why. Tokens come from the keyring (token_key) and are only ever
put in headers, never in a URL, so httpx's request log never shows one.

- Jellyfin: POST {url}/Library/Media/Updated {"Updates": [{"Path", "UpdateType"}]} with
  `Authorization: MediaBrowser Token="..."` (Jellyfin 10.9+ ignores X-Emby-Token).
- Emby: the same call with `X-Emby-Token`.
- Plex: GET {url}/library/sections (XML), then for each path the section whose Location
  holds it: GET {url}/library/sections/{key}/refresh?path=... A deleted folder is refreshed
  through its parent (Plex scans what exists). With X-Plex-Token.
- Command: the program and its arguments, the paths appended, run with a timeout.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx
from defusedxml import ElementTree

from app.notify.changes import DELETED, Change, parent_of
from app.settings import NotifyTarget

# How much of a failing server's or command's answer goes into the error.
ERROR_TAIL = 200


def token_key(name: str) -> str:
    """The keyring entry of a target's token."""
    return f"notify_token.{name}"


class NotifyFailed(Exception):
    """A target could not be told; the message says why, for the history and the log."""


@dataclass(frozen=True, slots=True)
class PathMap:
    """Share paths under `share_prefix` become the same paths under `server_prefix`."""

    share_prefix: str = "/"
    server_prefix: str = ""

    def apply(self, path: str) -> str | None:
        """The server's path for a share path, or None when the share path is not mapped."""
        base = self.share_prefix.rstrip("/")
        if base and path != base and not path.startswith(base + "/"):
            return None
        rest = path[len(base) :]
        if "\\" in self.server_prefix:  # a Windows server: Z:\Movies\Heat (1995)
            return self.server_prefix.rstrip("\\") + rest.replace("/", "\\")
        prefix = self.server_prefix.rstrip("/")
        return (prefix + rest) or "/"


class Target(Protocol):
    name: str

    async def send(self, changes: Sequence[Change]) -> str: ...


def make_target(spec: NotifyTarget, token: str | None, client: httpx.AsyncClient) -> Target:
    paths = PathMap(spec.path_from, spec.path_to)
    if spec.kind == "command":
        return CommandTarget(spec.name, spec.command, paths, spec.timeout)
    if spec.kind == "plex":
        return PlexTarget(spec.name, spec.url, paths, token, client, spec.timeout)
    header = (
        {"Authorization": f'MediaBrowser Token="{token}"'}
        if spec.kind == "jellyfin"
        else {"X-Emby-Token": token}
    )
    return MediaBrowserTarget(
        spec.name, spec.url, paths, header if token else {}, client, spec.timeout
    )


class MediaBrowserTarget:
    """Jellyfin and Emby (Emby's fork keeps the API): one POST with every folder."""

    def __init__(
        self,
        name: str,
        url: str,
        paths: PathMap,
        headers: dict[str, str],
        client: httpx.AsyncClient,
        timeout: float,
    ) -> None:
        self.name = name
        self.url = url.rstrip("/") + "/Library/Media/Updated"
        self.paths = paths
        self.headers = headers
        self.client = client
        self.timeout = timeout

    async def send(self, changes: Sequence[Change]) -> str:
        updates = []
        for change in changes:
            path = self.paths.apply(change.path)
            if path is not None:
                updates.append({"Path": path, "UpdateType": change.kind})
        if not updates:
            return "no changed folder is under the mapped share path"
        await _request(
            self.client, "POST", self.url, self.timeout, self.headers, json={"Updates": updates}
        )
        return f"{_folders(len(updates))} sent"


class PlexTarget:
    def __init__(
        self,
        name: str,
        url: str,
        paths: PathMap,
        token: str | None,
        client: httpx.AsyncClient,
        timeout: float,
    ) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.paths = paths
        self.headers = {"X-Plex-Token": token} if token else {}
        self.client = client
        self.timeout = timeout

    async def send(self, changes: Sequence[Change]) -> str:
        wanted: list[str] = []
        for change in changes:
            share_path = parent_of(change.path) if change.kind == DELETED else change.path
            path = self.paths.apply(share_path)
            if path is not None and path not in wanted:
                wanted.append(path)
        if not wanted:
            return "no changed folder is under the mapped share path"
        sections = await self._sections()
        refreshed, outside = 0, []
        for path in wanted:
            key = _section_for(path, sections)
            if key is None:
                outside.append(path)
                continue
            await _request(
                self.client,
                "GET",
                f"{self.url}/library/sections/{key}/refresh",
                self.timeout,
                self.headers,
                params={"path": path},
            )
            refreshed += 1
        if not refreshed:
            raise NotifyFailed(
                f"no Plex library holds {', '.join(outside)}: check the path mapping"
            )
        summary = f"{_folders(refreshed)} refreshed"
        return summary + (f"; in no Plex library: {', '.join(outside)}" if outside else "")

    async def _sections(self) -> list[tuple[str, list[str]]]:
        response = await _request(
            self.client, "GET", f"{self.url}/library/sections", self.timeout, self.headers
        )
        try:
            root = ElementTree.fromstring(response.content)
        except Exception as exc:  # defusedxml raises its own errors for hostile XML
            raise NotifyFailed(f"Plex answered /library/sections with no XML ({exc})") from None
        return [
            (directory.get("key", ""), [loc.get("path", "") for loc in directory.iter("Location")])
            for directory in root.iter("Directory")
            if directory.get("key")
        ]


def _section_for(path: str, sections: list[tuple[str, list[str]]]) -> str | None:
    """The section whose location holds `path` (the deepest location when several do)."""
    best, depth = None, -1
    for key, locations in sections:
        for location in locations:
            sep = "\\" if "\\" in location else "/"
            base = location.rstrip(sep)
            if (path == base or path.startswith(base + sep)) and len(base) > depth:
                best, depth = key, len(base)
    return best


class CommandTarget:
    """A program of the user's, run with the changed paths as its last arguments."""

    def __init__(self, name: str, command: str, paths: PathMap, timeout: float) -> None:
        self.name = name
        self.argv = shlex.split(command, posix=os.name != "nt")
        self.paths = paths
        self.timeout = timeout

    async def send(self, changes: Sequence[Change]) -> str:
        paths = [p for p in (self.paths.apply(c.path) for c in changes) if p is not None]
        if not paths:
            return "no changed folder is under the mapped share path"
        # subprocess.run in a worker: it kills the command at the timeout, on every
        # platform and on any event loop (qasync's has no subprocess support)
        finished = await asyncio.to_thread(self._run, [*self.argv, *paths])
        if finished.returncode != 0:
            tail = finished.stderr.decode(errors="replace").strip()[-ERROR_TAIL:]
            raise NotifyFailed(
                f"{self.argv[0]} exited with status {finished.returncode}"
                + (f": {tail}" if tail else "")
            )
        return f"{_folders(len(paths))} passed to {os.path.basename(self.argv[0])}"

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            raise NotifyFailed(f"{argv[0]} did not finish within {self.timeout:g} s") from None
        except OSError as exc:
            raise NotifyFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


async def _request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    timeout: float,
    headers: dict[str, str],
    **kwargs,
) -> httpx.Response:
    try:
        response = await client.request(method, url, headers=headers, timeout=timeout, **kwargs)
    except httpx.TimeoutException:
        raise NotifyFailed(f"{url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise NotifyFailed(f"cannot reach {url}: {exc or type(exc).__name__}") from None
    if response.status_code in (401, 403):
        raise NotifyFailed(f"the server refused the token (HTTP {response.status_code})")
    if response.status_code >= 300:
        tail = response.text.strip()[:ERROR_TAIL]
        raise NotifyFailed(
            f"HTTP {response.status_code} from {url}" + (f": {tail}" if tail else "")
        )
    return response


def _folders(count: int) -> str:
    return f"{count} folder" + ("" if count == 1 else "s")
