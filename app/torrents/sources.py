"""Turn what a user gives us (a magnet link or .torrent bytes) into libtorrent add parameters.

Everything is validated here, before the engine sees it, so a bad source fails with a clear
InvalidTorrent and never leaves half a torrent in the session.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import libtorrent as lt

from app.torrents.errors import InvalidTorrent
from app.torrents.status import TorrentFile, TorrentInfo

logger = logging.getLogger(__name__)

_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")


def normalize_hash(info_hash: str) -> str:
    """Lowercase hex of a v1 info hash; InvalidTorrent for anything else."""
    text = str(info_hash).strip()
    if not _HEX40.match(text):
        raise InvalidTorrent(f"{info_hash!r} is not a torrent info hash (40 hex characters)")
    return text.lower()


def hash_of(hashes: lt.info_hash_t) -> str:
    """The v1 hash, or the truncated v2 hash for v2-only torrents (how libtorrent names them)."""
    best = hashes.v1 if hashes.has_v1() else hashes.get_best()
    return str(best).lower()


def to_params(source: str | bytes) -> tuple[str, lt.add_torrent_params]:
    """Parse a magnet link, a bare info hash, .torrent bytes or a path to a .torrent file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_torrent_bytes(bytes(source))
    if not isinstance(source, str):
        raise InvalidTorrent(
            f"expected a magnet link or .torrent data, got {type(source).__name__}"
        )
    text = source.strip()
    if text.lower().startswith("magnet:"):
        return _from_magnet(text)
    if _HEX40.match(text):
        return _from_magnet(f"magnet:?xt=urn:btih:{text.lower()}")
    if text.lower().endswith(".torrent") and Path(text).is_file():
        return _from_torrent_bytes(Path(text).read_bytes())
    shown = text if len(text) <= 80 else text[:77] + "..."
    raise InvalidTorrent(f"{shown!r} is not a magnet link, an info hash or a .torrent file")


def parse_source(source: str | bytes) -> str:
    """The info hash of a source, validating it without adding anything."""
    return to_params(source)[0]


def info_from(ti: lt.torrent_info, info_hash: str) -> TorrentInfo:
    storage = ti.layout()
    files = tuple(
        TorrentFile(
            index=i,
            path=storage.file_path(i).replace("\\", "/"),
            size=storage.file_size(i),
            offset=storage.file_offset(i),
        )
        for i in range(storage.num_files())
        # pad files are libtorrent's alignment filler, never something a user wants to see
        if not storage.file_flags(i) & lt.file_storage.flag_pad_file
    )
    return TorrentInfo(
        info_hash=info_hash,
        name=ti.name(),
        total_size=ti.total_size(),
        piece_length=ti.piece_length(),
        num_pieces=ti.num_pieces(),
        files=files,
    )


def _from_magnet(uri: str) -> tuple[str, lt.add_torrent_params]:
    try:
        params = lt.parse_magnet_uri(uri)
    except RuntimeError as exc:
        raise InvalidTorrent(f"this magnet link cannot be read ({exc})") from None
    hashes = params.info_hashes
    if not (hashes.has_v1() or hashes.has_v2()):
        raise InvalidTorrent("this magnet link has no info hash (xt=urn:btih:...)")
    return hash_of(hashes), params


def _from_torrent_bytes(data: bytes) -> tuple[str, lt.add_torrent_params]:
    if not data:
        raise InvalidTorrent("the .torrent file is empty")
    try:
        ti = lt.torrent_info(lt.bdecode(data)) if data[:1] == b"d" else None
    except Exception as exc:  # libtorrent raises RuntimeError or Boost's ArgumentError
        raise InvalidTorrent(f"the .torrent file is damaged ({exc})") from None
    if ti is None or not ti.is_valid() or ti.num_pieces() == 0:
        raise InvalidTorrent("the .torrent file is damaged (not a bencoded torrent)")
    params = lt.add_torrent_params()
    params.ti = ti
    return hash_of(ti.info_hashes()), params
