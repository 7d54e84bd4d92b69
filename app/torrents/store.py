"""What the engine keeps on disk per torrent, under paths.resume_dir, written atomically.

<hash>.resume      libtorrent resume data (have-pieces, metadata): a restart, even after a
                   kill -9, finds every torrent and re-downloads nothing it already had.
<hash>.state.json  our own per-torrent state: keep_full_copy, last_streamed, and the peers we
                   saw (reconnected at once after a restart, before any announce answers).
running            exists while the engine runs: found at start, the last run did not stop
                   cleanly and what the resume data claims must be checked (see service.start).

Writes are fsync'd, which can take long on a busy disk, so they run on one writer thread of
their own rather than on the engine thread that delivers pieces to players; a newer write of a
file replaces one still queued.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class TorrentState:
    keep_full_copy: bool = False
    last_streamed: float | None = None
    peers: list[tuple[str, int]] = field(default_factory=list)


Written = Callable[[bool], None]  # called on the writer thread: True if the file is on disk


class TorrentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer = _Writer()

    def save_resume(self, info_hash: str, data: bytes, written: Written | None = None) -> None:
        self._writer.put(self.folder / f"{info_hash}.resume", data, written)

    def resume_files(self) -> dict[str, bytes]:
        """Every saved torrent's resume data by info hash; unreadable files are skipped."""
        found = {}
        for path in sorted(self.folder.glob("*.resume")):
            try:
                found[path.stem] = path.read_bytes()
            except OSError as exc:
                logger.warning("Cannot read resume data %s: %s", path, exc)
        return found

    def load_state(self, info_hash: str) -> TorrentState:
        path = self.folder / f"{info_hash}.state.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return TorrentState(
                keep_full_copy=bool(data.get("keep_full_copy", False)),
                last_streamed=_float_or_none(data.get("last_streamed")),
                peers=_peers(data.get("peers", [])),
            )
        except FileNotFoundError:
            return TorrentState()
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            logger.warning("Ignoring unreadable torrent state %s: %s", path, exc)
            return TorrentState()

    def save_state(self, info_hash: str, state: TorrentState) -> None:
        text = json.dumps(asdict(state), sort_keys=True)
        self._writer.put(self.folder / f"{info_hash}.state.json", text.encode(), None)

    def forget(self, info_hash: str) -> None:
        """Delete a torrent's files now, and any write of them still queued."""
        for suffix in (".resume", ".state.json"):
            path = self.folder / f"{info_hash}{suffix}"
            self._writer.drop(path)
            path.unlink(missing_ok=True)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued write is on disk; False if that took longer than timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = 30.0) -> bool:
        """Flush, then end the writer thread (a later write starts a new one)."""
        return self._writer.close(timeout)

    # ---- the clean-stop marker -----------------------------------------------------------

    def mark_running(self) -> bool:
        """Note that the engine runs; returns True if the last run did not stop cleanly."""
        marker = self.folder / "running"
        unclean = marker.exists()
        marker.touch()
        return unclean

    def mark_stopped(self) -> None:
        (self.folder / "running").unlink(missing_ok=True)


class _Writer:
    """One daemon thread writing files in the background, newest content per path."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[Path, tuple[bytes, list[Written]]] = {}
        self._busy: Path | None = None  # the path being written
        self._thread: threading.Thread | None = None

    def put(self, path: Path, data: bytes, written: Written | None) -> None:
        """Queue data for path; written(ok) is called once it is done."""
        with self._cond:
            _, callbacks = self._pending.pop(path, (b"", []))
            if written is not None:
                callbacks.append(written)
            self._pending[path] = (data, callbacks)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="torrent-store-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def drop(self, path: Path) -> None:
        """Forget a queued write of path, and wait for one in progress."""
        with self._cond:
            self._pending.pop(path, None)
            self._cond.wait_for(lambda: self._busy != path)

    def flush(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float) -> bool:
        """End the thread once the queue is empty; if that takes too long it stays (a second
        writer must never run beside it)."""
        if not self.flush(timeout):
            return False
        with self._cond:
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
        return True

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._thread is not me)
                if not self._pending:
                    return  # closed
                path = next(iter(self._pending))
                data, callbacks = self._pending.pop(path)
                self._busy = path
            ok = _apply(path, data)
            for written in callbacks:
                try:
                    written(ok)
                except Exception:
                    logger.exception("After writing %s", path)
            with self._cond:
                self._busy = None
                self._cond.notify_all()


def _apply(path: Path, data: bytes) -> bool:
    try:
        _write_atomic(path, data)
        return True
    except OSError as exc:
        logger.error("Cannot write %s: %s", path, exc)
        return False


def _peers(value: object) -> list[tuple[str, int]]:
    return [(str(ip), int(port)) for ip, port in value]  # bad shapes raise ValueError/TypeError


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
