"""What the engine keeps on disk per torrent, under paths.resume_dir, written atomically.

<hash>.resume      libtorrent resume data (have-pieces, metadata): a restart, even after a
                   kill -9, finds every torrent and re-downloads nothing it already had.
<hash>.state.json  our own per-torrent state: keep_full_copy, last_streamed, and the peers we
                   saw (reconnected at once after a restart, before any announce answers).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class TorrentState:
    keep_full_copy: bool = False
    last_streamed: float | None = None
    peers: list[tuple[str, int]] = field(default_factory=list)


class TorrentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def save_resume(self, info_hash: str, data: bytes) -> None:
        _write_atomic(self.folder / f"{info_hash}.resume", data)

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
        _write_atomic(self.folder / f"{info_hash}.state.json", text.encode())

    def forget(self, info_hash: str) -> None:
        for suffix in (".resume", ".state.json"):
            (self.folder / f"{info_hash}{suffix}").unlink(missing_ok=True)


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
