"""The share's HTTP server: cheroot in a background thread serving WebDAV and the JSON API.

ShareServer puts the parts together (tree snapshot, wsgidav provider, API, auth) and owns the
cheroot lifecycle: start() returns once the socket listens (so the URLs it reports work),
stop() ends it, restart() applies new settings. HttpServer is the bare cheroot wrapper, also
used by tests and the benchmark to serve any WSGI app.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil
from cheroot import wsgi

from app.add import NewMovie, NewShow
from app.settings import ShareSettings
from app.share.api import MAX_TORRENT_BODY
from app.share.api_notify import NotifyService
from app.share.api_sync import SyncService
from app.share.artwork import Artwork
from app.share.auth import API_PREFIX, AuthMiddleware, Credentials
from app.share.framing import StrictRequest
from app.share.guard import Guard
from app.share.hangups import HUNG_UP, watch
from app.share.live import LiveTree
from app.share.request_heads import GatedConnection, HeadGate
from app.share.throttle import FailureThrottle
from app.share.tree import ShareTree
from app.share.webdav import ClientGone, Opener, ShareProvider, make_dav_app

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

HEAD_TIMEOUT = 10.0  # seconds for a request line and headers, on a LAN
MAX_HEAD = 64 * 1024  # bytes of request line and headers; players send well under 2 KiB


class _ResponseAborted(Exception):
    """Raised after a failure once the headers are out: cheroot then drops the connection."""


class ErrorBarrier:
    """No exception leaves the app as a 500 with a stack trace: a short error body instead.

    If the failure comes after the headers were sent, the only honest answer is to cut the
    connection, so the client sees a short body instead of waiting forever. A client that hung
    up gets nothing: its connection is cut too.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        result = None
        sent = False
        try:
            result = self._app(environ, start_response)
            for chunk in result:
                sent = sent or bool(chunk)
                yield chunk
        except ClientGone:
            where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            logger.debug("%s: the client hung up", where)
            if sent:
                raise _ResponseAborted() from None
            # cheroot sends a status line whatever happens: an empty 503, then the connection
            # closes (only a client that merely stopped sending is still there to read it)
            start_response(
                "503 Service Unavailable",
                [("Content-Length", "0"), ("Connection", "close")],
                sys.exc_info(),
            )
        except Exception:
            where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            if sent:
                # Typically a read that timed out mid-stream; it was logged where it happened.
                logger.warning("Response to %s cut short after an error", where)
                raise _ResponseAborted() from None
            logger.exception("Request %s failed", where)
            is_api = environ.get("PATH_INFO", "").startswith(API_PREFIX)
            body = b'{"error": "internal error"}\n' if is_api else b"Internal error\n"
            try:
                start_response(
                    "500 Internal Server Error",
                    [
                        ("Content-Type", "application/json" if is_api else "text/plain"),
                        ("Content-Length", str(len(body))),
                    ],
                    sys.exc_info(),
                )
            except Exception:
                raise _ResponseAborted() from None
            yield body
        finally:
            if hasattr(result, "close"):
                result.close()


def share_app(
    tree: Callable[[], ShareTree],
    opener: Opener,
    credentials: Credentials,
    *,
    block_size: int,
    api: WsgiApp | None = None,
    throttle: FailureThrottle | None = None,
) -> WsgiApp:
    """The whole WSGI stack: errors, auth, then /api/ to the API and the rest to WebDAV."""
    dav = Guard(make_dav_app(ShareProvider(tree, opener), block_size=block_size))
    return ErrorBarrier(AuthMiddleware(_route(api or _no_api, dav), credentials, throttle))


