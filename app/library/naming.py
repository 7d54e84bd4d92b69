"""Names the user sees: Infuse/Plex-style folder and file names, safe on every filesystem.

Movies:   Movies/Title (Year)/Title (Year).ext
Episodes: TV Shows/Show (Year)/Season 01/Show (Year) - S01E02 - Episode Title.ext
Also the sort title that files "The Matrix" under M.
"""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

MOVIES_DIR = "Movies"
SHOWS_DIR = "TV Shows"
UNTITLED = "Untitled"
# Most filesystems allow 255 bytes per name; leave room for " (Year)", " - S01E02-E03" and ".ext".
MAX_NAME_BYTES = 180
MAX_FILE_BYTES = 250

# Characters no share name holds, by Unicode category: controls (Cc), invisible format
# characters such as U+200F RIGHT-TO-LEFT MARK (Cf), surrogates (Cs) and private use (Co).
# The share's guard refuses paths holding them, so every name made here must be free of them.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_COLON_SPACED = re.compile(r"\s*:\s+")
_SLASHES = re.compile(r"\s*[/\\]+\s*")
_DROPPED = re.compile(r"[*?<>|]")
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_ARTICLES = re.compile(r"^(the|a|an)\s+(?=\S)", re.IGNORECASE)


def clean_name(text: str) -> str:
    """One path component safe on Windows, macOS and Linux, readable, and never empty.

    "Star Wars: Episode IV" -> "Star Wars - Episode IV"; "AC/DC" -> "AC-DC"; quotes become
    apostrophes; * ? < > | go; control characters become spaces and invisible ones (see
    UNSAFE_CATEGORIES) go; trailing dots and spaces go.
    """
    text = "".join(_safe_char(ch) for ch in str(text))
    text = unicodedata.normalize("NFC", text)
    # "Mission: Impossible" -> "Mission - Impossible", but "12:00" -> "12-00", "Re:Zero" -> "Re-Zero"
    text = _COLON_SPACED.sub(" - ", text).replace(":", "-")
    text = _SLASHES.sub("-", text)
    text = text.replace('"', "'")
    text = _DROPPED.sub("", text)
    text = _SPACES.sub(" ", text)
    # Leading dots hide files on macOS/Linux; trailing dots and spaces vanish on Windows.
    text = text.strip(" .-")
    text = _truncate(text, MAX_NAME_BYTES).rstrip(" .")
    if not text:
        return UNTITLED
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text += "_"
    return text


def _safe_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category not in UNSAFE_CATEGORIES:
        return ch
    return " " if category == "Cc" else ""


def sort_title(title: str) -> str:
    """Title without a leading English article: "The Matrix" sorts as "Matrix"."""
    title = _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()
    return _ARTICLES.sub("", title) or title


def movie_folder(title: str, year: int | None) -> str:
    """ "Title (Year)", or "Title" when the year is unknown."""
    name = clean_name(title)
    return f"{name} ({year})" if year else name


def movie_path(title: str, year: int | None, ext: str) -> str:
    """ "Movies/Title (Year)/Title (Year).mkv" """
    folder = movie_folder(title, year)
    return f"{MOVIES_DIR}/{folder}/{folder}{_suffix(ext)}"


def season_folder(season: int) -> str:
    # Season 0 holds specials; "Season 00" is what Infuse, Plex and Kodi all accept.
    return f"Season {season:02d}"


def episode_code(season: int, episode: int, last_episode: int | None = None) -> str:
    """ "S01E02", or "S01E02-E03" for a file holding several episodes."""
    code = f"S{season:02d}E{episode:02d}"
    if last_episode is not None and last_episode != episode:
        code += f"-E{last_episode:02d}"
    return code


def episode_path(
    show_title: str,
    show_year: int | None,
    season: int,
    episode: int,
    episode_title: str | None,
    ext: str,
    last_episode: int | None = None,
) -> str:
    """ "TV Shows/Show (Year)/Season 01/Show (Year) - S01E02 - Episode Title.mkv"

    No " - Title" part when the title is empty; the title is shortened, never the code, when
    the file name would be too long.
    """
    show = movie_folder(show_title, show_year)
    suffix = _suffix(ext)
    stem = f"{show} - {episode_code(season, episode, last_episode)}"
    title = clean_name(episode_title) if episode_title and episode_title.strip() else ""
    if title:
        room = MAX_FILE_BYTES - len(f"{stem} - {suffix}".encode())
        title = _truncate(title, room).rstrip(" .") if room > 0 else ""
    name = f"{stem} - {title}" if title else stem
    return f"{SHOWS_DIR}/{show}/{season_folder(season)}/{name}{suffix}"


def _suffix(ext: str | None) -> str:
    ext = clean_name(ext or "").lower() if ext and ext.strip(" .") else ""
    return f".{ext}" if ext else ""


def _truncate(text: str, max_bytes: int) -> str:
    """Cut to at most max_bytes of UTF-8 without splitting a character."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode(errors="ignore")
