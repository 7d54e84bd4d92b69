"""Reading many release names at once in a helper process, so a scan never starves the window.

guessit is pure Python (~10 ms a name). Parsed on a worker thread it still holds the GIL, and
the Qt thread needs the GIL for every call from C++ into Python (each event, each virtual of
a widget made in Python), waiting up to the switch interval each time: a 500-file scan froze
the window for over a second. A process has its own GIL. Small batches (a file or two after
a change) are parsed in place, where starting the helper would cost more than it saves; a
helper that cannot start or dies falls back to parsing in place, so a scan never fails for it.

The helper is one spawned process (never forked: the parent runs Qt and libtorrent threads),
started at the first large batch and kept for the next ones; it ends with the app.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from app.sync.folder_match import Release, guess_release

logger = logging.getLogger(__name__)

# Fewer names than this are parsed in place (~0.2 s): the helper's start costs about a second.
IN_PLACE = 20

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def releases(names: Sequence[str]) -> list[Release | None]:
    """guess_release() of each name, in order; from the calling (worker) thread."""
    if len(names) < IN_PLACE:
        return parse(names)
    try:
        return _helper().submit(parse, list(names)).result()
    except Exception as exc:  # no helper here (a sandbox, a broken pool): parse in place
        logger.warning(
            "Parsing %d names in a helper process failed (%s); parsing here", len(names), exc
        )
        _shutdown()
        return parse(names)


def parse(names: Sequence[str]) -> list[Release | None]:
    """The parse itself (in the helper, or in place)."""
    return [guess_release(name) for name in names]


def _helper() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _shutdown() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


atexit.register(_shutdown)
