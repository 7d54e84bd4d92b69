"""The library's repository: every read and write the GUI, the share and the API make.

Reads run on any thread. Writes run on the caller's thread and take the database's write
lock and a BEGIN IMMEDIATE transaction, so threads (the window's workers, the app's loop,
cheroot workers) never interleave a write; after each committed outermost write the listeners
are called on the writer's thread, outside the lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import Any

from peewee import fn

from app.library.db import LibraryDatabase
from app.library.entries import load_active_entries
from app.library.errors import DuplicateItem, InvalidValue, LibraryError, NotFound
from app.library.models import (
    MODELS,
    Assignment,
    Episode,
    Movie,
    Season,
    Show,
    utc_now,
)
from app.library.naming import sort_title
from app.library.queries import (
    deactivate_item,
    find_duplicate,
    get,
    label,
    listing,
    update,
    upsert_episode,
)
from app.library.records import ActiveEntry, EpisodeData
from app.library.sync_sources import SyncSourcesMixin
from app.library.validation import (
    check_date,
    check_fields,
    check_item_type,
    check_number,
    episode_list,
    normalize_info_hash,
)

__all__ = [
    "ActiveEntry",
    "DuplicateItem",
    "EpisodeData",
    "InvalidValue",
    "Library",
    "LibraryError",
    "NotFound",
]

logger = logging.getLogger(__name__)

# what add/update take for a movie or a show (the same since shows keep their IMDb id too)
ITEM_FIELDS = {
    "title",
    "year",
    "tmdb_id",
    "imdb_id",
    "overview",
    "poster_path",
    "backdrop_path",
}


class Library(SyncSourcesMixin):
    """Repository over one library database (see db.open_database)."""

    def __init__(self, db: LibraryDatabase) -> None:
        if not isinstance(db, LibraryDatabase):
            raise TypeError("Library needs the database returned by open_database()")
        self._db = db
        if Movie._meta.database is not db:
            db.bind(MODELS)

    @property
    def db(self) -> LibraryDatabase:
        """The database this library reads and writes (for close_database at shutdown)."""
        return self._db

    # ---- writes and listeners ------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after every committed write, on the writer's thread."""
        self._db.listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._db.listeners:
            self._db.listeners.remove(callback)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._db.write_lock:
            outermost = self._db.transaction_depth() == 0
            with self._db.atomic("IMMEDIATE"):
                yield
        if outermost:
            self._notify()

    def writing(self) -> AbstractContextManager[None]:
        """One write transaction under the library's lock, listeners told after it: for the
        stores that keep their tables in the library (app/debrid/store.py)."""
        return self._writing()

    def _notify(self) -> None:
        for callback in list(self._db.listeners):
            try:
                callback()
            except Exception:
                logger.exception("Library listener %r failed", callback)

    # ---- movies --------------------------------------------------------------------------

    def add_movie(
        self,
        title: str,
        year: int | None = None,
        *,
        tmdb_id: int | None = None,
        imdb_id: str | None = None,
        overview: str = "",
        poster_path: str | None = None,
        backdrop_path: str | None = None,
    ) -> Movie:
        """Add a movie; DuplicateItem if the same TMDB id, or same title and year, is there."""
        values = check_fields(
            dict(
                title=title,
                year=year,
                tmdb_id=tmdb_id,
                imdb_id=imdb_id,
                overview=overview,
                poster_path=poster_path,
                backdrop_path=backdrop_path,
            ),
            ITEM_FIELDS,
        )
        with self._writing():
            existing = find_duplicate(Movie, values["title"], values["year"], values["tmdb_id"])
            if existing is not None:
                raise DuplicateItem(f"{label(existing)} is already in the library", existing)
            now = utc_now()
            return Movie.create(
                **values, sort_title=sort_title(values["title"]), added_at=now, updated_at=now
            )

    def update_movie(self, movie_id: int, **fields: Any) -> Movie:
        """Change some of title, year, tmdb_id, imdb_id, overview, poster_path, backdrop_path."""
        values = check_fields(fields, ITEM_FIELDS, partial=True)
        with self._writing():
            movie = self.get_movie(movie_id)
            return update(movie, values)

    def delete_movie(self, movie_id: int) -> None:
        """Delete a movie and (by trigger) its assignments."""
        with self._writing():
            if not Movie.delete().where(Movie.id == movie_id).execute():
                raise NotFound(f"no movie with id {movie_id}")

    def get_movie(self, movie_id: int) -> Movie:
        return get(Movie, movie_id)

    def list_movies(self, search: str | None = None, order: str = "title") -> list[Movie]:
        """Movies whose title contains `search` (ignoring case and accents), in `order`:
        "title" (sort title, so "The Matrix" under M), "year" (newest first) or "added"."""
        return list(listing(Movie, search, order))

    # ---- shows, seasons, episodes --------------------------------------------------------

    def add_show(
        self,
        title: str,
        year: int | None = None,
        *,
        tmdb_id: int | None = None,
        imdb_id: str | None = None,
        overview: str = "",
        poster_path: str | None = None,
        backdrop_path: str | None = None,
        seasons: Mapping[int, int | Sequence[EpisodeData]] = (),
    ) -> Show:
        """Add a show with its seasons: {season number: episode count or [EpisodeData]}.

        A count creates untitled episodes 1..count (shown as "Episode N").
        """
        values = check_fields(
            dict(
                title=title,
                year=year,
                tmdb_id=tmdb_id,
                imdb_id=imdb_id,
                overview=overview,
                poster_path=poster_path,
                backdrop_path=backdrop_path,
            ),
            ITEM_FIELDS,
        )
        plan = {
            check_number(number, "season"): episode_list(spec)
            for number, spec in dict(seasons).items()
        }
        with self._writing():
            existing = find_duplicate(Show, values["title"], values["year"], values["tmdb_id"])
            if existing is not None:
                raise DuplicateItem(f"{label(existing)} is already in the library", existing)
            now = utc_now()
            show = Show.create(
                **values, sort_title=sort_title(values["title"]), added_at=now, updated_at=now
            )
            for number, episodes in sorted(plan.items()):
                self.upsert_season(show.id, number, episodes=episodes)
            return show

    def update_show(self, show_id: int, **fields: Any) -> Show:
        """Change some of title, year, tmdb_id, imdb_id, overview, poster_path, backdrop_path."""
        values = check_fields(fields, ITEM_FIELDS, partial=True)
        with self._writing():
            return update(self.get_show(show_id), values)

    def delete_show(self, show_id: int) -> None:
        """Delete a show, its seasons, episodes and their assignments (cascade + trigger)."""
        with self._writing():
            if not Show.delete().where(Show.id == show_id).execute():
                raise NotFound(f"no show with id {show_id}")

    def get_show(self, show_id: int) -> Show:
        return get(Show, show_id)

    def list_shows(self, search: str | None = None, order: str = "title") -> list[Show]:
        return list(listing(Show, search, order))

    def upsert_season(
        self,
        show_id: int,
        number: int,
        *,
        name: str | None = None,
        overview: str | None = None,
        poster_path: str | None = None,
        air_date: date | str | None = None,
        episodes: Sequence[EpisodeData] = (),
    ) -> Season:
        """Create or refresh a season (TMDB refresh or a user adding episodes).

        Given fields replace stored ones (None leaves them). Given episodes are added or
        updated; a known title is never replaced by an empty one. When episodes are given,
        stored ones missing from the list are dropped, unless they have assignments.
        """
        number = check_number(number, "season")
        episodes = episode_list(list(episodes))
        with self._writing():
            show = self.get_show(show_id)
            season, _ = Season.get_or_create(show=show, number=number)
            changes = {
                key: value
                for key, value in dict(
                    name=name,
                    overview=overview,
                    poster_path=poster_path,
                    air_date=check_date(air_date),
                ).items()
                if value is not None
            }
            if changes:
                Season.update(**changes).where(Season.id == season.id).execute()
            stored = {e.number: e for e in Episode.select().where(Episode.season == season)}
            for data in episodes:
                upsert_episode(season, stored.get(data.number), data)
            if episodes:
                wanted = {data.number for data in episodes}
                for old in stored.values():
                    if old.number not in wanted and not self.assignments_of("episode", old.id):
                        old.delete_instance()
            Show.update(updated_at=utc_now()).where(Show.id == show.id).execute()
            return Season.get_by_id(season.id)

    def delete_season(self, season_id: int) -> None:
        with self._writing():
            if not Season.delete().where(Season.id == season_id).execute():
                raise NotFound(f"no season with id {season_id}")

    def seasons(self, show_id: int) -> list[Season]:
        return list(Season.select().where(Season.show == show_id).order_by(Season.number))

    def episodes(self, season_id: int) -> list[Episode]:
        return list(Episode.select().where(Episode.season == season_id).order_by(Episode.number))

    def get_season(self, season_id: int) -> Season:
        return get(Season, season_id)

    def get_episode(self, episode_id: int) -> Episode:
        return get(Episode, episode_id)

    def find_episode(self, show_id: int, season_number: int, episode_number: int) -> Episode | None:
        return (
            Episode.select()
            .join(Season)
            .where(
                Season.show == show_id,
                Season.number == season_number,
                Episode.number == episode_number,
            )
            .first()
        )

    def search(self, text: str) -> tuple[list[Movie], list[Show]]:
        """Movies and shows whose titles contain `text`, ignoring case and accents."""
        return self.list_movies(search=text), self.list_shows(search=text)

    # ---- assignments ---------------------------------------------------------------------

    def assign(
        self,
        item_type: str,
        item_id: int,
        *,
        info_hash: str,
        file_index: int,
        file_path: str,
        file_size: int,
        magnet_uri: str | None = None,
        torrent_data: bytes | None = None,
        resolution: str | None = None,
        source: str | None = None,
    ) -> Assignment:
        """Make this torrent file the item's active source, in one transaction.

        The item's current active assignment is deactivated (kept for going back). Assigning
        the same torrent file again reactivates and refreshes the existing row.
        """
        item_type = check_item_type(item_type)
        info_hash = normalize_info_hash(info_hash)
        file_index = check_number(file_index, "file index")
        file_size = check_number(file_size, "file size")
        if not isinstance(file_path, str) or not file_path.strip():
            raise InvalidValue("file path must not be empty")
        if torrent_data is not None and not isinstance(torrent_data, bytes | bytearray):
            raise InvalidValue("torrent data must be bytes")
        with self._writing():
            self._get_item(item_type, item_id)
            same = Assignment.get_or_none(
                item_type=item_type,
                item_id=item_id,
                source_kind="torrent",  # a debrid row shares the hash: never reuse it here
                info_hash=info_hash,
                file_index=file_index,
            )
            deactivate_item(item_type, item_id)
            if same is not None:
                refresh = dict(active=True, file_path=file_path, file_size=file_size)
                refresh.update(
                    {
                        k: v
                        for k, v in dict(
                            magnet_uri=magnet_uri,
                            torrent_data=torrent_data,
                            resolution=resolution,
                            source=source,
                        ).items()
                        if v is not None
                    }
                )
                Assignment.update(**refresh).where(Assignment.id == same.id).execute()
                return Assignment.get_by_id(same.id)
            return Assignment.create(
                item_type=item_type,
                item_id=item_id,
                source_kind="torrent",
                info_hash=info_hash,
                magnet_uri=magnet_uri,
                torrent_data=bytes(torrent_data) if torrent_data is not None else None,
                file_index=file_index,
                file_path=file_path,
                file_size=file_size,
                resolution=resolution,
                source=source,
                active=True,
                created_at=utc_now(),
            )

    def assign_local(
        self,
        item_type: str,
        item_id: int,
        path: str | os.PathLike,
        *,
        size: int,
        resolution: str | None = None,
        source: str | None = None,
    ) -> Assignment:
        """Make a file on disk the item's active source (a watched folder's video file).

        Like assign(): the current active assignment is kept, inactive; the same file again
        reactivates its row and refreshes its size.
        """
        item_type = check_item_type(item_type)
        size = check_number(size, "file size")
        local_path = str(path).strip() if path is not None else ""
        if not local_path or not os.path.isabs(local_path):
            raise InvalidValue(f"a local file needs an absolute path, not {str(path)!r}")
        with self._writing():
            self._get_item(item_type, item_id)
            same = Assignment.get_or_none(
                item_type=item_type, item_id=item_id, local_path=local_path
            )
            deactivate_item(item_type, item_id)
            if same is not None:
                refresh = {"active": True, "file_size": size}
                refresh.update(
                    {k: v for k, v in (("resolution", resolution), ("source", source)) if v}
                )
                Assignment.update(**refresh).where(Assignment.id == same.id).execute()
                return Assignment.get_by_id(same.id)
            return Assignment.create(
                item_type=item_type,
                item_id=item_id,
                source_kind="local",
                info_hash="",
                file_index=0,
                file_path=os.path.basename(local_path),
                file_size=size,
                resolution=resolution,
                source=source,
                active=True,
                created_at=utc_now(),
                local_path=local_path,
            )

    def assign_debrid(
        self,
        item_type: str,
        item_id: int,
        info_hash: str,
        file_id: int,
        file_path: str,
        *,
        size: int,
        resolution: str | None = None,
        source: str | None = None,
    ) -> Assignment:
        """Make a file of the debrid account (its torrent's hash, the service's file id) the
        item's active source. Like assign(): the current active assignment is kept, inactive;
        the same file again reactivates its row."""
        item_type = check_item_type(item_type)
        with self._writing():
            self._get_item(item_type, item_id)
            same = Assignment.get_or_none(
                item_type=item_type,
                item_id=item_id,
                source_kind="debrid",
                info_hash=info_hash,
                file_index=file_id,
            )
            deactivate_item(item_type, item_id)
            if same is not None:
                Assignment.update(active=True).where(Assignment.id == same.id).execute()
                return Assignment.get_by_id(same.id)
            return Assignment.create(
                item_type=item_type,
                item_id=item_id,
                source_kind="debrid",
                info_hash=info_hash,
                file_index=file_id,
                file_path=file_path,
                file_size=size,
                resolution=resolution,
                source=source,
                active=True,
                created_at=utc_now(),
            )

    def local_assignments(
        self, folder: str | os.PathLike | None = None, active_only: bool = False
    ) -> list[Assignment]:
        """Assignments of files on disk, those inside `folder` (at any depth) when given."""
        query = Assignment.select().where(Assignment.source_kind == "local")
        if folder is not None:
            prefix = os.path.join(str(folder), "")
            # substr, not LIKE: paths may hold % and _
            query = query.where(fn.substr(Assignment.local_path, 1, len(prefix)) == prefix)
        if active_only:
            query = query.where(Assignment.active == 1)
        return list(query.order_by(Assignment.local_path, Assignment.id))

    def assignments_of(self, item_type: str, item_id: int) -> list[Assignment]:
        """The item's assignments, the active one first, then newest first."""
        item_type = check_item_type(item_type)
        return list(
            Assignment.select()
            .where(Assignment.item_type == item_type, Assignment.item_id == item_id)
            .order_by(Assignment.active.desc(), Assignment.created_at.desc(), Assignment.id.desc())
        )

    def active_assignment(self, item_type: str, item_id: int) -> Assignment | None:
        item_type = check_item_type(item_type)
        return Assignment.get_or_none(item_type=item_type, item_id=item_id, active=True)

    def assignments_for_hash(
        self, info_hash: str, active_only: bool = False, kind: str = "torrent"
    ) -> list[Assignment]:
        """The assignments of one torrent of the local engine, or of the debrid account with
        kind="debrid": a torrent in both has rows of each, and each side sees only its own."""
        query = Assignment.select().where(
            Assignment.source_kind == kind,
            Assignment.info_hash == normalize_info_hash(info_hash),
        )
        if active_only:
            query = query.where(Assignment.active == 1)
        return list(query.order_by(Assignment.file_index, Assignment.id))

    def info_hashes(self, active_only: bool = False) -> set[str]:
        """Every torrent the library refers to (the torrent service keeps these)."""
        query = (
            Assignment.select(Assignment.info_hash)
            .where(Assignment.source_kind == "torrent")
            .distinct()
        )
        if active_only:
            query = query.where(Assignment.active == 1)
        return {row.info_hash for row in query}

    def get_assignment(self, assignment_id: int) -> Assignment:
        return get(Assignment, assignment_id)

    def torrent_data(self, assignment_id: int) -> bytes | None:
        """The stored .torrent of an assignment (kept out of the listings: it can be large)."""
        return self.get_assignment(assignment_id).torrent_data

    def activate(self, assignment_id: int) -> Assignment:
        """Make this assignment its item's active one (the previous one is deactivated)."""
        with self._writing():
            row = self.get_assignment(assignment_id)
            if not row.active:
                deactivate_item(row.item_type, row.item_id)
                Assignment.update(active=True).where(Assignment.id == row.id).execute()
            return Assignment.get_by_id(row.id)

    def deactivate(self, assignment_id: int) -> Assignment:
        with self._writing():
            row = self.get_assignment(assignment_id)
            Assignment.update(active=False).where(Assignment.id == row.id).execute()
            return Assignment.get_by_id(row.id)

    def delete_assignment(self, assignment_id: int) -> None:
        with self._writing():
            if not Assignment.delete().where(Assignment.id == assignment_id).execute():
                raise NotFound(f"no assignment with id {assignment_id}")

    def active_entries(self) -> list[ActiveEntry]:
        """One plain record per active assignment, for the share's tree (no blobs loaded)."""
        return load_active_entries(self._db)

    def _get_item(self, item_type: str, item_id: int) -> Movie | Episode:
        return self.get_movie(item_id) if item_type == "movie" else self.get_episode(item_id)


# ---- helpers -------------------------------------------------------------------------------
