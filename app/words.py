"""How the app words counts: "1 peer", "2 peers". Shared by the core's messages and the window."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """1 -> "1 file", 2 -> "2 files" ("1 match", "2 matches" with `nouns`)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
