"""A real Core on 127.0.0.1 (DHT, LSD, UPnP and NAT-PMP off), started and stopped as the
headless runner does."""

from __future__ import annotations

import asyncio

from app.core import Core
from tests.support.loopback import LOOPBACK, free_port


def make_core(paths, port: int | None = None) -> Core:
    port = free_port() if port is None else port
    return Core(paths, {**LOOPBACK, "share.port": str(port)}, listen_interface="127.0.0.1")


def run(core: Core, scenario) -> None:
    """Start the core, run scenario(core) on its loop, stop cleanly."""

    async def main() -> None:
        await asyncio.to_thread(core.start)
        await core.start_async()
        try:
            await scenario(core)
        finally:
            await core.stop_async()
            await asyncio.to_thread(core.stop)

    asyncio.run(main())
