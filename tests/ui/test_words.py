"""How the window words counts and sizes: plurals, and one binary unit convention."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.torrents.status import TorrentFile, TorrentInfo
from app.torrents.torrent import choking, peers_and_seeds
from ui.dialogs.movie_file_dialog import MovieFileDialog
from ui.widgets import human_rate, human_size, plural


def test_plural_says_one_file_and_two_files():
    assert plural(1, "file") == "1 file"
    assert plural(2, "file") == "2 files"
    assert plural(0, "file") == "0 files"
    assert plural(2, "match", "matches") == "2 matches"


def test_why_a_player_waits_counts_peers_and_seeds_in_words():
    assert peers_and_seeds(1, 1) == "1 peer (1 seed)"
    assert peers_and_seeds(2, 1) == "2 peers (1 seed)"
    assert peers_and_seeds(3, 0) == "3 peers (0 seeds)"
    assert choking(1) == "the connected peer chokes us"
    assert choking(4) == "all 4 connected peers choke us"


def test_sizes_and_rates_use_binary_units_like_the_settings():
    assert human_size(1536) == "1.5 KiB"
    assert human_size(5 * 1024 * 1024) == "5.0 MiB"
    assert human_size(3 * 1024**3) == "3.0 GiB"
    assert human_rate(2 * 1024 * 1024) == "2.0 MiB/s"


def test_a_single_file_torrent_says_one_file(qapp):
    info = TorrentInfo(
        "a" * 40, "Heat", 2 * 1024**3, 1 << 20, 2048, (TorrentFile(0, "Heat.mkv", 2 * 1024**3, 0),)
    )
    dialog = MovieFileDialog("Heat", info)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("· 1 file" in text and "1 files" not in text for text in texts)
    assert any("2.0 GiB" in text for text in texts)
