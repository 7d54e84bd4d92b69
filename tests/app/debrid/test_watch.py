"""The account's fast check on a real scheduler: a change it sees becomes a "watch" run."""

from __future__ import annotations

import asyncio

from app.debrid.source import DebridSource
from app.sync.scheduler import SyncScheduler
from tests.app.debrid.conftest import make_client

GIB = 1024**3


def test_a_change_seen_by_the_check_runs_the_source(library, rd, fake_time):
    library.add_movie("Heat", 1995)

    async def main():
        scheduler = SyncScheduler(enabled=False)
        source = DebridSource(
            library,
            make_client(rd, fake_time),
            check_seconds=0.01,
            on_change=lambda: scheduler.trigger("debrid", "watch"),
        )
        scheduler.add_source(source, interval_minutes=60, mode="watch")
        runs = asyncio.Queue()
        scheduler.add_listener(
            lambda s: s.history and not s.running and runs.put_nowait(s.history[0])
        )
        scheduler.start()
        try:
            first = await asyncio.wait_for(runs.get(), 30)  # the check saw the account first
            rd.add("Heat.1995.1080p", [("/Heat.1995.1080p.mkv", GIB)])
            second = await asyncio.wait_for(_next_other(runs, first), 30)
            return first, second, scheduler.state("debrid").detail
        finally:
            await scheduler.aclose()
            await source.account.aclose()

    first, second, detail = asyncio.run(main())
    assert (first.reason, first.outcome) == ("watch", "ok")
    assert (second.reason, second.outcome) == ("watch", "ok")
    assert "1 assigned" in second.summary
    assert detail["last_check"] is not None and detail["torrents"] == 1


async def _next_other(runs: asyncio.Queue, seen):
    while True:
        run = await runs.get()
        if run.started != seen.started:
            return run
