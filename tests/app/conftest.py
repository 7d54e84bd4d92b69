"""Fixtures for the core's tests: a real library file and a loopback torrent session."""

from __future__ import annotations

import pytest

from app.library.db import close_database, open_database
from app.library.repository import Library
from app.torrents.service import TorrentService
from tests.app.torrents.conftest import loopback_torrent_settings


@pytest.fixture
def library(paths):
    db = open_database(paths.database_file)
    yield Library(db)
    close_database(db)


@pytest.fixture
def torrents(paths):
    """A started TorrentService on 127.0.0.1 with DHT, LSD, UPnP and NAT-PMP off."""
    service = TorrentService(loopback_torrent_settings(), paths, listen_interface="127.0.0.1")
    service.start()
    yield service
    service.stop()
