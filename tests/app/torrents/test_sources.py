"""Source parsing: magnets, bare hashes, .torrent bytes and files, with clear errors."""

from __future__ import annotations

import pytest

from app.torrents.errors import InvalidTorrent
from app.torrents.sources import normalize_hash, parse_source, to_params
from tests.support.swarm import MiB, Seeder


def test_every_kind_of_source_gives_the_same_hash(tmp_path):
    seeder = Seeder(tmp_path, {"Show/a.mkv": MiB, "Show/b.mkv": 10}, port=46999)  # not started
    path = tmp_path / "show.torrent"
    path.write_bytes(seeder.torrent_bytes)
    for source in (
        seeder.magnet,
        seeder.torrent_bytes,
        str(path),
        seeder.info_hash.upper(),
        f"  {seeder.magnet}  ",
    ):
        assert parse_source(source) == seeder.info_hash
    _, params = to_params(seeder.magnet)
    assert params.peers == [("127.0.0.1", 46999)]  # x.pe became a peer to connect to


def test_normalize_hash():
    assert normalize_hash(" " + "AB" * 20 + " ") == "ab" * 20
    for bad in ("ab" * 19, "zz" * 20, ""):
        with pytest.raises(InvalidTorrent):
            normalize_hash(bad)


def test_messages_name_the_problem():
    with pytest.raises(InvalidTorrent, match="magnet link cannot be read"):
        parse_source("magnet:?xt=urn:btih:12345")
    with pytest.raises(InvalidTorrent, match="damaged"):
        parse_source(b"d8:announce3:urle")
    with pytest.raises(InvalidTorrent, match="not a magnet link"):
        parse_source("x" * 300)
