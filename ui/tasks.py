"""Running coroutines from Qt slots, and awaiting dialogs without nesting the event loop.

Slots are plain functions; `spawn()` turns a coroutine into a task the app keeps a reference
to (asyncio holds tasks weakly) and logs its failure instead of losing it. `run_dialog()`
opens a dialog with `open()` and awaits `finished`: `QDialog.exec()` inside a coroutine would
nest the loop and stall every running task (docs/ARCHITECTURE.md, "Threads and the doors
between them").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtWidgets import QDialog

logger = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any] | None:
    """Start a coroutine on the running loop; errors are logged, the task is kept alive.

    Returns None when no loop runs any more: a queued Qt signal (a torrent status, say) can
    still be delivered while the app stops after its loop has ended."""
    try:
        task = asyncio.get_running_loop().create_task(coro)
    except RuntimeError:
        coro.close()
        logger.debug("Not started, the event loop has stopped: %s", name or coro)
        return None
    if name:
        task.set_name(name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("Background task %s failed", task.get_name(), exc_info=task.exception())


async def cancel_all() -> None:
    """Cancel every spawned task and wait for them (at shutdown)."""
    tasks = [task for task in _running if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_dialog(dialog: QDialog) -> int:
    """Show a dialog window-modally and wait for its result code without blocking the loop."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    except asyncio.CancelledError:
        dialog.reject()  # the app is quitting: do not leave the dialog behind
        raise
    finally:
        dialog.finished.disconnect(done)
