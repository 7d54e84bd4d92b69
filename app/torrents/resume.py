"""Resume data: asked of libtorrent, written by the store, read back at start.

One save per torrent is in flight at a time: with the disk flush, two saves can complete out of
order and an old one would overwrite a new one. A save counts as done once its file is on disk
(the store writes on its own thread), which is what flush_all() waits for at shutdown.

A torrent stored under the data folder is saved with its path relative to that folder, so a
data folder copied or moved elsewhere reads its own files rather than the original's.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import libtorrent as lt

from app.torrents.alerts import info_hash_of
from app.torrents.sources import hash_of
from app.torrents.store import TorrentStore
from app.torrents.torrent import ManagedTorrent

logger = logging.getLogger(__name__)

# flush first: libtorrent reports pieces before their bytes reach the file, and resume data
# claiming unwritten pieces would serve garbage after a crash
_SAVE_FLAGS = lt.save_resume_flags_t.save_info_dict | lt.save_resume_flags_t.flush_disk_cache


class ResumeSaver:
    def __init__(
        self,
        store: TorrentStore,
        data_dir: Path,
        lookup: Callable[[str], ManagedTorrent | None],
    ) -> None:
        self.store = store
        self.data_dir = Path(data_dir)
        self._lookup = lookup
        self._cond = threading.Condition()

    # ---- reading back ---------------------------------------------------------------------

    def load(self) -> list[tuple[str, lt.add_torrent_params]]:
        """Every saved torrent whose resume data is readable and really is that torrent."""
        found = []
        for info_hash, data in self.store.resume_files().items():
            try:
                params = lt.read_resume_data(data)
            except RuntimeError as exc:
                logger.warning("Skipping unreadable resume data of %s: %s", info_hash, exc)
                continue
            actual = hash_of(params.info_hashes)
            if actual != info_hash:
                logger.warning(
                    "Skipping resume data %s.resume: it holds torrent %s", info_hash, actual
                )
                continue
            if params.save_path and not os.path.isabs(params.save_path):
                params.save_path = str(self.data_dir / params.save_path)
            found.append((info_hash, params))
        return found

    # ---- saving ---------------------------------------------------------------------------

    def save(self, mt: ManagedTorrent) -> None:
        """Ask libtorrent for resume data; on_saved() writes it."""
        mt.resume_dirty_at = None
        try:
            mt.pieces_seen = mt.handle.status().num_pieces
        except RuntimeError:  # removed meanwhile
            return
        with self._cond:
            mt.saves_wanted += 1
            if mt.saving:
                return
            mt.saving = True
        self._issue(mt)

    def on_saved(self, alert: lt.save_resume_data_alert) -> None:
        params = alert.params
        info_hash = hash_of(params.info_hashes)
        mt = self._lookup(info_hash)
        # a save can land after a removal: writing it would resurrect the torrent
        if mt is None:
            return
        params.save_path = self._portable(params.save_path)
        # resume data lists only pieces already written, the status also those still in the
        # write queue: save again until they agree, or a restart fetches them again
        have = sum(params.have_pieces)

        def written(ok: bool) -> None:
            if ok:
                mt.resume_pieces = have
            if not ok or have < mt.pieces_seen:
                mt.mark_resume_dirty()
            self._finished(mt)

        self.store.save_resume(info_hash, lt.write_resume_data_buf(params), written)

    def on_failed(self, alert) -> None:
        logger.debug("Resume data not saved: %s", alert.message())
        info_hash = info_hash_of(alert)
        mt = self._lookup(info_hash) if info_hash else None
        if mt is not None:
            self._finished(mt)

    def flush_all(self, torrents: list[ManagedTorrent], timeout: float) -> bool:
        """Save every torrent's resume data and wait until it is on disk with every piece we
        have."""
        deadline = time.monotonic() + timeout
        pending = [mt for mt in torrents if not mt.evicting]
        while True:
            targets = []
            for mt in pending:
                self.save(mt)
                targets.append((mt, mt.saves_wanted))

            def written(targets=targets) -> bool:
                return all(
                    mt.saves_done >= wanted or self._lookup(mt.info_hash) is not mt
                    for mt, wanted in targets
                )

            with self._cond:
                done = self._cond.wait_for(written, max(0.0, deadline - time.monotonic()))
            pending = [
                mt
                for mt, _ in targets
                if mt.resume_pieces < mt.pieces_seen and self._lookup(mt.info_hash)
            ]
            if not done or not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.05)  # let the disk thread write the pieces still queued
        if not done or pending:
            logger.warning("Resume data of some torrents was not saved within %.0f s", timeout)
        return done and not pending

    def _issue(self, mt: ManagedTorrent) -> None:
        mt.saves_issued = mt.saves_wanted
        try:
            mt.handle.save_resume_data(_SAVE_FLAGS)
        except RuntimeError:  # the handle died (removed): nothing left to save
            self._finished(mt)

    def _finished(self, mt: ManagedTorrent) -> None:
        with self._cond:
            mt.saves_done = mt.saves_issued
            again = mt.saves_wanted > mt.saves_done
            mt.saving = again
            self._cond.notify_all()
        if again:
            self._issue(mt)

    def _portable(self, save_path: str) -> str:
        path = Path(save_path)
        try:
            return str(path.relative_to(self.data_dir))
        except ValueError:  # a storage folder of the user's own, outside the data folder
            return save_path
