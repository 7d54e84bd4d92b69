"""How the library views compare titles: search and sort ignore case and accents.

`fold()` is the library's own fold (app/library/db.py), so the window finds and orders what
the API does: "leon" finds "Léon", "Æon" sorts with "Aeon". Titles sort by their sort title
(no leading "The"/"A"/"An", app/library/naming.sort_title), then year.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel

from app.library.db import fold

__all__ = ["SearchFilter", "fold", "matches", "search_words", "title_key"]


def matches(words: list[str], text: str) -> bool:
    """True when every folded search word is somewhere in `text`."""
    haystack = fold(text)
    return all(word in haystack for word in words)


def search_words(text: str) -> list[str]:
    return fold(text).split()


def title_key(row: Any) -> tuple[str, int]:
    """A movie's or show's place in title order."""
    return (fold(row.sort_title), row.year or 0)


class SearchFilter(QSortFilterProxyModel):
    """A proxy that keeps the rows holding every folded word of a search (`_words`)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_search(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+; invalidateFilter() is deprecated
            self.beginFilterChange()
            self._words = search_words(text)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._words = search_words(text)
            self.invalidateFilter()
