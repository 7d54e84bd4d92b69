"""The JSON API's sync endpoints under /api/sync: sources, their settings, runs and history.

    GET    /api/sync                  every source: kind, path, mode, interval, state
    POST   /api/sync                  {"path", "mode"?, "interval_minutes"?}: watch a folder
    POST   /api/sync/run              rescan every source at once: {name: summary or error}
    POST   /api/sync/pause, .../resume  pause or resume the whole scheduler (runs wait)
    GET    /api/sync/{name}           one source, with its history
    PUT    /api/sync/{name}           {"interval_minutes"?, "mode"?}: saved, applied at once
    DELETE /api/sync/{name}           stop watching a folder (its items keep their sources)
    POST   /api/sync/{name}/run       run now, or join the run going; restarts the countdown
    GET    /api/sync/{name}/history   the last runs, newest first

POST .../run waits for the run and answers 200 with the source and `run`, that run's record;
a run that fails is still a 200, with run.outcome "error" and run.error saying why (the
request did what it asked: the failure is the source's, and is also in last_error). A run
still going after `wait` seconds answers 202 with `run` null; poll GET /api/sync/{name}.

Media servers told of the share's changes are sources too (kind "notify", named
"notify-<target>", app/notify/history.py): each delivery is a run in their history, running
one sends a test notification, and they are changed in the settings, not here (PUT and
DELETE answer 422).

Handlers run on the share's cheroot workers; the sync service (app/sync/manager.py) hops
onto the app's loop for them. Without one (the app is starting or stopping, or a share
built without sync) every endpoint answers 503.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Protocol

from app.library.errors import NotFound
from app.share import api_fields as fields
from app.share.routes import ApiError, Request, Router

logger = logging.getLogger(__name__)

NO_SYNC = "sync is not running (the app is starting or stopping)"


class SyncService(Protocol):
    """What the API needs from the app's sync (SyncManager); callable from any thread."""

    def states(self) -> list[Any]: ...

    def state(self, name: str) -> Any: ...

    def update_source(
        self, name: str, *, interval_minutes: Any = None, mode: str | None = None
    ) -> Any: ...

    def run(self, name: str, reason: str = "api", wait: float = 120.0) -> tuple[Any, Any]: ...

    def rescan_all(self, wait: float = 300.0) -> dict[str, str]: ...

    def add_folder(self, path: str, mode: str = "watch", interval_minutes: Any = 10) -> Any: ...

    def remove_folder(self, name: str) -> None: ...

    def pause(self, reason: str = "user") -> list[str]: ...

    def resume(self, reason: str = "user") -> list[str]: ...


