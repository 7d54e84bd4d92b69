"""app/on_loop.py: work from other threads runs on the loop's thread, results and errors
come back, and a loop that cannot answer is a clear error instead of a hang."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.on_loop import LoopNotAnswering, call_on_loop, on_loop_thread, run_on_loop


def test_calls_from_a_worker_run_on_the_loop_thread_and_bring_back_errors():
    async def main():
        loop = asyncio.get_running_loop()
        here = threading.get_ident()
        assert on_loop_thread(loop)
        assert call_on_loop(loop, threading.get_ident) == here  # on the loop: at once
        seen = await asyncio.to_thread(call_on_loop, loop, threading.get_ident)
        assert seen == here
        with pytest.raises(ZeroDivisionError):
            await asyncio.to_thread(call_on_loop, loop, lambda: 1 / 0)
        assert not await asyncio.to_thread(on_loop_thread, loop)

        async def answer():
            return threading.get_ident()

        assert await asyncio.to_thread(run_on_loop, loop, answer()) == here
        with pytest.raises(RuntimeError, match="block the loop"):
            run_on_loop(loop, answer())

    asyncio.run(main())


def test_a_loop_that_is_not_running_is_called_directly_and_a_blocked_one_times_out():
    loop = asyncio.new_event_loop()
    try:
        assert call_on_loop(loop, lambda: "direct") == "direct"

        async def never():
            return None

        with pytest.raises(RuntimeError, match="not running"):
            run_on_loop(loop, never())

        async def blocked():
            # The loop thread is busy (a synchronous wait): the worker gives up cleanly.
            worker = asyncio.get_running_loop().run_in_executor(
                None, lambda: call_on_loop(loop, lambda: 1, timeout=0.2)
            )
            time.sleep(0.5)
            return await asyncio.gather(worker, return_exceptions=True)

        (result,) = loop.run_until_complete(blocked())
        assert isinstance(result, LoopNotAnswering)
    finally:
        loop.close()
