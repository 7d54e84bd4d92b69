"""Stand-in sync sources for tests of the sync wiring (manager, API, core): they count their
runs, can fail, and can be held until a test lets them finish."""

from __future__ import annotations

import asyncio
import threading


class CountingSource:
    """A source named after a library sync_source row; `hold` (seconds) makes each run take
    that long; `fail` makes runs raise; `detail()` reports the record it was built from."""

    def __init__(self, record, on_change=None, *, hold: float = 0.0) -> None:
        self.name = record.name
        self.record = record
        self.on_change = on_change
        self.hold = hold
        self.fail: str | None = None
        self.runs = 0
        self.lock = threading.Lock()
        self.watching = False

    async def sync(self) -> str:
        with self.lock:
            self.runs += 1
            number = self.runs
        if self.hold:
            await asyncio.sleep(self.hold)
        if self.fail:
            raise RuntimeError(self.fail)
        return f"run {number}"

    def detail(self) -> dict:
        return {"path": self.record.path, "unmatched": []}

    def start_watching(self) -> None:
        self.watching = True

    def stop_watching(self) -> None:
        self.watching = False


class SourceFactory:
    """make_source for SyncManager: a CountingSource per row, remembered by name."""

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.made: dict[str, CountingSource] = {}
        self.refuse: set[str] = set()  # kinds to refuse with an error, as a broken setup would

    def __call__(self, record, on_change):
        if record.kind in self.refuse:
            raise OSError(f"cannot set up {record.kind} sources")
        source = CountingSource(record, on_change, hold=self.hold)
        self.made[record.name] = source
        return source
