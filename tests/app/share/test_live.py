"""The live share tree: rebuilt off the writer's thread, always current for readers."""

from __future__ import annotations

import threading
import time

from app.share.live import LiveTree
from tests.app.share.test_tree import assign


def test_live_tree_follows_library_changes(library):
    live = LiveTree.for_library(library)
    assert live.current.file_count == 0
    movie = library.add_movie("Heat", 1995)
    old = live.current
    assignment = assign(library, "movie", movie.id)
    assert live.current is not old  # swapped, not edited
    assert old.file_count == 0
    assert live.current.path_of(assignment.id) == "/Movies/Heat (1995)/Heat (1995).mkv"
    library.deactivate(assignment.id)
    assert live.current.file_count == 0


def test_lookups_during_rebuilds_always_see_a_whole_snapshot(library):
    live = LiveTree.for_library(library)
    movies = [library.add_movie(f"Film {i}", 2000 + i) for i in range(20)]
    stop = threading.Event()
    seen = []

    def reader():
        while not stop.is_set():
            tree = live.current
            seen.append(tree.file_count == len(list(tree.files())))

    thread = threading.Thread(target=reader)
    thread.start()
    for i, movie in enumerate(movies):
        assign(library, "movie", movie.id, f"{i:040x}")
    stop.set()
    thread.join()
    assert seen and all(seen)
    assert live.current.file_count == 20


def test_a_slow_rebuild_never_holds_up_the_writer(library):
    real = library.active_entries
    calls = []
    release, rebuilt = threading.Event(), threading.Event()

    def slow_entries():
        calls.append(threading.current_thread().name)
        if threading.current_thread().name == "share-tree":
            release.wait(30)  # a rebuild that takes as long as the test wants
            rebuilt.set()
        return real()

    live = LiveTree(slow_entries)
    library.add_listener(live.changed)
    movie = library.add_movie("Heat", 1995)
    assignment = assign(library, "movie", movie.id)
    assert not rebuilt.is_set()  # the write returned while its rebuild was still held
    release.set()
    # a reader asking now waits for the due rebuild and sees the new item
    assert live.current.path_of(assignment.id) == "/Movies/Heat (1995)/Heat (1995).mkv"
    assert calls[0] == "MainThread" and set(calls[1:]) == {"share-tree"}
    assert wait_gone()  # the builder ends once nothing is pending


def wait_gone(timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "share-tree" not in {t.name for t in threading.enumerate()}:
            return True
        time.sleep(0.02)
    return False


def test_a_failing_rebuild_keeps_the_previous_tree(library):
    state = {"fail": False}

    def entries():
        if state["fail"]:
            raise RuntimeError("database is gone")
        return library.active_entries()

    movie = library.add_movie("Heat", 1995)
    assign(library, "movie", movie.id)
    live = LiveTree(entries)
    assert live.current.file_count == 1
    state["fail"] = True
    live.changed()
    assert live.current.file_count == 1  # the previous snapshot, and no reader hangs


def test_tree_listeners_hear_the_current_tree_then_each_new_one_in_order(library):
    live = LiveTree(library.active_entries)
    heard = []
    live.add_listener(heard.append)
    assert heard == [live.current]  # where the listener starts from
    movie = library.add_movie("Heat", 1995)
    library.add_listener(live.changed)
    assign(library, "movie", movie.id)
    newest = live.current  # waits for the rebuild
    assert heard[-1] is newest and newest.file_count == 1
    assert [tree.file_count for tree in heard] == sorted(tree.file_count for tree in heard)
    live.remove_listener(heard.append)
    count = len(heard)
    live.rebuild()
    assert len(heard) == count
