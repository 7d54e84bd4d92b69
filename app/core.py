"""The composition root: builds every service from Settings, starts and stops them in order.

The window, the headless runner and the tests all use this one class, so there is exactly one
way the parts are put together. Threads: start()/stop() run on the caller's thread; the async
parts (TMDB client, sync scheduler, media-server notifier) live on the asyncio loop given to
start_async(). The
methods that change them (settings, TMDB key, sync sources) may be called from the Qt thread,
which runs that loop, or from any worker thread: they hop onto the loop explicitly
(app/on_loop.py) and wait for the result.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from app import on_loop
from app import settings as settings_file
from app.paths import Paths
from app.secrets import (
    API_TOKEN,
    REALDEBRID_CLIENT_ID,
    REALDEBRID_CLIENT_SECRET,
    REALDEBRID_REFRESH,
    REALDEBRID_TOKEN,
    SHARE_PASSWORD,
    TMDB_API_KEY,
    Secrets,
)
from app.settings import Settings, SettingsError, with_overrides

logger = logging.getLogger(__name__)

SHARE_PASSWORD_ENV = "REELBOX_SHARE_PASSWORD"
TMDB_KEY_ENV = "REELBOX_TMDB_API_KEY"
API_TOKEN_ENV = "REELBOX_API_TOKEN"
REALDEBRID_TOKEN_ENV = "REELBOX_REALDEBRID_TOKEN"
_DEVICE_LOGIN_SECRETS = (REALDEBRID_REFRESH, REALDEBRID_CLIENT_ID, REALDEBRID_CLIENT_SECRET)
T = TypeVar("T")
UNRESTRICT_SECONDS = 15.0  # a share read waits this long for a debrid link at most


class AlreadyRunning(OSError):
    """Another Reelbox (window or headless) already uses this data folder."""


class Core:
    """Every Reelbox service, built from one Settings; see docs/ARCHITECTURE.md, "Layers"."""

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
        # What the user must hear about from start(): the window and the headless runner say it.
        self.start_notices: list[str] = []
        self.tmdb = None
        self.posters = None
        self.artwork = None  # the share's artwork (app/share/artwork.py), kept across restarts
        self.sync = None
        self._lock = None  # the data folder's lock while started (see _lock_data_dir)
        self.sync_manager = None
        self.notifier = None
        self.notify_sources = None  # the notifier's targets as sync sources (history)
        self.debrid = None  # the Real-Debrid client (app/debrid), on the loop
        self.debrid_opener = None  # the share's reads of debrid files

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Open the library, start the torrent session and the share (threads only)."""
        from app.assign import Assigner
        from app.library.db import open_database
        from app.library.repository import Library
        from app.share.artwork import Artwork
        from app.torrents.service import TorrentService

        self._lock_data_dir()
        self.started_at = time.time()
        self.library = Library(open_database(self.paths.database_file))
        if self.library.db.notice:
            self.start_notices.append(self.library.db.notice)
        self.torrents = TorrentService(
            self.settings.torrents, self.paths, listen_interface=self.listen_interface
        )
        self.torrents.start()
        self.assigner = Assigner(self.library, self.torrents)
        self.artwork = Artwork(self.paths.poster_cache_dir)
        self.debrid_opener = self._make_debrid_opener()
        self._start_share()

    async def start_async(self) -> None:
        """Start the parts that live on the asyncio loop: TMDB client, posters, sync."""
        from app.debrid import realdebrid, store
        from app.metadata.posters import PosterCache
        from app.sync.manager import SyncManager
        from app.sync.scheduler import SyncScheduler

        self.loop = asyncio.get_running_loop()
        self._make_tmdb_client(await asyncio.to_thread(self.tmdb_key))
        token = await asyncio.to_thread(self.debrid_token)
        self.debrid = realdebrid.RealDebridClient(
            token, api_url=realdebrid.API_URL, oauth_url=realdebrid.OAUTH_URL
        )
        if token:  # no token, no login: spare the keyring three more reads at every start
            login = await asyncio.to_thread(self.debrid_login)
            if login is not None:
                self._attach_refresher(login)
            # the account's source exists once a token was given
            await asyncio.to_thread(store.ensure_source, self.library)
        self.posters = PosterCache(self.paths.poster_cache_dir, self.tmdb)
        if self.artwork is not None:
            self.artwork.set_download(self._download_art)
        self.sync = SyncScheduler(self.settings.sync)
        self.sync_manager = SyncManager(self.library, self.sync, self._make_sync_source)
        self.sync_manager.start()
        self._start_notifier()

    def stop(self) -> None:
        """Stop in reverse order; each part flushes its state (resume data, WAL). Once."""
        if self._lock is None:  # never started (or refused: another copy), or stopped already
            return
        if self.sync is not None:
            self.sync.stop()
        if self.share is not None:
            self.share.stop()
        if self.torrents is not None:
            self.torrents.stop()
        if self.debrid_opener is not None:
            self.debrid_opener.close()
            self.debrid_opener = None
        if self.library is not None:
            from app.library.db import close_database

            close_database(self.library.db)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        logger.info("Core stopped")

    async def stop_async(self) -> None:
        if self.artwork is not None:
            self.artwork.set_download(None)
        self.sync_manager = None
        notifier, self.notifier = self.notifier, None
        if self.notify_sources is not None:
            self.notify_sources.close()
            self.notify_sources = None
        if notifier is not None:
            if self.share is not None:
                self.share.live_tree.remove_listener(notifier.tree_changed)
            await notifier.aclose()
        if self.sync is not None:
            await self.sync.aclose()
            self.sync = None
        if self.tmdb is not None:
            await self.tmdb.aclose()
            self.tmdb = None
        if self.debrid is not None:
            await self.debrid.aclose()
            self.debrid = None

    # ---- settings ---------------------------------------------------------------------------

    def update_settings(self, new: Settings) -> set[str]:
        """Save what the user changed and restart only the parts whose settings changed.

        Command-line overrides stay in force for this run but are never written to the file.
        A share that cannot listen on its new address goes back to the old one and nothing is
        saved. Any thread: the sync and TMDB parts are changed on the app's loop (their timers
        live there), and the scheduler is paused meanwhile so no sync runs against
        half-applied settings (runs already going finish).
        """
        new.validate()
        changed = self.settings.diff(new)
        if not changed:
            return set()
        scheduler = self.sync
        if scheduler is not None:
            self.call_on_loop(scheduler.pause, "settings")
        try:
            return self._apply_settings(new, changed)
        finally:
            if scheduler is not None:
                self.call_on_loop(scheduler.resume, "settings")

    def _apply_settings(self, new: Settings, changed: set[str]) -> set[str]:
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
            self.call_on_loop(self.sync.apply_settings, self.settings.sync)
        if "tmdb" in sections and self.loop is not None:
            self.call_on_loop(self._make_tmdb_client, self.tmdb_key())
        if "notify" in sections and self.notifier is not None:
            self.call_on_loop(self._apply_notify_settings)
        if "debrid" in sections and self.sync_manager is not None:
            self.call_on_loop(self._apply_debrid_settings)
        logger.info("Settings changed: %s", ", ".join(sorted(changed)))
        return sections

    def set_tmdb_key(self, key: str | None) -> None:
        if key:
            self.secrets.set(TMDB_API_KEY, key.strip())
        else:
            self.secrets.delete(TMDB_API_KEY)
        if self.loop is not None:
            self.call_on_loop(self._make_tmdb_client, self.tmdb_key())

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

    def debrid_token(self) -> str | None:
        """The Real-Debrid API token (keyring: call it off the Qt thread)."""
        return os.environ.get(REALDEBRID_TOKEN_ENV) or self.secrets.get(REALDEBRID_TOKEN)

    def debrid_login(self) -> Any:
        """The device login kept in the keyring (app/debrid/auth.py: Login), or None for a
        pasted API token or none (keyring: call it off the Qt thread)."""
        from app.debrid.auth import Login
        from app.debrid.base import Tokens

        if os.environ.get(REALDEBRID_TOKEN_ENV):
            return None
        values = [self.secrets.get(n) for n in (REALDEBRID_TOKEN, *_DEVICE_LOGIN_SECRETS)]
        if not all(values):
            return None
        expires_at = self.settings.debrid.token_expires
        return Login(Tokens(*values[:2], 0, *values[2:]), expires_at)

    def set_debrid_token(self, token: str | None) -> None:
        """Save (or forget) a pasted Real-Debrid API token and use it at once (a device
        login's tokens go); the first token adds the account's sync source and runs it (any
        thread but the loop's)."""
        if self.debrid is not None:  # first: a refresh under way must not save its tokens
            self.call_on_loop(setattr, self.debrid, "auth", None)
        for name in _DEVICE_LOGIN_SECRETS:
            self.secrets.delete(name)
        self._use_debrid_token(token)

    def set_debrid_login(self, login: Any) -> None:
        """Save a device login (app/debrid/auth.py: Login) and use it as set_debrid_token
        does; its access token is renewed before it expires (any thread but the loop's)."""
        self._save_debrid_login(login)
        if self.debrid is not None:
            self.call_on_loop(self._attach_refresher, login)
        self._use_debrid_token(login.tokens.access_token)

    def debrid_logout(self) -> int:
        """Forget the account: its secrets, its sync source with its history, its torrents
        and its files on the share (any thread but the loop's). Returns how many files left
        the share."""
        from app.debrid.auth import forget_account

        if self.debrid is not None:  # first: a refresh under way must not save its tokens
            self.call_on_loop(self._detach_debrid)
        for name in (REALDEBRID_TOKEN, *_DEVICE_LOGIN_SECRETS):
            self.secrets.delete(name)
        self._set_token_expiry(0.0)
        if self.sync_manager is not None:
            self.sync_manager.drop_source("debrid")
        return forget_account(self.library) if self.library is not None else 0

    def _use_debrid_token(self, token: str | None) -> None:
        from app.debrid import store

        token = (token or "").strip() or None
        if token:
            self.secrets.set(REALDEBRID_TOKEN, token)
        else:
            self.secrets.delete(REALDEBRID_TOKEN)
        if self.debrid is not None:
            self.call_on_loop(setattr, self.debrid, "token", token)
        if token and self.sync_manager is not None:
            record = store.ensure_source(self.library)
            self.sync_manager.add_source(record)
            source = self.sync_manager.source(record.name)
            if source is not None:  # perhaps another account: read its user again
                self.call_on_loop(source.account_changed)
            self.call_on_loop(self.sync.trigger, record.name, "app")

    def notify_token(self, name: str) -> str | None:
        """A notification target's token (keyring: call it off the Qt thread)."""
        from app.notify.targets import token_key

        return self.secrets.get(token_key(name))

    def set_notify_token(self, name: str, token: str | None) -> None:
        from app.notify.targets import token_key

        if token:
            self.secrets.set(token_key(name), token.strip())
        else:
            self.secrets.delete(token_key(name))

    def run_on_loop(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the app's loop from a worker thread (the API's TMDB look-ups)."""
        return on_loop.run_on_loop(self.loop, coro, timeout)

    def call_on_loop(self, fn: Any, *args: Any) -> Any:
        """fn(*args) on the app's loop thread from any thread (directly when already there)."""
        return on_loop.call_on_loop(self.loop, fn, *args)

    # ---- sync sources -------------------------------------------------------------------------
    # Callable from any worker thread (they save in the library there, then hop onto the loop
    # and wait) or from the Qt thread, which runs the app's loop: there they act at once, the
    # library write included, so the window calls them through asyncio.to_thread.

    def add_folder(
        self, path: str | Path, mode: str = "watch", interval_minutes: int | str = 10
    ) -> Any:
        """Watch a folder for .torrent and video files; returns its SourceState. Bad values
        raise InvalidValue ("must be 0 or at least 1 minute"), a folder already watched
        DuplicateItem."""
        return self._sync_sources().add_folder(path, mode, interval_minutes)

    def remove_folder(self, name: str) -> None:
        """Stop watching folder source `name` ("folder-2"); its items keep their sources."""
        self._sync_sources().remove_folder(name)

    def update_source(
        self, name: str, *, interval_minutes: int | str | None = None, mode: str | None = None
    ) -> Any:
        """Save a source's interval and/or mode and apply them live; returns its SourceState."""
        return self._sync_sources().update_source(
            name, interval_minutes=interval_minutes, mode=mode
        )

    def assign_local_file(self, path: str | Path, item_type: str, item_id: int) -> Any:
        """Make a video file on disk a movie's or episode's source (a folder's unmatched
        file); returns the Assignment."""
        return self._sync_sources().assign_local_file(path, item_type, item_id)

    def _sync_sources(self) -> Any:
        from app.sync.manager import SyncUnavailable

        manager = self.sync_manager
        if manager is None:
            raise SyncUnavailable("sync is not running (the app is starting or stopping)")
        return manager

    # ---- parts ------------------------------------------------------------------------------

    def _start_share(self) -> None:
        """(Re)start the share from the current settings and secrets.

        A port in use does not stop the rest of the app: the error is kept in share_error for
        the window's status bar (the headless runner exits with it).
        """
        from app.share.server import ShareServer
        from app.share.streams import TorrentOpener

        if self.share is not None:
            self.share.stop()
            if self.notifier is not None:
                self.share.live_tree.remove_listener(self.notifier.tree_changed)
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
            sync=lambda: self.sync_manager,
            notify=lambda: self.notifier,
            storage_dir=self.torrents.storage_dir,
            started_at=self.started_at,
            artwork=self.artwork,
            opener=TorrentOpener(self.library, self.torrents, debrid=self.debrid_opener),
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
        if self.notifier is not None:  # a restarted share: its new tree follows the old one
            server.live_tree.add_listener(self.notifier.tree_changed)
        for url in server.urls():
            logger.info("Share available at %s", url)

    def _start_notifier(self) -> None:
        """On the loop: tell media servers about the share's changes (app/notify/)."""
        from app.notify.history import NotifySources
        from app.notify.notifier import Notifier

        self.notifier = Notifier(self.settings.notify, self.notify_token)
        if self.sync is not None:  # each target's deliveries in the sync history
            self.notify_sources = NotifySources(self.notifier, self.sync)
        if self.share is not None:
            self.share.live_tree.add_listener(self.notifier.tree_changed)

    def _apply_notify_settings(self) -> None:
        """On the loop: new targets, live; their sync sources follow."""
        if self.notifier is None:  # stopped between the settings change and this hop
            return
        self.notifier.apply_settings(self.settings.notify)
        if self.notify_sources is not None:
            self.notify_sources.update()

    def _apply_debrid_settings(self) -> None:
        """On the loop: the account's check interval (for its next wait) and add_unmatched."""
        source = self.sync_manager.source("debrid") if self.sync_manager is not None else None
        if source is not None:
            source.check_seconds = self.settings.debrid.check_seconds
            source.add_unmatched = self.settings.debrid.add_unmatched

    def _attach_refresher(self, login: Any) -> None:
        """On the loop: the client renews the device login's token, saving each new one."""
        from app.debrid.auth import TokenRefresher

        if self.debrid is not None:
            self.debrid.auth = TokenRefresher(self.debrid, login, self._save_debrid_login)

    def _detach_debrid(self) -> None:
        if self.debrid is not None:
            self.debrid.auth, self.debrid.token = None, None

    def _save_debrid_login(self, login: Any) -> None:
        """A worker thread: the tokens to the keyring, the expiry to the settings."""
        tokens = login.tokens
        self.secrets.set(REALDEBRID_TOKEN, tokens.access_token)
        self.secrets.set(REALDEBRID_REFRESH, tokens.refresh_token)
        self.secrets.set(REALDEBRID_CLIENT_ID, tokens.client_id)
        self.secrets.set(REALDEBRID_CLIENT_SECRET, tokens.client_secret)
        self._set_token_expiry(login.expires_at)

    def _set_token_expiry(self, expires_at: float) -> None:
        new = self.settings.copy()
        new.debrid.token_expires = round(expires_at, 3)
        self.update_settings(new)

    def _make_debrid_opener(self) -> Any:
        from app.debrid import store
        from app.debrid.stream import DebridOpener

        return DebridOpener(self._debrid_unrestrict, store.link_of)

    def _debrid_unrestrict(self, link: str) -> Any:
        """A share worker's unrestrict, on the loop where the paced client lives."""
        from app.debrid.base import DebridError, NotLoggedIn

        client = self.debrid
        if client is None:
            raise NotLoggedIn("the debrid client is not running (the app is starting or stopping)")
        try:
            # a player gives up long before 30 s; a held pacer must not pile up unrestricts
            return on_loop.run_on_loop(
                self.loop, client.unrestrict(link), UNRESTRICT_SECONDS, cancel_on_timeout=True
            )
        except (RuntimeError, TimeoutError) as exc:
            raise DebridError(f"the app's loop did not answer: {exc}") from None

    def _lock_data_dir(self) -> None:
        """Two copies on one data folder would share a library, downloads and watched
        folders with two torrent sessions; the second one stops here, saying why."""
        from filelock import FileLock, Timeout

        # not thread-local: start() and stop() run on different worker threads
        lock = FileLock(self.paths.data_dir / "reelbox.lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise AlreadyRunning(
                f"Reelbox is already running with the data folder {self.paths.data_dir}; "
                "stop that copy first, or use another --data-dir"
            ) from None
        self._lock = lock

    def _tmdb_lookup(self, kind: str, tmdb_id: int) -> Any:
        """The API's TMDB look-ups (share worker threads): the window's own add flow
        (app/add.py) run on the app loop's client; returns a NewMovie or NewShow."""
        from app.add import movie_from_tmdb, show_from_tmdb
        from app.metadata.tmdb import TmdbNotFound
        from app.share.api import TmdbNotConfigured

        client = self.tmdb
        if client is None:
            raise TmdbNotConfigured("no TMDB API key is set")
        describe = movie_from_tmdb if kind == "movie" else show_from_tmdb
        try:
            return self.run_on_loop(describe(client, tmdb_id))
        except TmdbNotFound as exc:
            raise LookupError(str(exc)) from exc

    def _download_art(self, image_path: str, size: str) -> Any:
        """The share's artwork thread: a TMDB image into the poster cache, on the loop."""
        return self.run_on_loop(self.posters.fetch(image_path, size), timeout=60)

    def _make_tmdb_client(self, key: str | None) -> None:
        """On the loop; the caller reads `key` on its own thread (the keyring may take
        seconds, and the loop is the Qt thread)."""
        from app.metadata.tmdb import TmdbClient

        old, self.tmdb = self.tmdb, None
        if old is not None:
            asyncio.ensure_future(old.aclose())
        if key:
            self.tmdb = TmdbClient(
                key,
                language=self.settings.tmdb.language,
                include_adult=self.settings.tmdb.include_adult,
            )
        if self.posters is not None:
            self.posters.client = self.tmdb

    def _make_sync_source(self, record: Any, on_change: Any) -> Any:
        """The scheduler source for a library sync_source row (SyncManager's factory)."""
        from app.sync.sources import TmdbLibrarySource

        if record.kind == "tmdb":
            return TmdbLibrarySource(self.library, lambda: self.tmdb)
        if record.kind == "debrid" and self.debrid is not None:
            from app.debrid.source import DebridSource

            return DebridSource(
                self.library,
                self.debrid,
                check_seconds=self.settings.debrid.check_seconds,
                on_change=on_change,
                add_unmatched=self.settings.debrid.add_unmatched,
                tmdb=lambda: self.tmdb,
                paused=lambda: self.sync is not None and self.sync.paused,
            )
        if record.kind == "folder":
            try:
                from app.sync.folders import FolderSource
            except ModuleNotFoundError as exc:
                if exc.name != "app.sync.folders":
                    raise
                logger.warning("Watched folders are not available in this build")
                return None
            return FolderSource(
                self.library, self.torrents, self.assigner, record, on_change=on_change
            )
        return None
