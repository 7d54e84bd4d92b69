"""Every way a torrent arrives (drop, paste, Assign button, second launch) turned into one
source the assigner takes: a magnet link (str) or the bytes of a .torrent file.

Links come as text/uri-list (file:// URLs of .torrent files, http(s) links, magnet links) or
plain text. An http(s) link is downloaded with httpx, with a size limit and a timeout, so a
wrong link costs a clear message, not a hung window or a 4 GB download.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from PySide6.QtCore import QMimeData, QUrl

logger = logging.getLogger(__name__)

MAX_TORRENT_BYTES = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30.0


class LinkError(ValueError):
    """A dropped or pasted thing that is not a usable torrent; the message says why."""


def links_from_mime(mime: QMimeData) -> list[str]:
    """The links in a drop or the clipboard, in order, without duplicates."""
    links: list[str] = []
    if mime.hasUrls():
        for url in mime.urls():
            links.append(url.toLocalFile() if url.isLocalFile() else url.toString())
    if not links and mime.hasText():
        for line in mime.text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):  # text/uri-list comments
                links.append(line)
    return list(dict.fromkeys(links))


def absolute(link: str) -> str:
    """A command-line link as the running copy must see it: file paths made absolute,
    since that copy has its own working directory."""
    if link.lower().startswith(("magnet:", "http://", "https://", "file:")):
        return link
    return str(Path(link).expanduser().absolute())


def describe(link: str) -> str:
    """A link in a few words: a magnet by the release name it carries (dn), if any."""
    if link.lower().startswith("magnet:"):
        name = parse_qs(urlsplit(link).query).get("dn", [""])[0].strip()
        return f"magnet link “{_short(name, 70)}”" if name else "magnet link"
    return _short(link, 80)


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 3] + "…"


async def resolve(link: str, transport: httpx.AsyncBaseTransport | None = None) -> str | bytes:
    """The source for Assigner: the magnet itself, or the .torrent file's bytes."""
    link = link.strip()
    lowered = link.lower()
    if lowered.startswith("magnet:"):
        return link
    if lowered.startswith(("http://", "https://")):
        return await download(link, transport)
    if lowered.startswith("file:"):
        link = QUrl(link).toLocalFile()
    path = Path(link).expanduser()
    if path.suffix.lower() == ".torrent" or path.is_file():
        return await asyncio.to_thread(read_torrent_file, path)
    raise LinkError(f"“{describe(link)}” is not a magnet link, a .torrent file or a link to one.")


def read_torrent_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_TORRENT_BYTES:
            raise LinkError(f"{path.name} is {size // 1_000_000} MB: too big for a .torrent file.")
        return path.read_bytes()
    except FileNotFoundError:
        raise LinkError(f"The file {path} does not exist.") from None
    except OSError as exc:
        raise LinkError(f"Cannot read {path}: {exc.strerror or exc}.") from None


async def download(url: str, transport: httpx.AsyncBaseTransport | None = None) -> bytes:
    """Fetch a .torrent over http(s): redirects followed, at most MAX_TORRENT_BYTES."""
    try:
        async with (
            httpx.AsyncClient(
                transport=transport, timeout=DOWNLOAD_TIMEOUT, follow_redirects=True
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise LinkError(
                    f"The server answered {response.status_code} {response.reason_phrase} for {describe(url)}."
                )
            declared = int(response.headers.get("content-length") or 0)
            if declared > MAX_TORRENT_BYTES:
                raise LinkError(f"{describe(url)} is too big to be a .torrent file.")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_TORRENT_BYTES:
                    raise LinkError(f"{describe(url)} is too big to be a .torrent file.")
            return bytes(data)
    except httpx.TimeoutException:
        raise LinkError(
            f"{describe(url)} did not answer within {DOWNLOAD_TIMEOUT:.0f} seconds."
        ) from None
    except httpx.HTTPError as exc:
        raise LinkError(f"Could not download {describe(url)}: {exc}.") from None
