"""Infuse-style names: safe on every filesystem, readable, stable."""

from __future__ import annotations

import pytest

from app.library.naming import (
    clean_name,
    episode_path,
    movie_folder,
    movie_path,
    sort_title,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Star Wars: Episode IV - A New Hope", "Star Wars - Episode IV - A New Hope"),
        ("AC/DC: Live", "AC-DC - Live"),
        ("Face\\Off", "Face-Off"),
        ("Re:Zero", "Re-Zero"),
        ("Title:", "Title"),
        ("What If...?", "What If"),
        ('The "Best" <Show> | *Ever*', "The 'Best' Show Ever"),
        ("Tab\tand\nnewline\x00", "Tab and newline"),
        ("  spaced    out  ", "spaced out"),
        ("Trailing dots...", "Trailing dots"),
        (".hidden", "hidden"),
        ("Mr. Robot", "Mr. Robot"),
        ("Amélie", "Amélie"),
        ("Ame\u0301lie", "Amélie"),  # decomposed input comes out NFC
        ("東京物語", "東京物語"),
        ("CON", "CON_"),
        ("nul.txt", "nul.txt_"),
        ("", "Untitled"),
        ("???", "Untitled"),
        ("...", "Untitled"),
        ("\u200fHeat\u200f", "Heat"),  # right-to-left marks: invisible, gone
        ("Zero\u200bWidth\ufeff", "ZeroWidth"),
        ("Private\ue000Use", "PrivateUse"),
        ("Lone\ud800Surrogate", "LoneSurrogate"),
        ("\u2066\u2069", "Untitled"),
        ("Cafe\u200d\u0301", "Café"),  # a mark separated by a joiner still composes
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_clean_name_limits_length_without_splitting_characters():
    name = clean_name("é" * 300)
    assert len(name.encode()) <= 180
    assert set(name) == {"é"}


def test_movie_names():
    assert movie_folder("The Matrix", 1999) == "The Matrix (1999)"
    assert movie_folder("Unknown Year", None) == "Unknown Year"
    assert movie_path("Mission: Impossible", 1996, ".mkv") == (
        "Movies/Mission - Impossible (1996)/Mission - Impossible (1996).mkv"
    )
    assert movie_path("Heat", 1995, "MP4") == "Movies/Heat (1995)/Heat (1995).mp4"
    assert movie_path("Heat", None, "") == "Movies/Heat/Heat"


def test_episode_names():
    assert episode_path("Dark", 2017, 1, 2, "Lies", ".mkv") == (
        "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02 - Lies.mkv"
    )
    assert episode_path("Dark", 2017, 1, 2, "", "mkv") == (
        "TV Shows/Dark (2017)/Season 01/Dark (2017) - S01E02.mkv"
    )
    assert episode_path("Dark", None, 1, 2, None, "mkv") == (
        "TV Shows/Dark/Season 01/Dark - S01E02.mkv"
    )
    assert episode_path("Lost", 2004, 1, 1, "Pilot: Part 1", "avi", last_episode=2) == (
        "TV Shows/Lost (2004)/Season 01/Lost (2004) - S01E01-E02 - Pilot - Part 1.avi"
    )
    assert episode_path("Doctor Who", 2005, 0, 3, "Special", "mkv").split("/")[2] == "Season 00"
    assert "S12E105" in episode_path("One Piece", 1999, 12, 105, "", "mkv")
    assert episode_path("24", 2001, 1, 1, "12:00 A.M.-1:00 A.M.", "mkv").endswith(
        "24 (2001) - S01E01 - 12-00 A.M.-1-00 A.M.mkv"
    )


def test_long_episode_title_is_shortened_not_the_code():
    path = episode_path("Show", 2020, 1, 2, "word " * 100, "mkv")
    name = path.split("/")[-1]
    assert len(name.encode()) <= 255
    assert name.startswith("Show (2020) - S01E02 - word")
    assert name.endswith("word.mkv")


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("The Matrix", "Matrix"),
        ("A Beautiful Mind", "Beautiful Mind"),
        ("An Education", "Education"),
        ("Theory of Everything", "Theory of Everything"),
        ("The", "The"),
        ("A", "A"),
        ("  the  Office ", "Office"),
    ],
)
def test_sort_title(title, key):
    assert sort_title(title) == key
