"""TorrentService: the torrent engine's public face (add, find, remove, status, stream).

Everything else in the app talks to torrents through this class. Threads: any thread may call
it; libtorrent's alerts arrive on the engine thread (see engine.py) and reach the handlers this
class registers on an `alerts.AlertRouter`; the periodic work (resume data, idle, health, disk
budget) is `housekeeping.Housekeeping`, resume data `resume.ResumeSaver`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import libtorrent as lt

from app.paths import Paths
from app.settings import TorrentSettings
from app.torrents import idle, sources
from app.torrents.alerts import AlertRouter, info_hash_of
from app.torrents.engine import Engine
from app.torrents.errors import (
    InvalidTorrent,
    MetadataTimeout,
    StorageError,
    TorrentError,
    TorrentNotFound,
    storage_error,
)
from app.torrents.housekeeping import Housekeeping
from app.torrents.pieces import PieceFetcher
from app.torrents.reader import TorrentFileReader
from app.torrents.resume import ResumeSaver
from app.torrents.status import TorrentInfo, TorrentStatus
from app.torrents.store import TorrentStore
from app.torrents.torrent import IDLE_PAUSED, ManagedTorrent

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
_CHECKING = (
    lt.torrent_status.states.checking_files,
    lt.torrent_status.states.checking_resume_data,
)
Listener = Callable[[str, str], None]


class TorrentService:
    def __init__(
        self, settings: TorrentSettings, paths: Paths, *, listen_interface: str | None = None
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.store = TorrentStore(paths.resume_dir)
        self._torrents: dict[str, ManagedTorrent] = {}
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        # where peers can reach us, when libtorrent had to pick another port or failed (the
        # Settings dialog shows it); the port the trackers were last told of
        self.listen_note: str | None = None
        self._announced_port = 0
        self.resume_data = ResumeSaver(self.store, paths.data_dir, self.torrent)
        self._housekeeping = Housekeeping(self)
        self.alerts = AlertRouter()
        self._register_handlers()
        self.engine = Engine(
            settings,
            listen_interface=listen_interface,
            on_alerts=self.alerts.dispatch,
            on_tick=self._housekeeping.tick,
        )
        self._started = False

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the session and bring back every torrent saved before (resume data)."""
        if self._started:
            return
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        unclean = self.store.mark_running()
        self.engine.start()
        self._started = True
        for info_hash, params in self.resume_data.load():
            with self._lock:
                mt = self._insert(info_hash, params, paused=self.settings.start_paused, fresh=False)
            if unclean:
                # after a crash or a kill the files may hold less than the resume data says
                # (or damaged bytes): check every piece, what fails is fetched again on demand
                mt.handle.force_recheck()
        if unclean:
            logger.warning("The last run did not stop cleanly: checking the downloaded data")
        logger.info(
            "Torrent engine listening on port %d with %d torrents",
            self.engine.listen_port(),
            len(self._torrents),
        )

    def stop(self) -> None:
        """Save resume data and per-torrent state, fail waiting reads, stop the session."""
        if not self._started:
            return
        self._started = False
        try:
            self.flush_resume()
        finally:
            with self._lock:
                torrents = list(self._torrents.values())
            for mt in torrents:
                self.save_state(mt)
                if mt.fetcher is not None:
                    mt.fetcher.close("the torrent engine stopped")
            self.engine.stop()
            if self.store.close():
                self.store.mark_stopped()

    def apply_settings(self, settings: TorrentSettings) -> None:
        """Live: limits, discovery, idle, timeouts, budget, listen port. Storage dir applies to
        new torrents."""
        moved = settings.listen_port != self.settings.listen_port
        self.settings = settings
        if moved:
            self.listen_note = None  # until libtorrent says where it listens now
        self.engine.apply(settings)
        for mt in self._all():
            mt.handle.set_max_connections(settings.connections_per_torrent)

    def _on_listening(self, alert: lt.listen_succeeded_alert) -> None:
        """libtorrent listens (again): on a port other than the one asked for when that one is
        taken, silently; say so, and tell the trackers the port peers can reach now (they
        would hear it only at their next announce, up to 30 minutes later)."""
        wanted, port = self.settings.listen_port, alert.port
        if wanted and port != wanted:
            self.listen_note = f"port {wanted} is in use: listening on {port} instead"
            logger.warning("Torrent engine: %s", self.listen_note)
        else:
            self.listen_note = None
        moved, self._announced_port = self._announced_port not in (0, port), port
        if moved:  # not at start: torrents announce then anyway
            for mt in self._all():
                if not mt.handle.status().paused:
                    mt.reannounce(dht=self.settings.dht)

    def _on_listen_failed(self, alert: lt.listen_failed_alert) -> None:
        self.listen_note = f"cannot listen on {alert.address}:{alert.port}: {alert.error.message()}"
        logger.warning("Torrent engine: %s", self.listen_note)

    @property
    def storage_dir(self) -> Path:
        configured = self.settings.storage_dir
        return Path(configured).expanduser() if configured else self.paths.default_storage_dir

    def listen_port(self) -> int:
        return self.engine.listen_port()

    # ---- adding and finding ---------------------------------------------------------------

    @staticmethod
    def parse_source(source: str | bytes) -> str:
        """Validate a magnet link or .torrent data and return its info hash (adds nothing)."""
        return sources.parse_source(source)

    def add(self, source: str | bytes, timeout: float | None = None) -> TorrentInfo:
        """Add a torrent (or join an add in progress) and wait for its metadata."""
        self._require_started()
        info_hash, params = sources.to_params(source)
        with self._lock:
            mt = self._torrents.get(info_hash)
            if mt is None:
                mt = self._insert(info_hash, params, paused=False, fresh=True)
            else:
                if params.peers:
                    mt.remember_peers(params.peers)
                    mt.reconnect()
                if params.ti is not None and mt.info is None:
                    # a .torrent for a magnet still waiting: its metadata ends the wait
                    mt.handle.set_metadata(params.ti.info_section())
        wait = self.settings.add_timeout if timeout is None else timeout
        if not mt.ready.wait(wait):
            self._give_up(
                mt,
                MetadataTimeout(
                    f"no peer sent the metadata of {mt.name or info_hash} within {wait:g} s; "
                    "the torrent may have no seeders"
                ),
            )
        if mt.failure is not None:
            raise type(mt.failure)(str(mt.failure))
        return mt.info

    def get(self, info_hash: str) -> TorrentInfo | None:
        mt = self._torrents.get(sources.normalize_hash(info_hash))
        return mt.info if mt is not None else None

    def get_or_add(self, info_hash: str, source: str | bytes) -> TorrentInfo:
        wanted = sources.normalize_hash(info_hash)
        known = self.get(wanted)
        if known is not None:
            return known
        if sources.parse_source(source) != wanted:
            raise InvalidTorrent(f"the source given for {wanted} is a different torrent")
        return self.add(source)

    def remove(self, info_hash: str, delete_data: bool = False) -> None:
        with self._lock:
            mt = self._torrents.pop(self._hash(info_hash), None)
            if mt is None:
                raise TorrentNotFound(f"torrent {info_hash} is not in the list")
            flags = lt.session.delete_files if delete_data else 0
            self.engine.session.remove_torrent(mt.handle, flags)
            self.store.forget(mt.info_hash)
        self._fail(mt, TorrentNotFound(f"torrent {mt.name or mt.info_hash} was removed"))
        self.emit("removed", mt.info_hash)

    def list(self) -> list[TorrentStatus]:
        return [mt.snapshot() for mt in self._all()]

    def status(self, info_hash: str) -> TorrentStatus:
        return self._get(info_hash).snapshot()

    def magnet(self, info_hash: str) -> str:
        """A magnet link for the torrent: its hash, name, trackers and web seeds (libtorrent's
        own, so a hybrid torrent keeps its v2 hash too); no x.pe peers, which are only where
        this machine found the swarm."""
        return lt.make_magnet_uri(self._get(info_hash).handle)

    # ---- control --------------------------------------------------------------------------

    def pause(self, info_hash: str) -> None:
        mt = self._get(info_hash)
        with mt.lock:
            mt.user_paused = True
            mt.handle.unset_flags(lt.torrent_flags.auto_managed)
            mt.handle.pause()
        self.emit("state", mt.info_hash)

    def resume(self, info_hash: str) -> None:
        mt = self._get(info_hash)
        with mt.lock:
            if mt.error or mt.handle.status(0).errc.value():
                # a user's resume is also the retry after an error; libtorrent keeps the files
                # it opened (a directory where the file should be, say) until told to close them
                mt.handle.flush_cache()
                mt.handle.clear_error()
                mt.error = None
            idle.wake(mt, self.settings.dht)
        mt.last_activity = time.monotonic()
        self.emit("state", mt.info_hash)

    def pause_all(self) -> None:
        for mt in self._all():
            self.pause(mt.info_hash)

    def resume_all(self) -> None:
        for mt in self._all():
            self.resume(mt.info_hash)

    def recheck(self, info_hash: str) -> None:
        self._get(info_hash).handle.force_recheck()

    def reannounce(self, info_hash: str) -> None:
        self._get(info_hash).reannounce(self.settings.dht)

    def set_keep_full_copy(self, info_hash: str, keep: bool) -> None:
        mt = self._get(info_hash)
        mt.state.keep_full_copy = keep
        self.save_state(mt)
        if mt.fetcher is not None:
            mt.fetcher.set_keep_full_copy(keep)
        if keep:
            idle.touch(mt, self.settings.dht)
        mt.mark_resume_dirty()
        self.emit("state", mt.info_hash)

    # ---- streaming ------------------------------------------------------------------------

    def open_file(
        self, info_hash: str, file_index: int, gone: Callable[[], bool] | None = None
    ) -> TorrentFileReader:
        """A reader of one file; `gone` says when its client has left (see the reader)."""
        mt = self._get(info_hash)
        wait = self.settings.read_timeout
        if not mt.ready.wait(wait) or mt.info is None:
            raise TorrentError(f"the metadata of {mt.name or mt.info_hash} is not available yet")
        if not mt.available.wait(wait):
            raise TorrentError(f"{mt.info.name} is being cleaned up; try again")
        file = next((f for f in mt.info.files if f.index == file_index), None)
        if file is None:
            raise TorrentError(f"{mt.info.name} has no file number {file_index}")
        with mt.lock:
            # an eviction may have begun since the wait above: it checks readers under this
            # lock, so either it sees this reader or this reader sees it
            if mt.evicting or mt.failure is not None:
                raise TorrentError(f"{mt.info.name} is being cleaned up; try again")
            mt.readers += 1
            mt.read_files[file_index] += 1
        idle.touch(mt, self.settings.dht)

        def closed() -> None:
            with mt.lock:
                mt.readers -= 1
                mt.read_files[file_index] -= 1
                if not mt.read_files[file_index]:
                    del mt.read_files[file_index]
                mt.open_readers.discard(reader)
            self.save_state(mt)

        reader = TorrentFileReader(
            mt.fetcher,
            file,
            read_timeout=self.settings.read_timeout,
            readahead=self.settings.readahead_mib * MiB,
            background=self.settings.cache_budget_mib * MiB // 2 or None,
            touch=lambda: idle.touch(mt, self.settings.dht),
            on_close=closed,
            gone=gone,
        )
        with mt.lock:
            mt.open_readers.add(reader)
        return reader

    # ---- events ---------------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """callback(event, info_hash): added, removed, metadata, finished, error, stalled,
        recovered, state, evicted. Called on the engine thread, or on the thread calling
        add/remove/pause/...; it must be quick and thread-safe (the GUI queues it to Qt)."""
        self._listeners.append(callback)

    def emit(self, event: str, info_hash: str) -> None:
        for callback in list(self._listeners):
            try:
                callback(event, info_hash)
            except Exception:
                logger.exception("Torrent listener %r failed on %s", callback, event)

    def flush_resume(self, timeout: float = 15.0) -> bool:
        """Save every torrent's resume data now and wait until it is on disk."""
        if self.engine.in_engine_thread():
            raise RuntimeError("flush_resume() would deadlock on the engine thread")
        return self.resume_data.flush_all(self._all(), timeout)

    # ---- alert handlers (engine thread) ---------------------------------------------------

    def _register_handlers(self) -> None:
        handlers = {
            lt.read_piece_alert: self._on_read_piece,
            lt.metadata_received_alert: self._on_metadata_alert,
            lt.piece_finished_alert: self._on_piece_finished,
            lt.torrent_finished_alert: self._on_finished,
            lt.state_changed_alert: self._on_state,
            lt.torrent_checked_alert: self._on_checked,
            lt.torrent_error_alert: self._on_error,
            lt.file_error_alert: self._on_error,
            lt.save_resume_data_alert: self.resume_data.on_saved,
            lt.save_resume_data_failed_alert: self.resume_data.on_failed,
            lt.listen_succeeded_alert: self._on_listening,
            lt.listen_failed_alert: self._on_listen_failed,
            lt.torrent_deleted_alert: self._housekeeping.on_deleted,
            lt.torrent_delete_failed_alert: self._housekeeping.on_deleted,
        }
        for alert_type, handler in handlers.items():
            self.alerts.register(alert_type, handler)

    def _from_alert(self, alert) -> ManagedTorrent | None:
        info_hash = info_hash_of(alert)
        return self._torrents.get(info_hash) if info_hash else None

    def _on_read_piece(self, alert: lt.read_piece_alert) -> None:
        mt = self._from_alert(alert)
        if mt is None or mt.fetcher is None:
            return
        failed = alert.error.value() != 0
        mt.fetcher.on_read(
            alert.piece,
            None if failed else bytes(alert.buffer),
            alert.error.message() if failed else None,
        )

    def _on_metadata_alert(self, alert) -> None:
        mt = self._from_alert(alert)
        if mt is not None:
            self.on_metadata(mt)

    def _on_piece_finished(self, alert: lt.piece_finished_alert) -> None:
        mt = self._from_alert(alert)
        if mt is not None:
            mt.mark_resume_dirty()
            if mt.fetcher is not None:
                mt.fetcher.on_finished(alert.piece_index)

    def _on_finished(self, alert) -> None:
        mt = self._from_alert(alert)
        if mt is not None:
            mt.mark_resume_dirty()
            # libtorrent says "finished" whenever the pieces asked for so far are all here,
            # which on-demand streaming reaches again and again; only a whole torrent counts.
            if mt.handle.status(0).is_seeding:
                self.emit("finished", mt.info_hash)

    def _on_checked(self, alert) -> None:
        mt = self._from_alert(alert)
        if mt is not None and mt.fetcher is not None:
            mt.fetcher.on_checked()

    def _on_state(self, alert) -> None:
        mt = self._from_alert(alert)
        if mt is not None:
            self.emit("state", mt.info_hash)

    def _on_error(self, alert) -> None:
        mt = self._from_alert(alert)
        if mt is None:
            return
        message = alert.message()
        # shown only while libtorrent reports the torrent stopped by an error: one handled
        # after a resume is stale (TorrentStatus.error)
        mt.error = message
        mt.health.record("error", message)
        logger.warning("Torrent %s: %s", mt.info_hash, message)
        self.emit("error", mt.info_hash)

    # ---- internals shared with Housekeeping -----------------------------------------------

    @property
    def session(self) -> lt.session:
        return self.engine.session

    def torrent(self, info_hash: str) -> ManagedTorrent | None:
        return self._torrents.get(info_hash)

    def torrents(self) -> list[ManagedTorrent]:
        return self._all()

    def prepare_params(self, params: lt.add_torrent_params, *, paused: bool) -> None:
        """Upload mode until our priorities are set: a torrent downloads nothing on its own."""
        if not params.save_path:
            params.save_path = str(self.storage_dir)
        flags = params.flags | lt.torrent_flags.upload_mode
        flags &= ~(
            lt.torrent_flags.auto_managed
            | lt.torrent_flags.paused
            | lt.torrent_flags.duplicate_is_error
        )
        if paused:
            flags |= lt.torrent_flags.paused
        params.flags = flags
        params.max_connections = self.settings.connections_per_torrent

    def on_metadata(self, mt: ManagedTorrent) -> None:
        """Metadata is known: set priorities (nothing wanted yet), then leave upload mode."""
        with mt.lock:
            if mt.info is not None:
                return
            ti = mt.handle.torrent_file()
            if ti is None:
                return
            mt.fetcher = PieceFetcher(
                mt.handle, ti.num_pieces(), ti.piece_length(), mt.state.keep_full_copy
            )
            mt.fetcher.nudge = lambda piece: mt.nudge(self.engine, self.settings.dht, piece)
            if ti.info_hashes().has_v1():
                mt.fetcher.piece_hash = lambda piece: ti.hash_for_piece(piece)
            mt.fetcher.on_damaged = lambda piece: self._recheck_damaged(mt, piece)
            mt.fetcher.stopped = lambda: self._stopped_by(mt)
            st = mt.handle.status()
            if st.state not in _CHECKING:
                # checked before the fetcher existed: its torrent_checked_alert is gone, the
                # piece_finished alerts of what was on disk may not be
                mt.fetcher.on_checked(i for i, have in enumerate(st.pieces) if have)
            mt.fetcher.apply_all()
            if mt.idle_level == 0:
                mt.handle.unset_flags(lt.torrent_flags.upload_mode)
            mt.info = sources.info_from(ti, mt.info_hash)
            mt.name = mt.info.name
            mt.mark_resume_dirty()
            mt.ready.set()
        self.emit("metadata", mt.info_hash)

    def _insert(
        self, info_hash: str, params: lt.add_torrent_params, *, paused: bool, fresh: bool
    ) -> ManagedTorrent:
        self.prepare_params(params, paused=paused)
        try:
            handle = self.engine.session.add_torrent(params)
        except RuntimeError as exc:
            raise InvalidTorrent(f"libtorrent refused the torrent: {exc}") from None
        mt = ManagedTorrent(
            info_hash=info_hash,
            handle=handle,
            name=params.name or "",
            state=self.store.load_state(info_hash),
        )
        if paused:
            mt.idle_level = IDLE_PAUSED
        mt.available.set()
        mt.remember_peers([*mt.state.peers, *params.peers])
        self._torrents[info_hash] = mt
        if handle.torrent_file() is not None:
            self.on_metadata(mt)
        if fresh:
            mt.mark_resume_dirty()
            self.save_state(mt)
        self.emit("added", info_hash)
        return mt

    def _stopped_by(self, mt: ManagedTorrent) -> StorageError | None:
        """Why libtorrent has stopped the torrent, in words; None while it runs. Read from its
        status, not from alerts: the status is there whatever order alerts come in."""
        st = mt.handle.status(0)
        if not st.errc.value():
            return None
        folder = Path(mt.handle.status().save_path)  # the default flags include the path
        files, index = (mt.info.files if mt.info else ()), st.error_file
        # libtorrent's index counts pad files, which TorrentInfo.files leaves out
        file = next((f for f in files if f.index == index), None)
        path = folder / file.path if file is not None else folder
        return storage_error(st.errc.value(), st.errc.message(), str(path))

    def _recheck_damaged(self, mt: ManagedTorrent, piece: int) -> None:
        """A piece on disk failed its hash: have libtorrent check the whole torrent (every
        piece that fails is then missing and fetched again when read)."""
        if mt.handle.status(0).state in _CHECKING:
            return
        mt.health.record("damaged", f"piece {piece} on disk did not match its hash: rechecking")
        logger.warning("Torrent %s: damaged data on disk, checking every piece", mt.info_hash)
        mt.handle.force_recheck()

    def _give_up(self, mt: ManagedTorrent, failure: TorrentError) -> None:
        """An add timed out: drop the torrent unless its metadata arrived meanwhile."""
        with self._lock:
            if mt.info is not None or self._torrents.get(mt.info_hash) is not mt:
                return
            del self._torrents[mt.info_hash]
            self.engine.session.remove_torrent(mt.handle)
            self.store.forget(mt.info_hash)
        self._fail(mt, failure)
        self.emit("removed", mt.info_hash)

    def _fail(self, mt: ManagedTorrent, failure: TorrentError) -> None:
        mt.failure = failure
        mt.ready.set()
        mt.available.set()
        if mt.fetcher is not None:
            mt.fetcher.close(str(failure))

    def save_state(self, mt: ManagedTorrent) -> None:
        if self._torrents.get(mt.info_hash) is not mt:
            return
        mt.state_dirty = False
        self.store.save_state(mt.info_hash, mt.state)  # queued; the writer logs a failure

    def _get(self, info_hash: str) -> ManagedTorrent:
        mt = self._torrents.get(self._hash(info_hash))
        if mt is None:
            raise TorrentNotFound(f"torrent {info_hash} is not in the list")
        return mt

    def _hash(self, info_hash: str) -> str:
        try:
            return sources.normalize_hash(info_hash)
        except InvalidTorrent:
            raise TorrentNotFound(f"{info_hash!r} is not a known torrent") from None

    def _all(self) -> list[ManagedTorrent]:
        with self._lock:
            return list(self._torrents.values())

    def _require_started(self) -> None:
        if not self._started:
            raise TorrentError("the torrent engine is not running")
