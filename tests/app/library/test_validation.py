"""What the library refuses or cleans, whichever door (API, window, TMDB) a value comes in by."""

from __future__ import annotations

import pytest

from app.library.errors import InvalidValue
from app.library.validation import sync_interval

TOO_BIG = 2**63  # one past SQLite's largest integer


def test_control_characters_in_titles_become_spaces(library):
    movie = library.add_movie("Heat\x00\x1b[31m\x00", 1995)
    assert library.get_movie(movie.id).title == "Heat [31m"
    show = library.add_show("\x00Dark\x00 \x85Show", 2017)
    assert library.get_show(show.id).title == "Dark Show"
    with pytest.raises(InvalidValue, match="title must not be empty"):
        library.add_movie("\x00\x00")


def test_lone_surrogates_are_refused_not_stored(library):
    with pytest.raises(InvalidValue, match="title is not valid Unicode"):
        library.add_movie("Heat\ud800")
    movie = library.add_movie("Heat", 1995)
    with pytest.raises(InvalidValue, match="overview is not valid Unicode"):
        library.update_movie(movie.id, overview="\udfff")
    assert library.list_movies() == [library.get_movie(movie.id)]
    assert library.get_movie(movie.id).overview == ""


def test_integers_beyond_64_bits_are_refused_not_overflowed(library):
    with pytest.raises(InvalidValue, match="TMDB id"):
        library.add_movie("Heat", 1995, tmdb_id=TOO_BIG)
    with pytest.raises(InvalidValue, match="season"):
        library.add_show("Dark", 2017, seasons={TOO_BIG: 1})
    assert library.list_movies() == [] and library.list_shows() == []
    show = library.add_show("Dark", 2017, tmdb_id=TOO_BIG - 1, seasons={1: 1})
    with pytest.raises(InvalidValue, match="season"):
        library.upsert_season(show.id, TOO_BIG)
    assert [season.number for season in library.seasons(show.id)] == [1]


def test_titles_have_a_length_limit(library):
    with pytest.raises(InvalidValue, match="at most 1000"):
        library.add_movie("x" * 1001)
    assert library.list_movies() == []
    assert len(library.add_movie("x" * 1000).title) == 1000


@pytest.mark.parametrize("value", [10**400, 1e300, 365 * 24 * 60 + 1, str(TOO_BIG)])
def test_sync_intervals_beyond_a_year_are_refused(value):
    with pytest.raises(InvalidValue, match="must be 0 or at least 1 minute"):
        sync_interval(value)
    assert sync_interval(365 * 24 * 60) == 365 * 24 * 60
