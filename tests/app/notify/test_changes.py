"""Which share folders changed between two trees: created, modified, deleted."""

from __future__ import annotations

from app.notify.changes import CREATED, DELETED, MODIFIED, Change, changed_folders
from app.share.tree import FileSpec, ShareTree

HEAT = "Movies/Heat (1995)/Heat (1995).mkv"
S1E1 = "TV Shows/Severance (2022)/Season 01/Severance (2022) - S01E01 - Good News.mkv"
S1E2 = "TV Shows/Severance (2022)/Season 01/Severance (2022) - S01E02 - Half Loop.mkv"
S2E1 = "TV Shows/Severance (2022)/Season 02/Severance (2022) - S02E01 - Hello.mkv"


def tree(*paths: str, size: int = 100) -> ShareTree:
    return ShareTree.from_files(
        FileSpec(path, size, 0.0, "a" * 40, n, n) for n, path in enumerate(paths, 1)
    )


def test_the_same_files_change_nothing():
    assert changed_folders(tree(HEAT, S1E1), tree(HEAT, S1E1)) == []


def test_a_new_item_is_its_folder_created_and_a_removed_one_its_folder_deleted():
    assert changed_folders(tree(S1E1), tree(S1E1, HEAT)) == [Change("/Movies/Heat (1995)", CREATED)]
    assert changed_folders(tree(S1E1, HEAT), tree(S1E1)) == [Change("/Movies/Heat (1995)", DELETED)]
    # a whole new show is one folder, not each of its seasons
    assert changed_folders(tree(HEAT), tree(HEAT, S1E1, S2E1)) == [
        Change("/TV Shows/Severance (2022)", CREATED)
    ]


def test_a_new_episode_modifies_its_season_and_a_new_season_is_created():
    assert changed_folders(tree(S1E1), tree(S1E1, S1E2, S2E1)) == [
        Change("/TV Shows/Severance (2022)/Season 01", MODIFIED),
        Change("/TV Shows/Severance (2022)/Season 02", CREATED),
    ]


def test_a_replaced_source_modifies_the_folder_and_a_renamed_item_moves():
    assert changed_folders(tree(HEAT, size=100), tree(HEAT, size=200)) == [
        Change("/Movies/Heat (1995)", MODIFIED)
    ]
    renamed = "Movies/Heat (1996)/Heat (1996).mkv"
    assert changed_folders(tree(HEAT), tree(renamed)) == [
        Change("/Movies/Heat (1995)", DELETED),
        Change("/Movies/Heat (1996)", CREATED),
    ]
