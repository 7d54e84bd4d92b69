"""Error types: one base class, and the standard exceptions callers already catch."""

from __future__ import annotations

from app.torrents.errors import (
    InvalidTorrent,
    MetadataTimeout,
    ReadTimeout,
    TorrentError,
    TorrentNotFound,
)


def test_hierarchy_and_messages():
    for kind in (InvalidTorrent, MetadataTimeout, ReadTimeout, TorrentNotFound):
        assert issubclass(kind, TorrentError)
    assert issubclass(ReadTimeout, OSError)  # wsgidav ends the response instead of a 500 loop
    assert issubclass(InvalidTorrent, ValueError) and issubclass(MetadataTimeout, TimeoutError)
    assert str(TorrentNotFound("torrent x is not in the list")) == "torrent x is not in the list"
