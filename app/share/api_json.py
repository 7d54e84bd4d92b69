"""How the API shows library rows and torrent snapshots as JSON (plain dicts, ISO dates)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

logger = logging.getLogger(__name__)


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def movie(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "year": row.year,
        "tmdb_id": row.tmdb_id,
        "imdb_id": row.imdb_id,
        "overview": row.overview,
        "poster_path": row.poster_path,
        "added_at": _when(row.added_at),
    }


def show(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "year": row.year,
        "tmdb_id": row.tmdb_id,
        "imdb_id": row.imdb_id,
        "overview": row.overview,
        "poster_path": row.poster_path,
        "added_at": _when(row.added_at),
    }


def season(row) -> dict[str, Any]:
    return {"id": row.id, "number": row.number, "name": row.name, "air_date": _when(row.air_date)}


def episode(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "display_title": row.display_title,
        "air_date": _when(row.air_date),
    }


def assignment(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "item_type": row.item_type,
        "item_id": row.item_id,
        "source_kind": row.source_kind,  # "torrent", or "local": a file on disk at local_path
        "info_hash": row.info_hash or None,
        "local_path": row.local_path,
        "file_index": row.file_index,
        "file_path": row.file_path,
        "file_size": row.file_size,
        "resolution": row.resolution,
        "source": row.source,
        "active": bool(row.active),
        "created_at": _when(row.created_at),
    }


def torrent_file(file) -> dict[str, Any]:
    return {"index": file.index, "path": file.path, "size": file.size}


def torrent_status(status, *, detail: bool = False) -> dict[str, Any]:
    data = {
        "info_hash": status.info_hash,
        "name": status.name,
        "total_size": status.total_size,
        "progress": round(status.progress, 4),
        "state": status.state,
        "paused": status.paused,
        "download_rate": status.download_rate,
        "upload_rate": status.upload_rate,
        "peers": status.peers,
        "seeds": status.seeds,
        "pieces_done": status.pieces_done,
        "num_pieces": status.num_pieces,
        "error": status.error,
        "stalled": status.stalled,
        "waiting": status.waiting,
        "keep_full_copy": status.keep_full_copy,
        "active_readers": status.active_readers,
        # the piece at each open reader's position, sorted: where the players are reading
        "reading_pieces": list(status.reading_pieces),
        "last_streamed": status.last_streamed,
    }
    if detail:
        # one character per piece: 0 missing, 1 have, 2 being fetched
        data["pieces"] = (
            "".join(str(p) for p in status.pieces) if status.pieces is not None else None
        )
        data["health"] = [
            {"time": e.time, "kind": e.kind, "message": e.message} for e in status.health
        ]
    return data
