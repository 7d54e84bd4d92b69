"""The share's current tree: rebuilt off the writer's thread when the library changes.

Library listeners run on the writer's thread, which can be the Qt main thread (SyncManager
records each finished sync run on the app's loop) or a cheroot worker answering the API: a
rebuild there (a query and ~0.2 s of Python for 10,000 items) would freeze the window or hold
up the request on every write. So a change only bumps a version number and wakes a
short-lived builder thread; writes never wait. Readers ask for `current`, which waits
(briefly, at most READ_WAIT) for a rebuild that is due, so a client that assigned an item and
then lists the share always sees it; that wait is why the window reads it in a worker thread,
never on the Qt thread. Each request keeps the one snapshot it got: trees are immutable and
swapped whole.

Tree listeners (add_listener: the media-server notifier, app/notify/) hear each new tree as
it is swapped in, in order, on the thread that built it and under the tree's lock: they must
only queue it and return.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence

from app.share.artwork import Artwork
from app.share.tree import EntryLike, ShareTree, build_tree

logger = logging.getLogger(__name__)

# A reader waits at most this long for a due rebuild, then serves the previous snapshot.
READ_WAIT = 10.0


class LiveTree:
    def __init__(
        self,
        entries: Callable[[], Iterable[EntryLike]],
        files_of: Callable[[str], Sequence | None] | None = None,
        artwork: Artwork | None = None,
    ) -> None:
        self._entries = entries
        self._files_of = files_of
        self._artwork = artwork  # given: .nfo files and artwork beside the videos
        self._cond = threading.Condition()
        self._wanted = 0  # bumped by every change
        self._built = 0  # the change the current tree includes
        self._builder: threading.Thread | None = None
        self._listeners: list[Callable[[ShareTree], None]] = []
        self._tree = self._build()

    @classmethod
    def for_library(cls, library) -> LiveTree:
        live = cls(library.active_entries)
        library.add_listener(live.changed)
        return live

    @property
    def current(self) -> ShareTree:
        with self._cond:
            wanted = self._wanted
            if self._built < wanted and not self._cond.wait_for(
                lambda: self._built >= wanted, READ_WAIT
            ):
                logger.warning("The share tree is still being rebuilt; serving the previous one")
            return self._tree

    def add_listener(self, listener: Callable[[ShareTree], None]) -> None:
        """Call listener(tree) with the current tree now, then with each new one."""
        with self._cond:
            self._listeners.append(listener)
            self._tell(listener, self._tree)

    def remove_listener(self, listener: Callable[[ShareTree], None]) -> None:
        with self._cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def changed(self) -> None:
        """Note that the library changed; returns at once (the library's listener)."""
        with self._cond:
            self._wanted += 1
            if self._builder is None:
                self._builder = threading.Thread(target=self._run, name="share-tree", daemon=True)
                self._builder.start()

    def rebuild(self) -> None:
        """Build now, on this thread (at start-up, and in tests)."""
        with self._cond:
            wanted = self._wanted
        tree = self._build()
        with self._cond:
            if wanted >= self._built:
                self._swap(tree)
                self._built = wanted
            self._cond.notify_all()

    def _run(self) -> None:
        # Builds until no change is pending, then ends: no thread lingers between writes.
        while True:
            with self._cond:
                if self._built >= self._wanted:
                    self._builder = None
                    return
                wanted = self._wanted
            try:
                tree = self._build()
            except Exception:
                logger.exception("Rebuilding the share tree failed; keeping the previous one")
                tree = None
            with self._cond:
                if tree is not None and wanted >= self._built:
                    self._swap(tree)
                self._built = max(self._built, wanted)
                self._cond.notify_all()

    def _swap(self, tree: ShareTree) -> None:
        # under self._cond: listeners hear the trees in the order they are served
        self._tree = tree
        for listener in self._listeners:
            self._tell(listener, tree)

    @staticmethod
    def _tell(listener: Callable[[ShareTree], None], tree: ShareTree) -> None:
        try:
            listener(tree)
        except Exception:
            logger.exception("A share tree listener failed")

    def _build(self) -> ShareTree:
        tree = build_tree(self._entries(), self._files_of, self._artwork)
        logger.debug("Share tree rebuilt: %d files", tree.file_count)
        return tree
