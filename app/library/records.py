"""Plain data the library takes in and hands out: no peewee rows cross threads through these."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpisodeData:
    """One episode as TMDB (or the user) describes it; empty title means "not known yet"."""

    number: int
    title: str = ""
    overview: str = ""
    air_date: date | str | None = None  # TMDB gives "2008-01-20"; stored as a date
    still_path: str | None = None


@dataclass(frozen=True)
class ActiveEntry:
    """One active assignment with everything the share's tree needs, joins already done.

    For an episode, `title`/`year`/`added_at` are the show's. Times are aware UTC datetimes.
    """

    kind: str  # "movie" | "episode"
    item_id: int
    title: str
    year: int | None
    show_id: int | None
    season_number: int | None
    episode_number: int | None
    episode_title: str | None
    assignment_id: int
    info_hash: str
    file_index: int
    file_path: str
    file_size: int
    magnet_uri: str | None
    has_torrent_data: bool
    resolution: str | None
    source: str | None
    created_at: datetime
    added_at: datetime
    source_kind: str = "torrent"  # or "local": a file on disk, at local_path
    local_path: str | None = None
    # what the share's .nfo files and artwork say (for an episode: its show's, then its own)
    tmdb_id: int | None = None
    imdb_id: str | None = None
    overview: str = ""
    poster_path: str | None = None
    backdrop_path: str | None = None
    season_poster_path: str | None = None
    episode_overview: str = ""
    air_date: str | None = None  # an episode's, "YYYY-MM-DD"
