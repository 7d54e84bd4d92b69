"""The engine's periodic work, run on the engine thread about once a second.

Resume data shortly after changes and every minute, per-torrent state, idle mode, stall
detection and recovery, the disk budget (evicting a torrent's data, then re-adding it). It
works on the service through the narrow `Host` protocol below, so it imports nothing of it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

import libtorrent as lt

from app.settings import TorrentSettings
from app.torrents import idle
from app.torrents.alerts import info_hash_of
from app.torrents.budget import Usage, choose_evictions
from app.torrents.resume import ResumeSaver
from app.torrents.torrent import ManagedTorrent

logger = logging.getLogger(__name__)

RESUME_DEBOUNCE = 2.0  # seconds after a change before resume data is saved
RESUME_EVERY = 60.0
STATE_EVERY = 5.0
PEERS_EVERY = 2.0  # often: a quiet torrent's seeders may drop us soon after we met them
BUDGET_EVERY = 5.0


class Host(Protocol):
    """What housekeeping needs of the torrent service."""

    settings: TorrentSettings
    resume_data: ResumeSaver

    @property
    def session(self) -> lt.session: ...

    @property
    def storage_dir(self) -> Path: ...

    def torrents(self) -> list[ManagedTorrent]: ...

    def torrent(self, info_hash: str) -> ManagedTorrent | None: ...

    def save_state(self, mt: ManagedTorrent) -> None: ...

    def emit(self, event: str, info_hash: str) -> None: ...

    def prepare_params(self, params: lt.add_torrent_params, *, paused: bool) -> None: ...


class Housekeeping:
    def __init__(self, host: Host) -> None:
        self.host = host
        self._last = {"resume": time.monotonic(), "state": 0.0, "peers": 0.0, "budget": 0.0}

    def on_deleted(self, alert) -> None:
        """An eviction's files are gone (or could not be deleted): add the torrent again."""
        info_hash = info_hash_of(alert)
        mt = self.host.torrent(info_hash) if info_hash else None
        if mt is not None and mt.evicting:
            self._readd(mt)

    # ---- housekeeping ---------------------------------------------------------------------

    def tick(self) -> None:
        now = time.monotonic()
        settings = self.host.settings
        every = self._due(now)
        for mt in self.host.torrents():
            if mt.evicting:
                continue
            if (
                mt.resume_dirty_at is not None
                and now - mt.resume_dirty_at >= RESUME_DEBOUNCE
                or "resume" in every
                and mt.handle.need_save_resume_data()
            ):
                self.host.resume_data.save(mt)
            if mt.state_dirty and "state" in every:
                self.host.save_state(mt)
            if idle.idle_step(mt, settings, now) is not None:
                self.host.save_state(mt)
                self.host.emit("state", mt.info_hash)
            self._check_health(mt, now)
            if "peers" in every and mt.idle_level == idle.ACTIVE:
                mt.remember_peers(p.ip for p in mt.handle.get_peer_info())
        for mt in idle.enforce_active_limit(self.host.torrents(), settings.active_limit):
            self.host.emit("state", mt.info_hash)
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
        settings = self.host.settings
        limit = settings.stall_timeout
        if fetcher.waiting:
            # a player gives up at the read timeout: recover well before it, not after
            limit = min(limit, max(2.0, settings.read_timeout / 2))
        verdict = mt.health.check(wants, progress, now, limit)
        if verdict in ("stalled", "retry"):
            self._recover(mt)
            if verdict == "stalled":
                self.host.emit("stalled", mt.info_hash)
        elif verdict == "recovered":
            self.host.emit("recovered", mt.info_hash)

    def _recover(self, mt: ManagedTorrent) -> None:
        tried = mt.reannounce(self.host.settings.dht)
        if mt.fetcher is not None:
            mt.fetcher.forget_requests()
        mt.health.record("recovery", f"reannounced and reconnecting {tried} known peers")
        logger.warning(
            "Torrent %s stalled: reannounced, reconnecting %d peers", mt.info_hash, tried
        )

    # ---- disk budget ----------------------------------------------------------------------

    def _enforce_budget(self, budget: int) -> None:
        usage = []
        for mt in self.host.torrents():
            if mt.info is None or mt.evicting:
                continue
            st = mt.handle.status()
            protected = (
                mt.readers > 0 or mt.state.keep_full_copy or bool(mt.fetcher and mt.fetcher.waiting)
            )
            usage.append(Usage(mt.info_hash, int(st.total_done), mt.state.last_streamed, protected))
        for info_hash in choose_evictions(usage, budget):
            mt = self.host.torrent(info_hash)
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
            self.host.session.remove_torrent(mt.handle, lt.session.delete_files)
        logger.info("Disk budget: deleting the data of %s", mt.info_hash)

    def _readd(self, mt: ManagedTorrent) -> None:
        params = lt.add_torrent_params()
        params.ti = mt.evicted_ti
        params.save_path = str(self.host.storage_dir)
        self.host.prepare_params(params, paused=mt.idle_level == idle.IDLE_PAUSED)
        params.peers = list(mt.known_peers)
        with mt.lock:
            mt.handle = self.host.session.add_torrent(params)
            if mt.fetcher is not None:
                mt.fetcher.rebind(mt.handle)
            if mt.idle_level == idle.ACTIVE:
                mt.handle.unset_flags(lt.torrent_flags.upload_mode)
            mt.evicting = False
            mt.evicted_ti = None
            mt.available.set()
        mt.health.record("evicted", "data deleted to stay within the disk budget")
        self.host.resume_data.save(mt)
        self.host.emit("evicted", mt.info_hash)
