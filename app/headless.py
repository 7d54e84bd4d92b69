"""`reelbox --headless`: the core with no window, until SIGINT or SIGTERM, then a clean stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from app.core import SHARE_PASSWORD_ENV, Core

logger = logging.getLogger(__name__)


def run_headless(core: Core) -> int:
    """Run until a stop signal; return the process exit code (0 after a clean shutdown)."""
    try:
        with asyncio.Runner() as runner:
            return runner.run(_serve(core))
    except OSError as exc:  # a port in use, a folder we may not write: say it plainly
        logger.error("Reelbox could not start: %s", exc)
        return 1


def _print_login(core: Core) -> None:
    """A headless box has no Settings dialog: say the generated password once, on the
    terminal only (never in the log), as qbittorrent-nox does."""
    share = core.settings.share
    if share.anonymous or os.environ.get(SHARE_PASSWORD_ENV):
        return
    password = core.share_password()  # first: reading it may find the keyring keeps nothing
    kept = "kept in the system keyring" if core.secrets.persistent else "no keyring: new each start"
    print(
        f"Share login: {share.username} / {password} "
        f"({kept}; set {SHARE_PASSWORD_ENV} to choose your own)",
        flush=True,
    )


async def _serve(core: Core) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        # start() binds ports and opens the session: keep it off the loop so signals still land.
        await asyncio.to_thread(core.start)
        for notice in core.start_notices:
            print(f"Warning: {notice}", flush=True)
        if core.share_error is not None:
            raise OSError(core.share_error)
        await core.start_async()
        if core.share is not None:
            # Printed once the share accepts connections, for scripts and service managers.
            for url in core.share.urls():
                print(f"Share: {url}", flush=True)
            _print_login(core)
        print("Reelbox is running; press Ctrl+C to stop.", flush=True)
        await stop.wait()
        logger.info("Stop signal received, shutting down")
    finally:
        await core.stop_async()
        await asyncio.to_thread(core.stop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    sys.stdout.flush()
    return 0
