"""Fixtures for torrent tests: loopback settings, services that always stop, seeders.

The share's tests can reuse them with `from tests.app.torrents.conftest import ...` or by
building a `tests.support.swarm.Seeder` directly.
"""

from __future__ import annotations

import shutil

import pytest

from app.settings import TorrentSettings
from app.torrents.service import TorrentService
from tests.support.peers import SEEDERS, ThirdPartySeeder, Tracker
from tests.support.swarm import KiB, Seeder


def loopback_torrent_settings(**overrides) -> TorrentSettings:
    """Settings for a service on 127.0.0.1 with short timeouts so regressions fail fast."""
    values = dict(
        listen_port=0,
        dht=False,
        lsd=False,
        upnp=False,
        natpmp=False,
        add_timeout=20.0,
        read_timeout=20.0,
        readahead_mib=4,
        stall_timeout=5,
    )
    values.update(overrides)
    return TorrentSettings(**values)


@pytest.fixture
def torrent_settings() -> TorrentSettings:
    return loopback_torrent_settings()


@pytest.fixture
def make_service(paths):
    """make_service(settings=None, paths=None) -> a started TorrentService, stopped at the end."""
    started = []

    def factory(settings: TorrentSettings | None = None, at=None) -> TorrentService:
        service = TorrentService(
            settings or loopback_torrent_settings(), at or paths, listen_interface="127.0.0.1"
        )
        service.start()
        started.append(service)
        return service

    yield factory
    for service in reversed(started):
        service.stop()


@pytest.fixture
def service(make_service) -> TorrentService:
    return make_service()


@pytest.fixture
def make_seeder(tmp_path):
    """make_seeder(files, **Seeder options) -> a started Seeder, stopped at the end."""
    started = []

    def factory(files: dict[str, int], **options) -> Seeder:
        options.setdefault("piece_length", 256 * KiB)
        seeder = Seeder(tmp_path / f"seeder{len(started)}", files, **options).start()
        started.append(seeder)
        return seeder

    yield factory
    for seeder in started:
        seeder.stop()


def need(program: str) -> None:
    """Skip, with the reason, when a third-party program a test drives is not installed."""
    if program and shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (.ci/run installs it)")


@pytest.fixture
def tracker(tmp_path):
    """A real HTTP tracker (opentracker) on 127.0.0.1."""
    need("opentracker")
    with Tracker(tmp_path / "tracker") as running:
        yield running


@pytest.fixture
def make_peer(tmp_path):
    """make_peer(kind, files, **options) -> a started third-party seeder, stopped at the end.

    kind is "aria2", "transmission" or "libtorrent" (stock settings); see tests/support/peers.py.
    """
    started = []

    def factory(kind: str, files: dict[str, int], **options) -> ThirdPartySeeder:
        cls = next(c for c in SEEDERS if c.kind == kind)
        need(cls.program)
        options.setdefault("piece_length", 512 * KiB)
        seeder = cls(tmp_path / f"{kind}{len(started)}", files, **options)
        started.append(seeder)
        return seeder.start()

    yield factory
    for seeder in started:
        seeder.stop()
