"""The share tree from a real library: names, collisions, stability, atomic rebuilds."""

from __future__ import annotations

from app.library.db import close_database, open_database
from app.library.records import EpisodeData
from app.library.repository import Library
from app.share.tree import FileNode, FileSpec, FolderNode, ShareTree, build_tree

HASH_A = "a" * 40
HASH_B = "b" * 40
HASH_C = "c" * 40


def assign(
    library, kind, item_id, info_hash=HASH_A, index=0, path="Movie.2020.1080p.mkv", size=1000
):
    return library.assign(
        kind,
        item_id,
        info_hash=info_hash,
        file_index=index,
        file_path=path,
        file_size=size,
        magnet_uri=f"magnet:?xt=urn:btih:{info_hash}",
    )


def all_paths(tree: ShareTree) -> set[str]:
    return {f.path for f in tree.files()}


def test_only_items_with_an_active_assignment_appear(library):
    heat = library.add_movie("Heat", 1995)
    library.add_movie("Alien", 1979)  # no assignment: not on the share
    assign(library, "movie", heat.id, path="Heat.1995.1080p.BluRay.x264/heat.MKV", size=12345)
    tree = build_tree(library.active_entries())
    assert all_paths(tree) == {"/Movies/Heat (1995)/Heat (1995).mkv"}
    node = tree.lookup("/Movies/Heat (1995)/Heat (1995).mkv")
    assert isinstance(node, FileNode)
    assert node.size == 12345
    assert node.content_type == "video/x-matroska"
    assert isinstance(tree.lookup("/TV Shows"), FolderNode)  # both top folders always exist
    assert tree.lookup("/Movies/Alien (1979)") is None


def test_episode_names_and_multi_episode_files(library):
    show = library.add_show(
        "Dark",
        2017,
        seasons={
            1: [
                EpisodeData(1, "Secrets"),
                EpisodeData(2, "Lies"),
                EpisodeData(3, "Past and Present"),
            ]
        },
    )
    season = library.seasons(show.id)[0]
    e1, e2, e3 = library.episodes(season.id)
    assign(library, "episode", e1.id, HASH_B, 0, "Dark.S01E01E02.mkv", 500)
    assign(library, "episode", e2.id, HASH_B, 0, "Dark.S01E01E02.mkv", 500)
    assign(library, "episode", e3.id, HASH_B, 1, "Dark.S01E03.mp4", 300)
    tree = build_tree(library.active_entries())
    assert all_paths(tree) == {
        "/TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E01-E02 - Secrets.mkv",
        "/TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E03 - Past and Present.mp4",
    }


def test_name_collisions_stay_distinct_and_stable(library):
    # two titles that clean to the same name ("?" cannot be in a file name)
    first = library.add_movie("Heat", 1995, tmdb_id=949)
    second = library.add_movie("Heat?", 1995, tmdb_id=1)
    assign(library, "movie", second.id, HASH_B, 0, "b.mkv")
    assign(library, "movie", first.id, HASH_A, 0, "a.avi")
    tree = build_tree(library.active_entries())
    assert all_paths(tree) == {
        "/Movies/Heat (1995)/Heat (1995).avi",
        f"/Movies/Heat (1995) [#{second.id}]/Heat (1995) [#{second.id}].mkv",
    }
    # the same on every rebuild, whatever order the database returns rows in
    assert all_paths(build_tree(reversed(library.active_entries()))) == all_paths(tree)
    # shows too
    one = library.add_show("The Office", seasons={1: 1})
    two = library.add_show("The Office*", seasons={1: 1})
    for show, info_hash in ((one, HASH_A), (two, HASH_C)):
        episode = library.episodes(library.seasons(show.id)[0].id)[0]
        assign(library, "episode", episode.id, info_hash, 5, "x.S01E01.mkv")
    shows = {
        p.split("/")[2]
        for p in all_paths(build_tree(library.active_entries()))
        if p.startswith("/TV Shows/")
    }
    assert shows == {"The Office", f"The Office [#{two.id}]"}


def test_dates_and_etags_are_stable_across_restarts(library, paths):
    movie = library.add_movie("Heat", 1995)
    assign(library, "movie", movie.id)
    before = build_tree(library.active_entries()).lookup("/Movies/Heat (1995)/Heat (1995).mkv")
    close_database(library.db)
    reopened = Library(open_database(paths.database_file))
    after = build_tree(reopened.active_entries()).lookup("/Movies/Heat (1995)/Heat (1995).mkv")
    assert (after.mtime, after.etag) == (before.mtime, before.etag)
    assert before.mtime > 1_700_000_000
    # another torrent for the same movie is another entity: another ETag
    assign(reopened, "movie", movie.id, HASH_B)
    again = build_tree(reopened.active_entries()).lookup("/Movies/Heat (1995)/Heat (1995).mkv")
    assert again.etag != before.etag


def test_from_files_skips_conflicts_and_normalises_unicode():
    nfd = "Ame\u0301lie"
    tree = ShareTree.from_files(
        [
            FileSpec(f"Movies/{nfd}/{nfd}.mkv", 1, 5.0, HASH_A, 0, 1),
            FileSpec("Movies/Amélie/Amélie.mkv", 2, 6.0, HASH_A, 1, 2),  # same name once NFC
            FileSpec("Movies/Amélie/Amélie.mkv/inside.mkv", 3, 7.0, HASH_A, 2, 3),  # through a file
        ]
    )
    assert tree.file_count == 1
    assert tree.lookup("/Movies/Amélie/Amélie.mkv").size == 1
    assert tree.lookup(f"/Movies/{nfd}/{nfd}.mkv").size == 1
    assert tree.root.mtime == 5.0
