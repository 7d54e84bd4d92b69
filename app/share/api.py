"""The JSON API under /api/: health, movies, shows, assignments and torrents (and the sync
sources, in api_sync.py; the share's playlists, in playlists.py; media-server notifications,
in api_notify.py).

A front end beside the window (ui/): handlers run on the share's cheroot workers, read
and validate the request, and call the same use cases the window calls (all thread-safe):
app/add.py to add movies and shows, the Assigner (app/assign.py) to assign, unassign,
delete and remove torrents, the torrent service for pause and resume. TMDB look-ups come in
as *sync* callables that the app implements by running app/add.py's TMDB flow on its loop:

    tmdb_movie(tmdb_id) -> NewMovie          tmdb_show(tmdb_id) -> NewShow (with episodes)

They raise LookupError when TMDB has no such id (404) and TmdbNotConfigured when there is
no API key right now (422); anything else is a 502.
Handlers let errors propagate: api_errors.answer() turns them into statuses, in one place.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psutil

from app import __version__
from app.add import NewMovie, NewShow
from app.share import api_fields as fields
from app.share import api_json as js
from app.share.api_errors import ApiError, TmdbFailed, TmdbNotConfigured
from app.share.api_notify import NotifyApi, NotifyService
from app.share.api_sync import SyncApi, SyncService
from app.share.playlists import PlaylistApi
from app.share.routes import MAX_BODY, Request, Router
from app.share.tree import ShareTree

logger = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["ApiApp", "TmdbNotConfigured"]

# An assignment may carry a whole .torrent in base64: big season packs make .torrent files
# of several MiB (the window accepts 20 MiB downloads); 32 MiB of base64 holds 24 MiB.
MAX_TORRENT_BODY = 32 * MAX_BODY


class ApiApp:
    """The WSGI app mounted at /api/ (auth is done in front of it)."""

    def __init__(
        self,
        library,
        torrents,
        assigner,
        *,
        tmdb_movie: Callable[[int], NewMovie] | None = None,
        tmdb_show: Callable[[int], NewShow] | None = None,
        sync: Callable[[], SyncService | None] | None = None,
        notify: Callable[[], NotifyService | None] | None = None,
        urls: Callable[[], list[str]] = list,
        share_path: Callable[[int], str | None] = lambda assignment_id: None,
        share_tree: Callable[[], ShareTree] = ShareTree.empty,
        storage_dir: Path | None = None,
        started_at: float | None = None,
    ) -> None:
        self.library = library
        self.torrents = torrents
        self.assigner = assigner
        self.tmdb_movie = tmdb_movie
        self.tmdb_show = tmdb_show
        self.urls = urls
        self.share_path = share_path
        self.storage_dir = storage_dir
        self.started_at = started_at if started_at is not None else time.time()
        self.router = Router()
        r = self.router.add
        r("GET", "/api/health", self.health)
        r("GET", "/api/movies", self.list_movies)
        r("POST", "/api/movies", self.add_movie)
        r("GET", "/api/movies/{id:int}", self.get_movie)
        r("DELETE", "/api/movies/{id:int}", self.delete_movie)
        r("GET", "/api/shows", self.list_shows)
        r("POST", "/api/shows", self.add_show)
        r("GET", "/api/shows/{id:int}", self.get_show)
        r("DELETE", "/api/shows/{id:int}", self.delete_show)
        r("POST", "/api/movies/{id:int}/assign", lambda q: self.assign(q, "movie"))
        r("DELETE", "/api/movies/{id:int}/assign", lambda q: self.unassign(q, "movie"))
        r("POST", "/api/episodes/{id:int}/assign", lambda q: self.assign(q, "episode"))
        r("DELETE", "/api/episodes/{id:int}/assign", lambda q: self.unassign(q, "episode"))
        r("GET", "/api/torrents", self.list_torrents)
        r("GET", "/api/torrents/{hash:hash}", self.get_torrent)
        r("DELETE", "/api/torrents/{hash:hash}", self.delete_torrent)
        r("POST", "/api/torrents/{hash:hash}/pause", self.pause_torrent)
        r("POST", "/api/torrents/{hash:hash}/resume", self.resume_torrent)
        self.sync = SyncApi(library, sync)
        self.sync.register(self.router)
        PlaylistApi(library, share_tree).register(self.router)
        NotifyApi(notify).register(self.router)

    def __call__(self, environ: dict, start_response: Callable):
        return self.router(environ, start_response)

    # ---- health ---------------------------------------------------------------------------

    def health(self, request: Request) -> tuple[int, Any]:
        statuses = self.torrents.list()
        folder = self.storage_dir or getattr(self.torrents, "storage_dir", None) or Path.home()
        return 200, {
            "version": __version__,
            "uptime": round(time.time() - self.started_at, 1),
            "torrents": len(statuses),
            "active_torrents": sum(1 for s in statuses if not s.paused and s.state != "idle"),
            "streams": sum(s.active_readers for s in statuses),
            "memory_bytes": psutil.Process(os.getpid()).memory_info().rss,
            "disk_free_bytes": _disk_free(Path(folder)),
            "share_urls": self.urls(),
        }

    # ---- movies ---------------------------------------------------------------------------

    def list_movies(self, request: Request) -> tuple[int, Any]:
        movies = self.library.list_movies(search=request.query.get("search") or None)
        return 200, {"movies": [self._movie(m, detail=False) for m in movies]}

    def add_movie(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        fields.only(body, {"tmdb_id", "title", "year"})
        if body.get("tmdb_id") is not None:
            tmdb_id = fields.whole_number(body, "tmdb_id", positive=True)
            new = self._tmdb(self.tmdb_movie, tmdb_id, "movie", NewMovie)
        else:
            new = NewMovie(fields.text(body, "title"), fields.year(body))
        return 201, self._movie(new.add_to(self.library), detail=True)

    def get_movie(self, request: Request) -> tuple[int, Any]:
        return 200, self._movie(self.library.get_movie(request.params["id"]), detail=True)

    def delete_movie(self, request: Request) -> tuple[int, Any]:
        self.assigner.delete_item("movie", request.params["id"])
        return 200, {"deleted": request.params["id"]}

    # ---- shows ----------------------------------------------------------------------------

    def list_shows(self, request: Request) -> tuple[int, Any]:
        shows = self.library.list_shows(search=request.query.get("search") or None)
        return 200, {"shows": [js.show(s) for s in shows]}

    def add_show(self, request: Request) -> tuple[int, Any]:
        body = request.json()
        fields.only(body, {"tmdb_id", "title", "year", "seasons"})
        if body.get("tmdb_id") is not None:
            tmdb_id = fields.whole_number(body, "tmdb_id", positive=True)
            new = self._tmdb(self.tmdb_show, tmdb_id, "show", NewShow)
        else:
            new = NewShow(
                fields.text(body, "title"),
                fields.year(body),
                seasons=fields.season_counts(body.get("seasons")),
            )
        return 201, self._show_detail(new.add_to(self.library))

    def get_show(self, request: Request) -> tuple[int, Any]:
        return 200, self._show_detail(self.library.get_show(request.params["id"]))

    def delete_show(self, request: Request) -> tuple[int, Any]:
        self.assigner.delete_item("show", request.params["id"])
        return 200, {"deleted": request.params["id"]}

    # ---- assignments ----------------------------------------------------------------------

    def assign(self, request: Request, item_type: str) -> tuple[int, Any]:
        body = request.json(MAX_TORRENT_BODY)
        fields.only(body, {"magnet_uri", "torrent_base64", "file_path", "resolution", "source"})
        has_magnet, has_torrent = (
            body.get("magnet_uri") is not None,
            body.get("torrent_base64") is not None,
        )
        if has_magnet == has_torrent:
            raise ApiError(422, "give exactly one of magnet_uri or torrent_base64")
        if has_magnet:
            source: str | bytes = fields.torrent_link(body, "magnet_uri")
        else:
            try:
                source = base64.b64decode(
                    fields.text(body, "torrent_base64", max_length=None), validate=True
                )
            except (binascii.Error, ValueError):
                raise ApiError(422, "torrent_base64 is not valid base64") from None
        assignment = self.assigner.assign(
            item_type,
            request.params["id"],
            source,
            file_path=fields.optional_text(body, "file_path"),
            resolution=fields.optional_text(body, "resolution"),
            source_label=fields.optional_text(body, "source"),
        )
        return 201, self._assignment(assignment)

    def unassign(self, request: Request, item_type: str) -> tuple[int, Any]:
        return 200, js.assignment(self.assigner.unassign(item_type, request.params["id"]))

    # ---- torrents -------------------------------------------------------------------------

    def list_torrents(self, request: Request) -> tuple[int, Any]:
        return 200, {"torrents": [js.torrent_status(s) for s in self.torrents.list()]}

    def get_torrent(self, request: Request) -> tuple[int, Any]:
        info_hash = request.params["hash"]
        data = js.torrent_status(self.torrents.status(info_hash), detail=True)
        info = self.torrents.get(info_hash)
        data["files"] = [js.torrent_file(f) for f in info.files] if info else []
        data["assignments"] = [
            self._assignment(a) for a in self.library.assignments_for_hash(info_hash, True)
        ]
        return 200, data

    def delete_torrent(self, request: Request) -> tuple[int, Any]:
        info_hash = request.params["hash"]
        done = self.assigner.remove_torrent(info_hash, force=request.flag("force"))
        return 200, {"removed": info_hash, "deactivated": [js.assignment(a) for a in done]}

    def pause_torrent(self, request: Request) -> tuple[int, Any]:
        self.torrents.pause(request.params["hash"])
        return 200, js.torrent_status(self.torrents.status(request.params["hash"]))

    def resume_torrent(self, request: Request) -> tuple[int, Any]:
        self.torrents.resume(request.params["hash"])
        return 200, js.torrent_status(self.torrents.status(request.params["hash"]))

    # ---- helpers --------------------------------------------------------------------------

    def _tmdb(self, lookup: Callable[[int], T] | None, tmdb_id: int, what: str, kind: type[T]) -> T:
        if lookup is None:
            raise TmdbNotConfigured()
        try:
            details = lookup(tmdb_id)
        except TmdbNotConfigured:
            raise
        except LookupError:
            raise ApiError(404, f"TMDB has no {what} with id {tmdb_id}") from None
        except Exception as exc:
            logger.warning("TMDB look-up of %s %d failed: %s", what, tmdb_id, exc)
            raise TmdbFailed(f"TMDB look-up failed: {exc}") from None
        if not isinstance(details, kind):
            raise TmdbFailed("TMDB look-up returned nothing usable")
        return details

    def _assignment(self, assignment) -> dict[str, Any]:
        data = js.assignment(assignment)
        data["share_path"] = self.share_path(assignment.id) if assignment.active else None
        return data

    def _movie(self, movie, *, detail: bool) -> dict[str, Any]:
        data = js.movie(movie)
        active = self.library.active_assignment("movie", movie.id)
        data["assignment"] = self._assignment(active) if active else None
        if detail:
            data["assignments"] = [
                js.assignment(a) for a in self.library.assignments_of("movie", movie.id)
            ]
        return data

    def _show_detail(self, show) -> dict[str, Any]:
        data = js.show(show)
        data["seasons"] = []
        for season in self.library.seasons(show.id):
            episodes = []
            for episode in self.library.episodes(season.id):
                item = js.episode(episode)
                active = self.library.active_assignment("episode", episode.id)
                item["assignment"] = self._assignment(active) if active else None
                episodes.append(item)
            data["seasons"].append({**js.season(season), "episodes": episodes})
        return data


def _disk_free(folder: Path) -> int | None:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None