def _no_api(environ: dict, start_response: Callable) -> list[bytes]:
    body = b'{"error": "not found"}\n'
    start_response(
        "404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class _Connection(GatedConnection):
    RequestHandlerClass = StrictRequest


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, with a way to ask whether the client has hung up."""

    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[HUNG_UP] = watch(self.req.conn.socket)
        return environ


class _Server(wsgi.Server):
    """cheroot's server with its messages in our log, not on stderr, limits on what a request
    may send, request heads read off the workers (see request_heads.py) and strict framing
    (see framing.py)."""

    ConnectionClass = _Connection
    max_request_header_size = MAX_HEAD
    # the largest body the API takes (a .torrent); the API refuses smaller ones in JSON
    max_request_body_size = MAX_TORRENT_BODY

    def __init__(self, *args, head_timeout: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway
        self.gate = HeadGate(
            super().process_conn,
            timeout=head_timeout,
            max_head=self.max_request_header_size,
            socket_timeout=self.timeout,
        )

    def prepare(self) -> None:
        super().prepare()
        self.gate.start()

    def process_conn(self, conn) -> None:
        self.gate.admit(conn)

    def stop(self) -> None:
        self.gate.stop()
        super().stop()

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        if traceback and isinstance(sys.exc_info()[1], _ResponseAborted):
            logger.debug("Connection closed after a failed response")
            return
        logger.log(level, "HTTP server: %s", msg, exc_info=traceback)


class HttpServer:
    """A cheroot WSGI server on a background thread.

    socket_timeout is how long a request may wait for its client (a paused player stops
    reading its stream); head_timeout is how long a client has to send a request's line and
    headers, from the connection or, on a kept-alive one, from its first byte.
    """

    def __init__(
        self,
        app: WsgiApp,
        host: str,
        port: int,
        *,
        threads: int = 48,
        socket_timeout: int = 300,
        head_timeout: float = HEAD_TIMEOUT,
        shutdown_timeout: float = 5,
    ) -> None:
        self._server = _Server(
            (host, port),
            app,
            numthreads=threads,
            server_name="Reelbox",
            request_queue_size=64,
            timeout=socket_timeout,
            head_timeout=head_timeout,
            shutdown_timeout=shutdown_timeout,
        )
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.bind_addr[0]

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def start(self) -> None:
        """Bind and listen (OSError if the port is taken), then serve in the background."""
        self._server.prepare()
        self._thread = threading.Thread(target=self._serve, name="share-http", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.serve()
        except Exception:
            logger.exception("The share's HTTP server stopped unexpectedly")

    def stop(self) -> None:
        """Close the port at once; give running requests shutdown_timeout to finish.

        After the grace period cheroot shuts the sockets of the workers still busy; a read
        waiting for a piece takes that for a hang-up (hangups.py) and ends within 25 ms.
        cheroot then waits without limit for the workers, so one busy elsewhere is left to
        end on its own.
        """
        if self._thread is None:
            return
        stopper = threading.Thread(target=self._server.stop, name="share-http-stop", daemon=True)
        stopper.start()
        stopper.join(self._server.shutdown_timeout + 2)
        if stopper.is_alive():
            logger.warning("A share request is still running; it will end on its own")
        self._thread.join(2)
        self._thread = None


class ShareServer:
    """WebDAV share and JSON API on one port, with Basic auth (or anonymous) and a bearer token.

    The caller passes the password and token (from the keyring) and optional TMDB look-ups
    (sync callables run on the server's worker threads; see app/share/api.py); `sync` returns
    the app's sync service, or None while there is none (see app/share/api_sync.py). storage_dir is
    where /api/health measures free disk space (default: the torrent service's), started_at
    the app's start time for its uptime (default: now). opener replaces the torrent reader
    (tests serve files from disk). With `artwork` and settings.metadata_files, the tree has
    .nfo files and artwork beside the videos (see tree.py).
    """

    def __init__(
        self,
        settings: ShareSettings,
        library,
        torrents,
        *,
        password: str | None,
        api_token: str | None = None,
        assigner=None,
        tmdb_movie: Callable[[int], NewMovie] | None = None,
        tmdb_show: Callable[[int], NewShow] | None = None,
        sync: Callable[[], SyncService | None] | None = None,
        notify: Callable[[], NotifyService | None] | None = None,
        storage_dir: Path | None = None,
        started_at: float | None = None,
        opener: Opener | None = None,
        artwork: Artwork | None = None,
    ) -> None:
        from app.share.api import ApiApp
        from app.share.streams import TorrentOpener

        self.settings = settings
        self.library = library
        self.torrents = torrents
        self.credentials = Credentials(
            settings.username, password, api_token=api_token, anonymous=settings.anonymous
        )
        self.artwork = artwork if settings.metadata_files else None
        self.live_tree = LiveTree(
            library.active_entries, files_of=self._torrent_files, artwork=self.artwork
        )
        self.opener = opener or TorrentOpener(library, torrents)
        if assigner is None:
            from app.assign import Assigner

            assigner = Assigner(library, torrents)
        self.api = ApiApp(
            library,
            torrents,
            assigner,
            tmdb_movie=tmdb_movie,
            tmdb_show=tmdb_show,
            sync=sync,
            notify=notify,
            urls=self.urls,
            share_path=lambda assignment_id: self.live_tree.current.path_of(assignment_id),
            share_tree=lambda: self.live_tree.current,
            storage_dir=storage_dir,
            started_at=started_at,
        )
        self.throttle = FailureThrottle()  # kept across restarts: a new password is no reset
        self._http: HttpServer | None = None

    def _torrent_files(self, info_hash: str):
        info = self.torrents.get(info_hash)
        return info.files if info is not None else None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on the configured address; raises OSError when the port is taken."""
        if self._http is not None:
            return
        # follow the library only while serving: a stopped server must not rebuild on writes
        self.library.add_listener(self.live_tree.changed)
        if self.artwork is not None:  # downloaded pictures join the tree
            self.artwork.set_listener(self.live_tree.changed)
        self.live_tree.rebuild()
        app = share_app(
            lambda: self.live_tree.current,
            self.opener,
            self.credentials,
            block_size=self.settings.block_size_kib * 1024,
            api=self.api,
            throttle=self.throttle,
        )
        http = HttpServer(
            app,
            self.settings.bind_address,
            self.settings.port,
            threads=self.settings.threads,
            socket_timeout=self.settings.socket_timeout,
        )
        try:
            http.start()
        except OSError:
            self.library.remove_listener(self.live_tree.changed)
            raise
        self._http = http
        logger.info(
            "Share listening on %s:%d (%d workers)", http.host, http.port, self.settings.threads
        )

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None
            self.library.remove_listener(self.live_tree.changed)
            if self.artwork is not None:
                self.artwork.set_listener(None)
            logger.info("Share stopped")

    def restart(
        self,
        settings: ShareSettings | None = None,
        *,
        password: str | None = None,
        api_token: str | None = None,
    ) -> None:
        """Stop, take new settings or secrets, start again on the (new) address."""
        self.stop()
        if settings is not None:
            self.settings = settings
        self.credentials = self.credentials.changed(
            username=self.settings.username,
            password=password,
            api_token=api_token,
            anonymous=self.settings.anonymous,
        )
        self.start()

    @property
    def running(self) -> bool:
        return self._http is not None

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the share is not running")
        return self._http.port

    def urls(self) -> list[str]:
        """Where players can reach the share: loopback first, then this machine's LAN addresses."""
        if self._http is None:
            return []
        return [f"http://{_url_host(host)}:{self.port}/" for host in _addresses(self._http.host)]


def _route(api: WsgiApp, dav: WsgiApp) -> WsgiApp:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/api" or path.startswith(API_PREFIX):
            return api(environ, start_response)
        return dav(environ, start_response)

    return app


def _addresses(bound: str) -> list[str]:
    address = ipaddress.ip_address(bound)
    if not address.is_unspecified:
        return [bound]
    family = 4 if address.version == 4 else 6
    loopback = "127.0.0.1" if family == 4 else "::1"
    found = []
    try:
        interfaces = psutil.net_if_addrs()
    except OSError:
        interfaces = {}
    for entries in interfaces.values():
        for entry in entries:
            try:
                ip = ipaddress.ip_address(entry.address.split("%", 1)[0])
            except ValueError:
                continue
            if ip.version == family and not (ip.is_loopback or ip.is_link_local):
                found.append(str(ip))
    return [loopback, *sorted(set(found))]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
