"""Adding many of a watched folder's unmatched videos as new movies and shows at once.

Each file's name is read as the folder reads it (folder_parse.py, guessit): a movie's title
and year, or a show's title with the season and episodes. Files of one movie, and episodes of
one show, form one group: one new item each, a show with the seasons its files need. With a
TMDB client the search picks the best hit (the same title first, else TMDB's first answer)
and the item is added as the Add dialog adds it (app/add.py: details, a show's seasons and
episodes); with no client, or no hit, from the parsed names. An item already in the library
is used as it is. Then each file becomes its item's local source, as the Sync view's
Assign… does; the folder's next scan drops it from its unmatched list.

Nothing is all-or-nothing: a file that cannot be added or assigned is listed with the reason
and the others go on. cancel() stops before the next group; what was done stays.

Threads: run() is a coroutine on the app's loop (where the TMDB client lives); the name
parse and the library writes run in worker threads. on_progress is called on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.add import NewMovie, NewShow, from_release
from app.library import matching
from app.library.errors import DuplicateItem, LibraryError
from app.metadata.tmdb import TmdbError
from app.sync import folder_parse
from app.sync.folder_match import Release, fold

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    done: int  # files handled so far
    total: int
    current: str  # the item being added now, or "" at the end


@dataclass
class Outcome:
    added: list[str] = field(default_factory=list)  # labels of the new movies and shows
    assigned: int = 0  # files that became a source
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file path, why)
    cancelled: bool = False

    def summary(self) -> str:
        text = f"{len(self.added)} new item(s), {self.assigned} file(s) assigned"
        if self.errors:
            text += f", {len(self.errors)} file(s) not added"
        return text + (" (cancelled)" if self.cancelled else "")


@dataclass
class _Group:
    """One movie or one show and the files that go with it."""

    kind: str  # "movie" | "episode"
    title: str
    year: int | None
    files: list[tuple[str, Release]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class BulkAdd:
    """One bulk add; `tmdb` is the app's TmdbClient, or None without a key."""

    def __init__(
        self,
        library,
        tmdb: Any | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.library = library
        self.tmdb = tmdb
        self.on_progress = on_progress or (lambda _progress: None)
        self._cancelled = False

    def cancel(self) -> None:
        """Stop before the next item (the one being added is finished)."""
        self._cancelled = True

    async def run(self, folder: str, paths: Sequence[str]) -> Outcome:
        """Add the videos `paths` (inside the watched folder `folder`) as new items."""
        outcome = Outcome()
        relative = [os.path.relpath(path, folder) for path in paths]
        releases = await asyncio.to_thread(folder_parse.releases, relative)
        groups = _groups(zip(paths, releases, strict=True), outcome)
        total, done = len(paths), len(outcome.errors)
        for group in groups:
            if self._cancelled:
                outcome.cancelled = True
                break
            self.on_progress(Progress(done, total, group.label))
            await self._add(group, outcome)
            done += len(group.files)
        self.on_progress(Progress(done, total, ""))
        for path, why in outcome.errors:
            logger.info("Bulk add: %s was not added: %s", path, why)
        logger.info("Bulk add from %s: %s", folder, outcome.summary())
        return outcome

    async def _add(self, group: _Group, outcome: Outcome) -> None:
        try:
            new = await from_release(
                self.tmdb,
                group.kind,
                group.title,
                group.year,
                [(release.season, release.episodes) for _path, release in group.files],
            )
        except TmdbError as exc:
            for path, _release in group.files:
                outcome.errors.append((path, f"TMDB could not be asked: {exc}"))
            return
        try:
            item, added = await asyncio.to_thread(_store, self.library, new)
        except LibraryError as exc:
            outcome.errors.extend((path, str(exc)) for path, _release in group.files)
            return
        if added:
            outcome.added.append(_label(item))
        for path, release in group.files:
            try:
                await asyncio.to_thread(self._assign, group.kind, item, path, release)
            except (LibraryError, OSError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                outcome.errors.append((path, reason))
            else:
                outcome.assigned += 1

    def _assign(self, kind: str, item, path: str, release: Release) -> None:
        """Make the file its movie's (or its episodes') source."""
        size = os.stat(path).st_size
        if kind == "movie":
            targets = [("movie", item.id, _label(item))]
        else:
            targets = []
            for number in release.episodes:
                code = f"S{release.season:02d}E{number:02d}"
                episode = self.library.find_episode(item.id, release.season, number)
                if episode is None:
                    raise LibraryError(f"{_label(item)} has no {code} in the library")
                targets.append(("episode", episode.id, f"{_label(item)} {code}"))
        free = []
        for item_type, item_id, label in targets:
            active = self.library.active_assignment(item_type, item_id)
            if active is None:
                free.append((item_type, item_id))
            elif active.local_path != path:  # the same file: the folder matched it meanwhile
                raise LibraryError(f"{label} already has a source")
        name = os.path.basename(path)
        for item_type, item_id in free:
            self.library.assign_local(
                item_type,
                item_id,
                path,
                size=size,
                resolution=matching.guess_resolution(name),
                source=matching.guess_source(name),
            )


def _groups(files, outcome: Outcome) -> list[_Group]:
    """Files by the movie or show their names give; the others go to outcome.errors."""
    groups: dict[tuple[str, str, int | None], _Group] = {}
    for path, release in files:
        why = _unusable(release)
        if why is not None:
            outcome.errors.append((path, why))
            continue
        key = (release.kind, fold(release.title), release.year)
        group = groups.setdefault(key, _Group(release.kind, release.title, release.year))
        group.files.append((path, release))
    return list(groups.values())


def _unusable(release: Release | None) -> str | None:
    if release is None:
        return "the name does not say which movie or show it is"
    if release.tag is not None:
        return f"it is a {release.tag.lower()}, not a movie or an episode: assign it by hand"
    if release.kind == "episode" and (release.season is None or not release.episodes):
        return f"the name does not say which episode of {release.title} it is"
    return None


def _store(library, new: NewMovie | NewShow) -> tuple[Any, bool]:
    """(the item, True) once added, or (the one already there, False)."""
    try:
        return new.add_to(library), True
    except DuplicateItem as exc:
        return exc.existing, False


def _label(item) -> str:
    return f"{item.title} ({item.year})" if item.year else item.title
