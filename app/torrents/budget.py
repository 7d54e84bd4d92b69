"""Disk budget: which torrents' data to delete when downloaded data exceeds the budget.

The least recently streamed torrents go first. Torrents being read, and torrents the user
asked to keep in full, are never evicted (their bytes still count towards the total).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Usage:
    info_hash: str
    bytes_on_disk: int
    last_streamed: float | None
    protected: bool  # open readers or keep-full-copy


def choose_evictions(usage: list[Usage], budget_bytes: int) -> list[str]:
    """Info hashes whose data to delete, oldest-streamed first, until the total fits."""
    if budget_bytes <= 0:
        return []
    total = sum(u.bytes_on_disk for u in usage)
    chosen = []
    candidates = sorted(
        (u for u in usage if not u.protected and u.bytes_on_disk > 0),
        key=lambda u: (u.last_streamed or 0.0, u.info_hash),
    )
    for item in candidates:
        if total <= budget_bytes:
            break
        chosen.append(item.info_hash)
        total -= item.bytes_on_disk
    return chosen
