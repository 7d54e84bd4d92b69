"""Kodi .nfo content: multi-episode files, text XML cannot hold, ids without TMDB."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.library.records import EpisodeData
from app.share.artwork import Artwork
from app.share.tree import build_tree


def test_a_multi_episode_file_lists_each_episode(library, paths, tmp_path):
    show = library.add_show(
        "Dark", 2017, seasons={1: [EpisodeData(3, "Past"), EpisodeData(4, "Double Lives")]}
    )
    both = tmp_path / "Dark.S01E03E04.mkv"
    both.write_bytes(b"x" * 100)
    for number in (3, 4):
        episode = library.find_episode(show.id, 1, number)
        library.assign_local("episode", episode.id, str(both), size=100)

    tree = build_tree(library.active_entries(), artwork=Artwork(paths.poster_cache_dir))
    node = tree.lookup("/TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E03-E04 - Past.nfo")
    # Kodi's form for a file holding several episodes: one element each, one after the other
    declaration, body = node.data.split(b"?>\n", 1)
    assert declaration.startswith(b"<?xml")
    root = ET.fromstring(b"<all>" + body + b"</all>")
    assert [(e.findtext("episode"), e.findtext("title")) for e in root] == [
        ("3", "Past"),
        ("4", "Double Lives"),
    ]
    assert node.size == len(node.data)


def test_text_xml_cannot_hold_is_dropped_and_imdb_alone_is_the_default(library, paths, tmp_path):
    movie = library.add_movie("Heat", 1995, imdb_id="tt0113277")
    library.update_movie(movie.id, overview="Cops\x07 & robbers <LA>")
    path = tmp_path / "heat.mkv"
    path.write_bytes(b"x" * 10)
    library.assign_local("movie", movie.id, str(path), size=10)

    tree = build_tree(library.active_entries(), artwork=Artwork(paths.poster_cache_dir))
    root = ET.fromstring(tree.lookup("/Movies/Heat (1995)/Heat (1995).nfo").data)
    assert root.findtext("plot") == "Cops & robbers <LA>"
    assert [(u.get("type"), u.text, u.get("default")) for u in root.findall("uniqueid")] == [
        ("imdb", "tt0113277", "true")
    ]
