"""How the library views compare titles: search and sort ignore case and accents.

`fold()` is the library's own fold (app/library/db.py: NFKD, combining marks stripped,
casefold), so the window finds and orders what the API does: "leon" finds "Léon". Letters
that have no decomposition (Æ, Œ, Ø, Ł, Đ, Ð, Þ) are spelled out first, so "Æon" sorts
with "Aeon" instead of after "Z". Titles sort by their sort title (no leading "The"/"A"/"An",
app/library/naming.sort_title), then year.
"""

from __future__ import annotations

from typing import Any

from app.library.db import fold as library_fold

# Latin letters that NFKD leaves whole; the rest (é, ñ, ß, ﬁ) the library fold handles.
_SPELLED_OUT = str.maketrans(
    {
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
    }
)


def fold(text: str | None) -> str:
    """The form two texts are compared in: "Léon" and "LEON" give "leon"."""
    return library_fold((text or "").translate(_SPELLED_OUT))


def matches(words: list[str], text: str) -> bool:
    """True when every folded search word is somewhere in `text`."""
    haystack = fold(text)
    return all(word in haystack for word in words)


def search_words(text: str) -> list[str]:
    return fold(text).split()


def title_key(row: Any) -> tuple[str, int]:
    """A movie's or show's place in title order."""
    return (fold(row.sort_title), row.year or 0)
