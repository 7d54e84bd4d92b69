"""Kodi-format .nfo files for the share: `movie`, `tvshow` and `episodedetails` XML.

Jellyfin, Kodi, Emby and Infuse read an .nfo beside a video and identify the item by its
`uniqueid` (TMDB, and IMDb when known) instead of guessing from the file name. Only what the
library knows is written: an item without TMDB data gets its title, year and plot. Built
with xml.etree, so any title or plot is escaped.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence

logger = logging.getLogger(__name__)

# characters XML 1.0 cannot hold even escaped; ElementTree would write them as they are
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def movie_nfo(entry) -> bytes:
    """A movie's .nfo from its library entry (app.library.records.ActiveEntry)."""
    root = ElementTree.Element("movie")
    _common(root, entry.title, entry.year, getattr(entry, "overview", ""))
    _ids(root, getattr(entry, "tmdb_id", None), getattr(entry, "imdb_id", None))
    return _render(root)


def tvshow_nfo(entry) -> bytes:
    """A show's tvshow.nfo from any of its episodes' entries (they carry the show's data)."""
    root = ElementTree.Element("tvshow")
    _common(root, entry.title, entry.year, getattr(entry, "overview", ""))
    _ids(root, getattr(entry, "tmdb_id", None), getattr(entry, "imdb_id", None))
    return _render(root)


def episode_nfo(entries: Sequence) -> bytes:
    """A video's .nfo for the episodes it holds: one <episodedetails> each, as Kodi reads a
    multi-episode file (only a one-episode file's .nfo is a single XML document)."""
    parts = []
    for entry in entries:
        root = ElementTree.Element("episodedetails")
        _text(root, "title", entry.episode_title or f"Episode {entry.episode_number}")
        _text(root, "showtitle", entry.title)
        _text(root, "season", str(entry.season_number or 0))
        _text(root, "episode", str(entry.episode_number or 0))
        _text(root, "plot", getattr(entry, "episode_overview", ""))
        _text(root, "aired", getattr(entry, "air_date", None))
        parts.append(_render(root, declaration=not parts))
    return b"".join(parts)


def _common(root: ElementTree.Element, title: str, year: int | None, plot: str) -> None:
    _text(root, "title", title)
    _text(root, "year", str(year) if year else None)
    _text(root, "plot", plot)


def _ids(root: ElementTree.Element, tmdb_id: int | None, imdb_id: str | None) -> None:
    # the first id known is the default one, the one players look the item up by
    for kind, value in (("tmdb", tmdb_id), ("imdb", imdb_id)):
        if value:
            element = ElementTree.SubElement(root, "uniqueid", type=kind)
            if root.find("uniqueid[@default]") is None:
                element.set("default", "true")
            element.text = str(value)


def _text(root: ElementTree.Element, tag: str, value: str | None) -> None:
    if value:
        ElementTree.SubElement(root, tag).text = _NOT_XML.sub("", value)


def _render(root: ElementTree.Element, *, declaration: bool = True) -> bytes:
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
    return (_DECLARATION if declaration else b"") + body
