"""The composition root: builds every service from Settings, starts and stops them in order.

The window, the headless runner and the tests all use this one class, so there is exactly one
way the parts are put together. Threads: start()/stop() run on the caller's thread; the async
parts (TMDB client, sync scheduler) live on the asyncio loop given to start_async().
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from app import settings as settings_file
from app.paths import Paths
from app.secrets import API_TOKEN, SHARE_PASSWORD, TMDB_API_KEY, Secrets
from app.settings import Settings, SettingsError, with_overrides

logger = logging.getLogger(__name__)

SHARE_PASSWORD_ENV = "REELBOX_SHARE_PASSWORD"
TMDB_KEY_ENV = "REELBOX_TMDB_API_KEY"
API_TOKEN_ENV = "REELBOX_API_TOKEN"
T = TypeVar("T")


class Core:
    """Every Reelbox service, built from one Settings; see DESIGN.md "The shape"."""

    def __init__(
        self,
        paths: Paths,
        overrides: dict[str, str] | None = None,
        *,
        listen_interface: str | None = None,
    ) -> None:
        paths.ensure()
        self.paths = paths
        self.overrides = dict(overrides or {})
        self.saved_settings = settings_file.load(paths.settings_file)
        self.settings: Settings = with_overrides(self.saved_settings, self.overrides)
        self.secrets = Secrets()
        self.listen_interface = listen_interface
        self.started_at: float | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.library = None
        self.torrents = None
        self.assigner = None
        self.share = None
        self.share_error: str | None = None
        self.tmdb = None
        self.posters = None
        self.sync = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Open the library, start the torrent session and the share (threads only)."""
        from app.assign import Assigner
        from app.library.db import open_database
        from app.library.repository import Library
        from app.torrents.service import TorrentService

        self.started_at = time.time()
        self.library = Library(open_database(self.paths.database_file))
        self.torrents = TorrentService(
            self.settings.torrents, self.paths, listen_interface=self.listen_interface
        )
        self.torrents.start()
        self.assigner = Assigner(self.library, self.torrents)
        self._start_share()

    async def start_async(self) -> None:
        """Start the parts that live on the asyncio loop: TMDB client, posters, sync."""
        from app.metadata.posters import PosterCache
        from app.sync.scheduler import SyncScheduler

        self.loop = asyncio.get_running_loop()
        self._make_tmdb_client()
        self.posters = PosterCache(self.paths.poster_cache_dir, self.tmdb)
        self.sync = SyncScheduler(self.settings.sync)
        self._register_sync_sources()
        self.sync.start()

    def stop(self) -> None:
        """Stop in reverse order; each part flushes its state (resume data, WAL)."""
        if self.sync is not None:
            self.sync.stop()
        if self.share is not None:
            self.share.stop()
        if self.torrents is not None:
            self.torrents.stop()
        if self.library is not None:
            from app.library.db import close_database

            close_database(self.library.db)
        logger.info("Core stopped")

    async def stop_async(self) -> None:
        if self.sync is not None:
            await self.sync.aclose()
            self.sync = None
        if self.tmdb is not None:
            await self.tmdb.aclose()
            self.tmdb = None

    # ---- settings ---------------------------------------------------------------------------

    def update_settings(self, new: Settings) -> set[str]:
        """Save what the user changed and restart only the parts whose settings changed.

        Command-line overrides stay in force for this run but are never written to the file.
        A share that cannot listen on its new address goes back to the old one and nothing is
        saved. Sync and TMDB changes must be made on the app's loop (their timers live there).
        """
        new.validate()
        changed = self.settings.diff(new)
        if not changed:
            return set()
        sections = {name.split(".")[0] for name in changed}
        old, self.settings = self.settings, new.copy()
        if "share" in sections and self.library is not None:
            self._start_share()
            if self.share_error is not None:
                error = self.share_error
                self.settings = old
                self._start_share()
                raise SettingsError(error)
        to_save = self.saved_settings.copy()
        for name in changed:
            to_save.set(name, new.get(name))
        settings_file.save(to_save, self.paths.settings_file)
        self.saved_settings = to_save
        if "torrents" in sections and self.torrents is not None:
            self.torrents.apply_settings(self.settings.torrents)
        if "sync" in sections and self.sync is not None:
            self.sync.apply_settings(self.settings.sync)
        if "tmdb" in sections and self.loop is not None:
            self._make_tmdb_client()
        logger.info("Settings changed: %s", ", ".join(sorted(changed)))
        return sections

    def set_tmdb_key(self, key: str | None) -> None:
        if key:
            self.secrets.set(TMDB_API_KEY, key.strip())
        else:
            self.secrets.delete(TMDB_API_KEY)
        if self.loop is not None:
            self._make_tmdb_client()

    def tmdb_key(self) -> str | None:
        return os.environ.get(TMDB_KEY_ENV) or self.secrets.get(TMDB_API_KEY)

    def share_password(self) -> str:
        return os.environ.get(SHARE_PASSWORD_ENV) or self.secrets.get_or_create(SHARE_PASSWORD)

    def set_share_password(self, password: str) -> None:
        self.secrets.set(SHARE_PASSWORD, password)
        if self.share is not None:
            self._start_share()

    def api_token(self) -> str:
        return os.environ.get(API_TOKEN_ENV) or self.secrets.get_or_create(API_TOKEN, 24)

    def run_on_loop(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the app's loop from a worker thread (the API's TMDB look-ups)."""
        if self.loop is None:
            coro.close()
            raise RuntimeError("the app's event loop is not running")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # ---- parts ------------------------------------------------------------------------------

    def _start_share(self) -> None:
        """(Re)start the share from the current settings and secrets.

        A port in use does not stop the rest of the app: the error is kept in share_error for
        the window's status bar (the headless runner exits with it).
        """
        from app.share.server import ShareServer

        if self.share is not None:
            self.share.stop()
        self.share, self.share_error = None, None
        share = self.settings.share
        if not share.enabled:
            logger.info("The share is turned off (share.enabled)")
            return
        server = ShareServer(
            share,
            self.library,
            self.torrents,
            password=self.share_password(),
            api_token=self.api_token(),
            assigner=self.assigner,
            tmdb_movie=lambda tmdb_id: self._tmdb_lookup("movie", tmdb_id),
            tmdb_show=lambda tmdb_id: self._tmdb_lookup("show", tmdb_id),
            storage_dir=self.torrents.storage_dir,
            started_at=self.started_at,
        )
        try:
            server.start()
        except OSError as exc:
            self.share_error = (
                f"The share cannot listen on {share.bind_address} port {share.port}: "
                f"{exc.strerror or exc}"
            )
            logger.error("%s", self.share_error)
            return
        self.share = server
        for url in server.urls():
            logger.info("Share available at %s", url)

    def _tmdb_lookup(self, kind: str, tmdb_id: int) -> Any:
        """The API's TMDB look-ups (share worker threads) run on the app loop's client."""
        from app.metadata.tmdb import TmdbNotFound
        from app.share.api import TmdbNotConfigured

        client = self.tmdb
        if client is None:
            raise TmdbNotConfigured("no TMDB API key is set")
        try:
            return self.run_on_loop(getattr(client, kind)(tmdb_id))
        except TmdbNotFound as exc:
            raise LookupError(str(exc)) from exc

    def _make_tmdb_client(self) -> None:
        from app.metadata.tmdb import TmdbClient

        old, self.tmdb = self.tmdb, None
        if old is not None:
            asyncio.ensure_future(old.aclose())
        key = self.tmdb_key()
        if key:
            self.tmdb = TmdbClient(
                key,
                language=self.settings.tmdb.language,
                include_adult=self.settings.tmdb.include_adult,
            )
        if self.posters is not None:
            self.posters.client = self.tmdb

    def _register_sync_sources(self) -> None:
        from app.sync.sources import TmdbLibrarySource

        self.sync.add_source(TmdbLibrarySource(self.library, lambda: self.tmdb))
