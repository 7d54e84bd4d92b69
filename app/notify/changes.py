"""Which share folders changed between two trees: what a media server should rescan.

A folder that appears is "Created" and one that goes is "Deleted" (its contents are not
listed: the server rescans or drops it whole); a folder whose own files were added, removed
or changed (a new source, a renamed episode, a new subtitle) is "Modified". A renamed item
is its old folder deleted and its new one created. Trees are immutable (app/share/tree.py),
so comparing them is safe on any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.share.tree import FolderNode, ShareTree

CREATED, MODIFIED, DELETED = "Created", "Modified", "Deleted"


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # a share folder, "/Movies/Heat (1995)"
    kind: str  # CREATED, MODIFIED or DELETED (Jellyfin's and Emby's UpdateType words)


def changed_folders(old: ShareTree, new: ShareTree) -> list[Change]:
    """The folders that differ, sorted by path."""
    found: list[Change] = []
    _compare(old.root, new.root, found)
    return sorted(found, key=lambda c: c.path)


def _compare(old: FolderNode, new: FolderNode, found: list[Change]) -> None:
    files_changed = False
    for name, before in old.children.items():
        after = new.children.get(name)
        if isinstance(before, FolderNode):
            if isinstance(after, FolderNode):
                _compare(before, after, found)
            else:
                found.append(Change(before.path, DELETED))
                files_changed = files_changed or after is not None
        elif before != after:  # a file gone, changed, or become a folder
            files_changed = True
            if isinstance(after, FolderNode):
                found.append(Change(after.path, CREATED))
    for name, after in new.children.items():
        if name in old.children:
            continue
        if isinstance(after, FolderNode):
            found.append(Change(after.path, CREATED))
        else:
            files_changed = True
    if files_changed:
        found.append(Change(new.path, MODIFIED))


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"
