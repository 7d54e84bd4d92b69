"""The JSON API's media-server notifications under /api/notify (see app/notify/).

    GET  /api/notify               every target: kind, address, path mapping, last deliveries
    POST /api/notify/{name}/test   send a test notification now and answer its result

A test that reaches the target but fails (a refused token, a server down) is still a 200,
with outcome "error" and the reason in error, as a sync run is: the request did what it
asked. Handlers run on the share's cheroot workers; the notifier lives on the app's loop
and its run_test() hops there. Without a notifier (the app is starting or stopping) both
endpoints answer 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from app.share.routes import ApiError, Request, Router

logger = logging.getLogger(__name__)

NO_NOTIFIER = "notifications are not running (the app is starting or stopping)"


class NotifyService(Protocol):
    """What the API needs from the app's Notifier; callable from any thread."""

    def report(self) -> list[Any]: ...

    def run_test(self, name: str) -> Any: ...


class NotifyApi:
    def __init__(self, notify: Callable[[], NotifyService | None] | None) -> None:
        self.notify = notify or (lambda: None)

    def register(self, router: Router) -> None:
        router.add("GET", "/api/notify", self.list_targets)
        router.add("POST", "/api/notify/{name}/test", self.test)

    def _service(self) -> NotifyService:
        service = self.notify()
        if service is None:
            raise ApiError(503, NO_NOTIFIER)
        return service

    def list_targets(self, request: Request) -> tuple[int, Any]:
        return 200, {"targets": [target_report(r) for r in self._service().report()]}

    def test(self, request: Request) -> tuple[int, Any]:
        name = request.params["name"]
        return 200, {"target": name, "result": delivery(self._service().run_test(name))}


def target_report(report) -> dict[str, Any]:
    spec = report.target
    return {
        "name": spec.name,
        "kind": spec.kind,
        "url": spec.url or None,
        "command": spec.command or None,
        "path_from": spec.path_from,
        "path_to": spec.path_to,
        "timeout": spec.timeout,
        "last": delivery(report.history[0]) if report.history else None,
        "history": [delivery(d) for d in report.history],
    }


def delivery(result) -> dict[str, Any]:
    return {
        "started": result.started.isoformat(),
        "duration": round(result.duration, 3),
        "reason": result.reason,
        "outcome": result.outcome,
        "summary": result.summary,
        "error": result.error,
        "paths": list(result.paths),
    }
