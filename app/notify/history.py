"""Media-server notifications in the sync history: one manual sync source per target.

NotifySources keeps a `notify-<target>` source in the sync scheduler for each configured
target, added and removed live as the settings change (never stored in the library: targets
live in the settings), and records each delivery to a target as a run of its source
(SyncScheduler.record_run): a change batch with reason "app", a test with its caller's
("api" from /api/notify). Running the source by hand (the Sync page's Refresh, POST
/api/sync/{name}/run) sends the target a test notification, and the scheduler records that
run itself.

Change batches never go through the scheduler, which joins a run already under way: they
keep the notifier's guarantees (debounce, batches in order, no target waits on another, none
is dropped because a test of the same target is running). Everything runs on the app's loop.
"""

from __future__ import annotations

import logging
from typing import Any

from app.notify.notifier import Delivery, Notifier
from app.sync.scheduler import SyncError, SyncRun, SyncScheduler

logger = logging.getLogger(__name__)

PREFIX = "notify-"
KIND = "notify"  # the sources' kind in /api/sync and the Sync page


def source_name(target: str) -> str:
    """The sync source of a target (target names are letters, digits, '-' and '_')."""
    return PREFIX + target


def tested(summary: str) -> str:
    return f"test: {summary}"


class NotifySource:
    """One target as a sync source: a run sends it a test notification."""

    rescans = False  # not part of the scheduler's Rescan all (see SyncScheduler.rescan_all)

    def __init__(self, notifier: Notifier, target: str) -> None:
        self.name = source_name(target)
        self.target = target
        self._notifier = notifier

    async def sync(self) -> str:
        delivery = await self._notifier.test(self.target, reason=None)
        if delivery.outcome != "ok":
            raise SyncError(delivery.error or "the test notification failed")
        return tested(delivery.summary)

    def detail(self) -> dict[str, Any]:
        spec = next((t for t in self._notifier.targets if t.name == self.target), None)
        if spec is None:  # renamed or removed a moment ago: NotifySources drops it next
            return {"kind": KIND, "target": self.target}
        return {
            "kind": KIND,
            "target": self.target,
            "server": spec.kind,
            "address": spec.url or spec.command,
        }


class NotifySources:
    """Keeps the scheduler's notify sources in step with the notifier's targets."""

    def __init__(self, notifier: Notifier, scheduler: SyncScheduler) -> None:
        """Build it on the loop; call update() after the notifier's settings change."""
        self._notifier = notifier
        self._scheduler = scheduler
        self._names: set[str] = set()
        notifier.add_listener(self._delivered)
        self.update()

    def update(self) -> None:
        """Add a source for each new target and remove those of targets gone (a renamed
        target is both: its history stays with the old name)."""
        wanted = {source_name(spec.name): spec.name for spec in self._notifier.targets}
        for name in sorted(self._names - wanted.keys()):
            self._scheduler.remove_source(name)
            self._names.discard(name)
        for name, target in wanted.items():
            if name in self._names:
                continue
            try:
                self._scheduler.add_source(
                    NotifySource(self._notifier, target), interval_minutes=0, mode="manual"
                )
            except ValueError as exc:  # a library source of that name: keep it, say why
                logger.warning("Notification target %s has no sync history: %s", target, exc)
                continue
            self._names.add(name)

    def close(self) -> None:
        """Stop recording and remove the sources (the notifier is stopping)."""
        self._notifier.remove_listener(self._delivered)
        for name in sorted(self._names):
            self._scheduler.remove_source(name)
        self._names.clear()

    def _delivered(self, delivery: Delivery, reason: str) -> None:
        name = source_name(delivery.target)
        if name not in self._names:  # the target was removed while it was being told
            return
        summary = delivery.summary if delivery.reason == "change" else tested(delivery.summary)
        run = SyncRun(
            started=delivery.started,
            duration=delivery.duration,
            reason=reason,
            outcome=delivery.outcome,
            summary=summary if delivery.outcome == "ok" else "",
            error=delivery.error,
        )
        self._scheduler.record_run(name, run)
