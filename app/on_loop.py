"""The one door from other threads onto the app's asyncio loop (qasync's, the Qt thread).

The sync scheduler, the TMDB client and their timers belong to that loop. Code that may run
on a share worker or an asyncio.to_thread() worker reaches them through these two functions:
on the loop's own thread they act at once, elsewhere they queue the work with
call_soon_threadsafe / run_coroutine_threadsafe and wait for its result, which comes back
(errors too) to the caller. A loop that is not running has no other thread touching its
objects, so work for it runs directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LoopNotAnswering(RuntimeError):
    """The loop did not run the work in time (it is blocked or stopping)."""


def on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    """True on the thread that runs `loop` (qasync sets it as running for all Qt slots)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def call_on_loop(
    loop: asyncio.AbstractEventLoop | None,
    fn: Callable[..., T],
    *args: Any,
    timeout: float = 30.0,
) -> T:
    """fn(*args) on `loop`'s thread, from any thread; returns its result or raises its error."""
    if loop is None or loop.is_closed() or not loop.is_running() or on_loop_thread(loop):
        return fn(*args)
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def call() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    loop.call_soon_threadsafe(call)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise LoopNotAnswering(f"the app's event loop did not run {fn!r} in time") from None


def run_on_loop(
    loop: asyncio.AbstractEventLoop | None,
    coro: Coroutine[Any, Any, T],
    timeout: float | None = 30.0,
    *,
    cancel_on_timeout: bool = False,
) -> T:
    """Run a coroutine on `loop` from another thread and wait for it (TimeoutError after
    `timeout`; the coroutine goes on unless `cancel_on_timeout`). Never call it on the
    loop's own thread."""
    if loop is None or loop.is_closed() or not loop.is_running():
        coro.close()
        raise RuntimeError("the app's event loop is not running")
    if on_loop_thread(loop):
        coro.close()
        raise RuntimeError("run_on_loop() would block the loop it waits for")
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        if cancel_on_timeout:
            future.cancel()
        raise
