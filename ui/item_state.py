"""What a library item's source is doing, in the words the views show.

An item has no source, or an active assignment whose torrent has a live status (or none yet,
before the engine re-adds it on the first read). Progress is the torrent's: torrents download
on demand, so "downloading" means bytes are arriving right now. Nobody reading while bytes
arrive is background work (the readahead or a full copy the user asked for), not a problem:
it is worded "fetching ahead" and shown in a neutral grey, not in a warning colour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

logger = logging.getLogger(__name__)

NOT_ASSIGNED, READY, STREAMING, DOWNLOADING, ERROR = (
    "not assigned",
    "ready",
    "streaming",
    "downloading",
    "error",
)

COLORS = {
    NOT_ASSIGNED: QColor("#8a8f98"),
    READY: QColor("#2e9b4f"),
    STREAMING: QColor("#2f7fd8"),
    DOWNLOADING: QColor("#8a8f98"),  # background work: as quiet as "not assigned"
    ERROR: QColor("#d0413c"),
}


@dataclass(frozen=True)
class ItemState:
    kind: str
    text: str

    @property
    def color(self) -> QColor:
        return COLORS[self.kind]


def item_state(info_hash: str | None, status: Any, file_index: int | None = None) -> ItemState:
    """The state of an item whose active assignment uses `info_hash` (None: no source).

    `file_index` is the item's file in the torrent: in a season pack only the episode being
    played is streaming, not all of them.
    """
    if not info_hash:
        return ItemState(NOT_ASSIGNED, "not assigned")
    if status is None:
        return ItemState(READY, "ready")
    if status.error:
        return ItemState(ERROR, f"error: {status.error}")
    not_this_file = file_index is not None and file_index not in status.streaming_files
    if status.active_readers and not not_this_file:
        return ItemState(STREAMING, "streaming")
    if status.streaming_files and not_this_file:
        return ItemState(READY, "ready")  # the bytes arriving are another episode's
    if status.download_rate > 0 and status.progress < 1:
        doing = "downloading a full copy" if status.keep_full_copy else "fetching ahead"
        return ItemState(DOWNLOADING, f"{doing} {int(status.progress * 100)} %")
    return ItemState(READY, "ready")


def aggregate(states: list[ItemState]) -> ItemState:
    """One state for a show or season: the most urgent of its episodes'."""
    if not states:
        return ItemState(NOT_ASSIGNED, "no episodes")
    for kind in (ERROR, STREAMING, DOWNLOADING):
        found = [state for state in states if state.kind == kind]
        if found:
            return found[0]
    assigned = sum(state.kind != NOT_ASSIGNED for state in states)
    if not assigned:
        return ItemState(NOT_ASSIGNED, "not assigned")
    return ItemState(READY, f"{assigned} of {len(states)} ready")


def source_state(source: Any, board: Any) -> ItemState:
    """The state of an item from its snapshot Source (None: no source) and the live statuses."""
    if source is None:
        return item_state(None, None)
    if source.local_path:  # a file on disk plays at once
        return ItemState(READY, "ready")
    return item_state(source.info_hash, board.get(source.info_hash), source.file_index)
