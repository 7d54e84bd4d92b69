"""Fixtures for the GUI tests: a real Core on a temporary data dir (loopback only, no DHT,
LSD, UPnP or NAT-PMP), and a runner that drives the real app on a qasync loop offscreen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QEvent

from app.core import Core
from tests.support.loopback import LOOPBACK, free_port

TEST_OVERRIDES = {
    **LOOPBACK,
    "torrents.add_timeout": "15",
    "share.enabled": "off",  # tests that need the share turn it on
    "ui.connect_shown": "on",  # the first start's Connect panel: only its own tests see it
}


def loopback_overrides(**extra: str) -> dict[str, str]:
    return {**TEST_OVERRIDES, "share.port": str(free_port()), **extra}


@pytest.fixture
def server() -> Iterator[str]:
    """Base URL of a local HTTP server (see http_server.py)."""
    from tests.ui.http_server import serve

    with serve() as url:
        yield url


@pytest.fixture
def make_core(paths) -> Callable[..., Core]:
    def make(**extra: str) -> Core:
        return Core(paths, loopback_overrides(**extra), listen_interface="127.0.0.1")

    return make


async def until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Wait on the running loop (so Qt keeps working) until predicate() is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def run_app(
    qapp: Any, core: Core, scenario: Callable[[Any], Awaitable[Any]], links: list[str] | None = None
) -> Any:
    """Start the real app on `core`, wait until the core runs, play `scenario`, quit.

    Returns (exit code of ReelboxApp.run(), scenario's result). The app is always quit, so a
    failing scenario never leaves a core running.
    """
    from ui.app import ReelboxApp

    reelbox = ReelboxApp(core, links)

    async def main() -> Any:
        running = asyncio.ensure_future(reelbox.run())
        try:
            await until(lambda: reelbox.started or reelbox.start_error, 30, "the core to start")
            assert reelbox.start_error is None, reelbox.start_error
            result = await scenario(reelbox)
        finally:
            reelbox.quit()
            code = await running
        return code, result

    try:
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            return runner.run(main())
    finally:
        # the window outlives the app otherwise: 60 windows and ~20,000 widgets had piled up
        # by the theme tests, whose palette changes then took 40 s instead of 0.02 s
        reelbox.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
