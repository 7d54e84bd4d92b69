"""The third-party peers of tests/support/peers.py really seed, to a plain libtorrent downloader.

Each seeder kind is downloaded from twice: found through the tracker alone (magnet without a
peer hint) and found through x.pe alone (no tracker). The downloaded bytes must equal the
seeded ones. Tests skip when the program a peer needs is not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import libtorrent as lt
import pytest

from tests.support.peers import (
    SEEDERS,
    Aria2Seeder,
    ThirdPartySeeder,
    Tracker,
    accepts,
)
from tests.support.swarm import KiB, MiB, loopback_settings, wait_until

FILES = {"Clip/clip.bin": 4 * MiB}
PIECE = 256 * KiB


def _need(program: str) -> None:
    if program and shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (apt-get install it to run this test)")


@pytest.fixture
def tracker(tmp_path: Path):
    _need("opentracker")
    with Tracker(tmp_path) as running:
        yield running


def _download(where: Path, magnet: str, name: str, timeout: float = 30) -> bytes:
    """Fetch a magnet with a plain loopback libtorrent session and return the file's bytes."""
    # no default plugins, so no PEX; ut_metadata is needed to get the info dict from the peer
    session = lt.session(loopback_settings(), 0)
    session.add_extension("ut_metadata")
    params = lt.parse_magnet_uri(magnet)
    params.save_path = str(where)
    handle = session.add_torrent(params)
    try:
        done = wait_until(lambda: handle.status().is_seeding, timeout=timeout, interval=0.1)
        status = handle.status()
        assert done, (
            f"download stalled: state={status.state} progress={status.progress:.2f} "
            f"peers={status.num_peers} tracker={handle.trackers()}"
        )
        # libtorrent 2.1 reports pieces as had before their bytes reach the file (a busy
        # machine read zeros here): release the files, which waits for every pending write
        handle.flush_cache()
        assert wait_until(lambda: _flushed(session), timeout=timeout), "files never released"
        return (where / name).read_bytes()
    finally:
        session.pause()


def _flushed(session: lt.session) -> bool:
    session.wait_for_alert(100)
    return any(isinstance(alert, lt.cache_flushed_alert) for alert in session.pop_alerts())


@pytest.mark.parametrize("kind", SEEDERS, ids=lambda kind: kind.kind)
def test_download_through_tracker_only(
    tmp_path: Path, tracker: Tracker, kind: type[ThirdPartySeeder]
) -> None:
    _need(kind.program)
    with kind(tmp_path / "peer", FILES, piece_length=PIECE, tracker=tracker) as seeder:
        assert "x.pe" not in seeder.magnet
        assert ("127.0.0.1", seeder.port) in (tracker.peers(seeder.info_hash) or set())
        got = _download(tmp_path / "down", seeder.magnet, "Clip/clip.bin")
        assert got == seeder.data("Clip/clip.bin")


@pytest.mark.parametrize("kind", SEEDERS, ids=lambda kind: kind.kind)
def test_download_through_peer_hint_only(tmp_path: Path, kind: type[ThirdPartySeeder]) -> None:
    _need(kind.program)
    with kind(tmp_path / "peer", FILES, piece_length=PIECE) as seeder:
        assert "tr=" not in seeder.magnet_with_peer
        assert seeder.magnet_with_peer.endswith(f"&x.pe=127.0.0.1:{seeder.port}")
        got = _download(tmp_path / "down", seeder.magnet_with_peer, "Clip/clip.bin")
        assert got == seeder.data("Clip/clip.bin")


def test_stop_and_start_come_back_on_the_same_port(tmp_path: Path) -> None:
    # one kind is enough: the lifecycle lives in the shared base (aria2 restarts fastest)
    _need(Aria2Seeder.program)
    seeder = Aria2Seeder(tmp_path / "peer", FILES, piece_length=PIECE)
    with seeder:
        port = seeder.port
        assert accepts(port)
        seeder.stop()
        assert not accepts(port)
        seeder.start()
        assert seeder.port == port and accepts(port)
        got = _download(tmp_path / "down", seeder.magnet_with_peer, "Clip/clip.bin")
        assert got == seeder.data("Clip/clip.bin")
    assert not accepts(port)


def test_tracker_refuses_unknown_hashes_until_allowed(tracker: Tracker) -> None:
    info_hash = "ab" * 20
    assert tracker.peers(info_hash) is None
    tracker.allow(info_hash)
    assert tracker.peers(info_hash) == set()
