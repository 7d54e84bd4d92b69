"""Idle mode: quiet torrents nobody streams, and wake them fast on the next read.

After idle_timeout seconds without reads a torrent goes to upload mode (no downloading), after
idle_pause_timeout it is paused. A read wakes it: leave upload mode, resume, reannounce and
reconnect the peers we knew, so the read does not wait for libtorrent's reconnect timers.
A torrent still filling a requested full copy is not idled. Our torrents are not auto-managed
(libtorrent's queue would pause them behind our back), so the active_limit setting is kept
here: beyond it, the least recently read torrents without readers are paused early.
"""

from __future__ import annotations

import logging
import time

import libtorrent as lt

from app.settings import TorrentSettings
from app.torrents.torrent import ACTIVE, IDLE_PAUSED, UPLOAD_ONLY, ManagedTorrent

logger = logging.getLogger(__name__)


def touch(mt: ManagedTorrent, dht: bool) -> bool:
    """Mark a read; wakes the torrent if it was idle or paused. True if it had to wake."""
    mt.last_activity = time.monotonic()
    mt.state.last_streamed = time.time()
    mt.state_dirty = True
    if mt.idle_level == ACTIVE and not mt.user_paused:
        return False
    with mt.lock:
        if mt.idle_level == ACTIVE and not mt.user_paused:
            return False
        wake(mt, dht)
        return True


def wake(mt: ManagedTorrent, dht: bool) -> None:
    was = mt.idle_level
    mt.idle_level = ACTIVE
    mt.user_paused = False
    handle = mt.handle
    handle.unset_flags(lt.torrent_flags.upload_mode | lt.torrent_flags.auto_managed)
    handle.resume()
    tried = mt.reannounce(dht)
    if mt.fetcher is not None:
        # a pause dropped the requests: waiting reads must ask again now, not in 2 s
        mt.fetcher.forget_requests()
    logger.info("Woke %s (idle level %d), reconnecting %d known peers", mt.info_hash, was, tried)


def idle_step(mt: ManagedTorrent, settings: TorrentSettings, now: float) -> int | None:
    """Quiet one torrent if it has been idle long enough; returns the new level if changed."""
    if not settings.idle_enabled or mt.user_paused or mt.info is None or mt.evicting:
        return None
    if mt.fetcher is not None and mt.fetcher.waiting:
        return None
    if mt.state.keep_full_copy and not mt.handle.status().is_finished:
        return None
    quiet = now - mt.last_activity
    with mt.lock:
        if quiet >= settings.idle_pause_timeout and mt.idle_level < IDLE_PAUSED:
            # not auto-managed, or the session's queue would resume it behind our back
            mt.handle.unset_flags(lt.torrent_flags.auto_managed)
            mt.handle.pause()
            mt.idle_level = IDLE_PAUSED
        elif quiet >= settings.idle_timeout and mt.idle_level < UPLOAD_ONLY:
            mt.handle.set_flags(lt.torrent_flags.upload_mode)
            mt.idle_level = UPLOAD_ONLY
        else:
            return None
    if mt.fetcher is not None:
        mt.fetcher.quiet()
        mt.fetcher.drop_cache()
    logger.info("Torrent %s idle for %.0f s: level %d", mt.info_hash, quiet, mt.idle_level)
    return mt.idle_level


def enforce_active_limit(torrents: list[ManagedTorrent], limit: int) -> list[ManagedTorrent]:
    """Pause the least recently read torrents beyond `limit` running ones; returns them."""
    running = [
        mt
        for mt in torrents
        if mt.info is not None
        and mt.idle_level != IDLE_PAUSED
        and not mt.user_paused
        and not mt.evicting
    ]
    spare = [
        mt
        for mt in running
        if not mt.readers
        and not (mt.fetcher and mt.fetcher.waiting)
        and not mt.state.keep_full_copy
    ]
    spare.sort(key=lambda mt: mt.last_activity)
    paused = []
    for mt in spare[: max(0, len(running) - limit)]:
        with mt.lock:
            mt.handle.unset_flags(lt.torrent_flags.auto_managed)
            mt.handle.pause()
            mt.idle_level = IDLE_PAUSED
        if mt.fetcher is not None:
            mt.fetcher.quiet()  # as idle_step: a later wake must not resume the old fetch
            mt.fetcher.drop_cache()
        paused.append(mt)
        logger.info("Paused %s: more than %d torrents active", mt.info_hash, limit)
    return paused