def _minutes(body: dict[str, Any], default: int | None = None) -> int | None:
    """JSON carries numbers as numbers: "5" is a client's mistake, not five minutes."""
    value = body.get("interval_minutes", default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ApiError(
            422, f"interval_minutes must be 0 or at least 1 minute (a number), not {value!r}"
        )
    return value


def _with_service(handler: Callable[..., tuple[int, Any]]) -> Callable[..., tuple[int, Any]]:
    """Hand the handler the sync service now (503 without one). Errors propagate to the
    router: api_errors.answer() maps them like every other route's (the library's
    InvalidValue and DuplicateItem, the scheduler's UnknownSource and SyncError, ...)."""

    @wraps(handler)
    def wrapper(self: SyncApi, request: Request) -> tuple[int, Any]:
        return handler(self, request, self._service())

    return wrapper


class SyncApi:
    """The /api/sync routes; `sync` returns the sync service now, or None when there is none."""

    def __init__(
        self, library, sync: Callable[[], SyncService | None] | None, *, wait: float = 120.0
    ) -> None:
        self.library = library
        self.sync = sync or (lambda: None)
        self.wait = wait  # seconds POST .../run waits before answering 202

    def register(self, router: Router) -> None:
        r = router.add
        r("GET", "/api/sync", self.list_sources)
        r("POST", "/api/sync", self.add_folder)
        r("POST", "/api/sync/run", self.rescan_all)
        r("POST", "/api/sync/pause", self.pause)
        r("POST", "/api/sync/resume", self.resume)
        r("GET", "/api/sync/{name}", self.get_source)
        r("PUT", "/api/sync/{name}", self.update_source)
        r("DELETE", "/api/sync/{name}", self.remove_folder)
        r("POST", "/api/sync/{name}/run", self.run_source)
        r("GET", "/api/sync/{name}/history", self.history)

    def _service(self) -> SyncService:
        service = self.sync()
        if service is None:
            raise ApiError(503, NO_SYNC)
        return service

    # ---- handlers -------------------------------------------------------------------------

    @_with_service
    def list_sources(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        return 200, {"sources": [self._state(state) for state in sync.states()]}

    @_with_service
    def get_source(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        return 200, self._state(sync.state(request.params["name"]), history=True)

    @_with_service
    def add_folder(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        body = request.json()
        fields.only(body, {"path", "mode", "interval_minutes"})
        path = fields.text(body, "path")
        if not os.path.isabs(os.path.expanduser(path)):
            # relative to what? the app's working directory means nothing to a client
            raise ApiError(422, f"path must be absolute, not {path!r}")
        state = sync.add_folder(
            path,
            mode=body.get("mode", "watch"),
            interval_minutes=_minutes(body, default=10),
        )
        return 201, self._state(state)

    @_with_service
    def update_source(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        body = request.json()
        fields.only(body, {"interval_minutes", "mode"})
        if body.get("interval_minutes") is None and body.get("mode") is None:
            raise ApiError(422, "give interval_minutes, mode or both")
        state = sync.update_source(
            request.params["name"],
            interval_minutes=_minutes(body),
            mode=body.get("mode"),
        )
        return 200, self._state(state)

    @_with_service
    def remove_folder(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        sync.remove_folder(request.params["name"])
        return 200, {"removed": request.params["name"]}

    @_with_service
    def run_source(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        run, state = sync.run(request.params["name"], "api", self.wait)
        data = self._state(state)
        data["run"] = sync_run(run) if run is not None else None
        return (200 if run is not None else 202), data

    @_with_service
    def rescan_all(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        return 200, {"results": sync.rescan_all()}

    @_with_service
    def pause(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        reasons = sync.pause("api")
        return 200, {"paused": bool(reasons), "paused_for": reasons}

    @_with_service
    def resume(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        reasons = sync.resume("api")
        return 200, {"paused": bool(reasons), "paused_for": reasons}

    @_with_service
    def history(self, request: Request, sync: SyncService) -> tuple[int, Any]:
        state = sync.state(request.params["name"])
        return 200, {"name": state.name, "history": [sync_run(run) for run in state.history]}

    # ---- JSON -----------------------------------------------------------------------------

    def _state(self, state, *, history: bool = False) -> dict[str, Any]:
        try:
            record = self.library.get_sync_source(state.name)
            kind, path = record.kind, record.path
        except NotFound:  # not the library's: a media server's (kind "notify") has no row
            kind, path = state.detail.get("kind"), None
        return source_state(state, kind=kind, path=path, history=history)


def source_state(
    state, *, kind: str | None = None, path: str | None = None, history: bool = False
) -> dict[str, Any]:
    """A SourceState as JSON (ISO times, UTC)."""
    data = {
        "name": state.name,
        "kind": kind,
        "path": path,
        "mode": state.mode,
        "interval_minutes": state.interval_minutes,
        "timers_enabled": state.enabled,
        "paused": state.paused,
        "running": state.running,
        "pending": state.pending,
        "last_attempt": _when(state.last_attempt),
        "last_success": _when(state.last_success),
        "last_error": state.last_error,
        "last_summary": state.last_summary,
        "next_due": _when(state.next_due),
        "failures": state.failures,
        "backoff_until": _when(state.backoff_until),
        "last_run": sync_run(state.history[0]) if state.history else None,
        "detail": state.detail,
    }
    if history:
        data["history"] = [sync_run(run) for run in state.history]
    return data


def sync_run(run) -> dict[str, Any]:
    return {
        "started": _when(run.started),
        "duration": round(run.duration, 3),
        "reason": run.reason,
        "outcome": run.outcome,
        "summary": run.summary,
        "error": run.error,
    }


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
