"""Query helpers behind the Library repository: listings, duplicate checks, updates.

Callers hold the write lock and transaction for the helpers that write.
"""

from __future__ import annotations

import logging
from typing import Any

import peewee
from peewee import fn

from app.library.db import fold
from app.library.errors import DuplicateItem, InvalidValue, NotFound
from app.library.models import Assignment, Episode, Movie, Season, Show, utc_now
from app.library.naming import sort_title
from app.library.records import EpisodeData

logger = logging.getLogger(__name__)

ORDERS = ("title", "year", "added")


def get(model: type[peewee.Model], row_id: int) -> Any:
    row = model.get_or_none(model.id == row_id)
    if row is None:
        raise NotFound(f"no {model._meta.table_name} with id {row_id}")
    return row


def label(item: Movie | Show) -> str:
    return f'"{item.title}" ({item.year})' if item.year else f'"{item.title}"'


def listing(model: type[Movie] | type[Show], search: str | None, order: str) -> peewee.Query:
    if order not in ORDERS:
        raise InvalidValue(f"unknown order {order!r} (use one of {', '.join(ORDERS)})")
    query = model.select()
    if search and search.strip():
        query = query.where(fn.instr(fn.fold(model.title), fold(search.strip())) > 0)
    by_title = (fn.fold(model.sort_title), model.year, model.id)
    if order == "year":
        return query.order_by(model.year.desc(nulls="LAST"), *by_title)
    if order == "added":
        return query.order_by(model.added_at.desc(), model.id.desc())
    return query.order_by(*by_title)


def find_duplicate(
    model: type[Movie] | type[Show],
    title: str,
    year: int | None,
    tmdb_id: int | None,
    exclude: int | None = None,
) -> Movie | Show | None:
    """The row with this TMDB id, or with this title (ignoring case and accents) and year."""
    others = [model.id != exclude] if exclude is not None else []
    if tmdb_id is not None:
        existing = model.get_or_none(model.tmdb_id == tmdb_id, *others)
        if existing is not None:
            return existing
    same_year = model.year.is_null() if year is None else model.year == year
    return model.select().where(fn.fold(model.title) == fold(title), same_year, *others).first()


def update(item: Movie | Show, values: dict[str, Any]) -> Movie | Show:
    model = type(item)
    if values.keys() & {"title", "year", "tmdb_id"}:
        other = find_duplicate(
            model,
            values.get("title", item.title),
            values.get("year", item.year),
            values.get("tmdb_id"),
            exclude=item.id,
        )
        if other is not None:
            raise DuplicateItem(f"{label(other)} is already in the library", other)
    if "title" in values:
        values["sort_title"] = sort_title(values["title"])
    values["updated_at"] = utc_now()
    model.update(**values).where(model.id == item.id).execute()
    return model.get_by_id(item.id)


def upsert_episode(season: Season, stored: Episode | None, data: EpisodeData) -> None:
    if stored is None:
        Episode.create(
            season=season,
            number=data.number,
            title=data.title,
            overview=data.overview,
            air_date=data.air_date,
            still_path=data.still_path,
        )
        return
    changes = {
        key: value
        for key, value in dict(
            title=data.title,
            overview=data.overview,
            air_date=data.air_date,
            still_path=data.still_path,
        ).items()
        if value
    }
    if changes:
        Episode.update(**changes).where(Episode.id == stored.id).execute()


def deactivate_item(item_type: str, item_id: int) -> None:
    (
        Assignment.update(active=False)
        .where(
            Assignment.item_type == item_type,
            Assignment.item_id == item_id,
            Assignment.active == 1,
        )
        .execute()
    )
