"""What runs on the engine thread: alert handling and the once-a-second housekeeping.

Alerts: piece bytes to the fetchers, metadata, resume data to disk, errors into health
history, deletions finishing a disk-budget eviction. Housekeeping: resume data shortly after
changes and every minute, per-torrent state, idle mode, stall detection, the disk budget.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import libtorrent as lt

from app.torrents import idle
from app.torrents.budget import Usage, choose_evictions
from app.torrents.sources import hash_of
from app.torrents.torrent import ManagedTorrent

if TYPE_CHECKING:
    from app.torrents.service import TorrentService

logger = logging.getLogger(__name__)

RESUME_DEBOUNCE = 2.0  # seconds after a change before resume data is saved
RESUME_EVERY = 60.0
STATE_EVERY = 5.0
PEERS_EVERY = 2.0  # often: a quiet torrent's seeders may drop us soon after we met them
BUDGET_EVERY = 5.0
# flush first: libtorrent reports pieces before their bytes reach the file, and resume data
# claiming unwritten pieces would serve garbage after a crash
_SAVE_FLAGS = lt.save_resume_flags_t.save_info_dict | lt.save_resume_flags_t.flush_disk_cache


class Runtime:
    def __init__(self, service: TorrentService) -> None:
        self.service = service
        self._saves_cond = threading.Condition()
        self._last = {"resume": time.monotonic(), "state": 0.0, "peers": 0.0, "budget": 0.0}

    # ---- alerts ---------------------------------------------------------------------------

    def on_alerts(self, alerts: list) -> None:
        for alert in alerts:
            handler = _HANDLERS.get(type(alert))
            if handler is not None:
                handler(self, alert)

    def _mt(self, alert) -> ManagedTorrent | None:
        hashes = getattr(alert, "info_hashes", None)
        if hashes is None:
            try:
                hashes = alert.handle.info_hashes()
            except RuntimeError:
                return None
        return self.service.torrent(hash_of(hashes))

    def _read_piece(self, alert: lt.read_piece_alert) -> None:
        mt = self._mt(alert)
        if mt is None or mt.fetcher is None:
            return
        failed = alert.error.value() != 0
        mt.fetcher.on_read(
            alert.piece,
            None if failed else bytes(alert.buffer),
            alert.error.message() if failed else None,
        )

    def _metadata(self, alert) -> None:
        mt = self._mt(alert)
        if mt is not None:
            self.service.on_metadata(mt)

    def _piece_finished(self, alert: lt.piece_finished_alert) -> None:
        mt = self._mt(alert)
        if mt is not None:
            mt.mark_resume_dirty()
            if mt.fetcher is not None:
                mt.fetcher.on_finished(alert.piece_index)

    def _finished(self, alert) -> None:
        mt = self._mt(alert)
        if mt is not None:
            mt.mark_resume_dirty()
            # libtorrent says "finished" whenever the pieces asked for so far are all here,
            # which on-demand streaming reaches again and again; only a whole torrent counts.
            if mt.handle.status(0).is_seeding:
                self.service.emit("finished", mt.info_hash)

    def _state(self, alert) -> None:
        mt = self._mt(alert)
        if mt is not None:
            self.service.emit("state", mt.info_hash)

    def _error(self, alert) -> None:
        mt = self._mt(alert)
        if mt is None:
            return
        mt.error = alert.message()
        mt.health.record("error", mt.error)
        logger.warning("Torrent %s: %s", mt.info_hash, mt.error)
        self.service.emit("error", mt.info_hash)

    def _resume_saved(self, alert: lt.save_resume_data_alert) -> None:
        info_hash = hash_of(alert.params.info_hashes)
        mt = self.service.torrent(info_hash)
        # a save can land after a removal: writing it would resurrect the torrent
        if mt is None:
            return
        try:
            self.service.store.save_resume(info_hash, lt.write_resume_data_buf(alert.params))
        except OSError as exc:
            logger.error("Cannot save resume data of %s: %s", info_hash, exc)
        # resume data lists only pieces already written, the status also those still in
        # the write queue: save again until they agree, or a restart fetches them again
        mt.resume_pieces = sum(alert.params.have_pieces)
        if mt.resume_pieces < mt.pieces_seen:
            mt.mark_resume_dirty()
        self._save_finished(mt)

    def _resume_failed(self, alert) -> None:
        logger.debug("Resume data not saved: %s", alert.message())
        mt = self._mt(alert)
        if mt is not None:
            self._save_finished(mt)

    def _deleted(self, alert) -> None:
        mt = self._mt(alert)
        if mt is not None and mt.evicting:
            self._readd(mt)

    # ---- resume data ----------------------------------------------------------------------

    def save(self, mt: ManagedTorrent) -> None:
        """Ask for resume data. One save per torrent is in flight at a time: with the disk
        flush, two saves can complete out of order and an old one would overwrite a new one."""
        mt.resume_dirty_at = None
        try:
            mt.pieces_seen = mt.handle.status().num_pieces
        except RuntimeError:  # removed meanwhile
            return
        with self._saves_cond:
            mt.saves_wanted += 1
            if mt.saving:
                return
            mt.saving = True
        self._issue(mt)

    def _issue(self, mt: ManagedTorrent) -> None:
        mt.saves_issued = mt.saves_wanted
        try:
            mt.handle.save_resume_data(_SAVE_FLAGS)
        except RuntimeError:  # the handle died (removed): nothing left to save
            self._save_finished(mt)

    def _save_finished(self, mt: ManagedTorrent) -> None:
        with self._saves_cond:
            mt.saves_done = mt.saves_issued
            again = mt.saves_wanted > mt.saves_done
            mt.saving = again
            self._saves_cond.notify_all()
        if again:
            self._issue(mt)

    def save_all(self, torrents: list[ManagedTorrent], timeout: float) -> bool:
        """Save every torrent's resume data and wait until it holds every piece we have."""
        deadline = time.monotonic() + timeout
        pending = [mt for mt in torrents if not mt.evicting]
        while True:
            targets = []
            for mt in pending:
                self.save(mt)
                targets.append((mt, mt.saves_wanted))

            def written(targets=targets) -> bool:
                return all(
                    mt.saves_done >= wanted or self.service.torrent(mt.info_hash) is not mt
                    for mt, wanted in targets
                )

            with self._saves_cond:
                done = self._saves_cond.wait_for(written, max(0.0, deadline - time.monotonic()))
            pending = [
                mt
                for mt, _ in targets
                if mt.resume_pieces < mt.pieces_seen and self.service.torrent(mt.info_hash)
            ]
            if not done or not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.05)  # let the disk thread write the pieces still queued
        if not done or pending:
            logger.warning("Resume data of some torrents was not saved within %.0f s", timeout)
        return done and not pending

    # ---- housekeeping ---------------------------------------------------------------------

    def tick(self) -> None:
        now = time.monotonic()
        settings = self.service.settings
        every = self._due(now)
        for mt in self.service.torrents():
            if mt.evicting:
                continue
            if (
                mt.resume_dirty_at is not None
                and now - mt.resume_dirty_at >= RESUME_DEBOUNCE
                or "resume" in every
                and mt.handle.need_save_resume_data()
            ):
                self.save(mt)
            if mt.state_dirty and "state" in every:
                self.service.save_state(mt)
            if idle.idle_step(mt, settings, now) is not None:
                self.service.save_state(mt)
                self.service.emit("state", mt.info_hash)
            self._check_health(mt, now)
            if "peers" in every and mt.idle_level == idle.ACTIVE:
                mt.remember_peers(p.ip for p in mt.handle.get_peer_info())
        for mt in idle.enforce_active_limit(self.service.torrents(), settings.active_limit):
            self.service.emit("state", mt.info_hash)
        if "budget" in every and settings.cache_budget_mib > 0:
            self._enforce_budget(settings.cache_budget_mib * 1024 * 1024)

    def _due(self, now: float) -> set[str]:
        periods = {
            "resume": RESUME_EVERY,
            "state": STATE_EVERY,
            "peers": PEERS_EVERY,
            "budget": BUDGET_EVERY,
        }
        due = {name for name, period in periods.items() if now - self._last[name] >= period}
        for name in due:
            self._last[name] = now
        return due

    def _check_health(self, mt: ManagedTorrent, now: float) -> None:
        fetcher = mt.fetcher
        if fetcher is None:
            return
        wants = fetcher.waiting > 0
        progress = None
        if wants or mt.state.keep_full_copy or mt.health.stalled:
            st = mt.handle.status()
            wants = wants or (
                mt.state.keep_full_copy
                and not st.is_finished
                and not mt.user_paused
                and mt.idle_level == idle.ACTIVE
            )
            progress = (st.total_payload_download, st.num_pieces, fetcher.delivered)
        verdict = mt.health.check(wants, progress, now, self.service.settings.stall_timeout)
        if verdict in ("stalled", "retry"):
            self._recover(mt)
            if verdict == "stalled":
                self.service.emit("stalled", mt.info_hash)
        elif verdict == "recovered":
            self.service.emit("recovered", mt.info_hash)

    def _recover(self, mt: ManagedTorrent) -> None:
        tried = mt.reannounce(self.service.settings.dht)
        if mt.fetcher is not None:
            mt.fetcher.forget_requests()
        mt.health.record("recovery", f"reannounced and reconnecting {tried} known peers")
        logger.warning(
            "Torrent %s stalled: reannounced, reconnecting %d peers", mt.info_hash, tried
        )

    # ---- disk budget ----------------------------------------------------------------------

    def _enforce_budget(self, budget: int) -> None:
        usage = []
        for mt in self.service.torrents():
            if mt.info is None or mt.evicting:
                continue
            st = mt.handle.status()
            protected = (
                mt.readers > 0 or mt.state.keep_full_copy or bool(mt.fetcher and mt.fetcher.waiting)
            )
            usage.append(Usage(mt.info_hash, int(st.total_done), mt.state.last_streamed, protected))
        for info_hash in choose_evictions(usage, budget):
            mt = self.service.torrent(info_hash)
            if mt is not None:
                self._evict(mt)

    def _evict(self, mt: ManagedTorrent) -> None:
        """Delete a torrent's data: remove it with its files, re-add it when they are gone."""
        with mt.lock:
            if mt.readers:
                return
            mt.evicting = True
            mt.available.clear()
            mt.evicted_ti = mt.handle.torrent_file()
            if mt.fetcher is not None:
                mt.fetcher.drop_cache()
            self.service.engine.session.remove_torrent(mt.handle, lt.session.delete_files)
        logger.info("Disk budget: deleting the data of %s", mt.info_hash)

    def _readd(self, mt: ManagedTorrent) -> None:
        params = lt.add_torrent_params()
        params.ti = mt.evicted_ti
        params.save_path = str(self.service.storage_dir)
        self.service.prepare_params(params, paused=mt.idle_level == idle.IDLE_PAUSED)
        params.peers = list(mt.known_peers)
        with mt.lock:
            mt.handle = self.service.engine.session.add_torrent(params)
            if mt.fetcher is not None:
                mt.fetcher.rebind(mt.handle)
            if mt.idle_level == idle.ACTIVE:
                mt.handle.unset_flags(lt.torrent_flags.upload_mode)
            mt.evicting = False
            mt.evicted_ti = None
            mt.available.set()
        mt.health.record("evicted", "data deleted to stay within the disk budget")
        self.save(mt)
        self.service.emit("evicted", mt.info_hash)


_HANDLERS = {
    lt.read_piece_alert: Runtime._read_piece,
    lt.metadata_received_alert: Runtime._metadata,
    lt.piece_finished_alert: Runtime._piece_finished,
    lt.torrent_finished_alert: Runtime._finished,
    lt.state_changed_alert: Runtime._state,
    lt.torrent_error_alert: Runtime._error,
    lt.file_error_alert: Runtime._error,
    lt.save_resume_data_alert: Runtime._resume_saved,
    lt.save_resume_data_failed_alert: Runtime._resume_failed,
    lt.torrent_deleted_alert: Runtime._deleted,
    lt.torrent_delete_failed_alert: Runtime._deleted,
}
