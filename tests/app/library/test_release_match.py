"""Release names against library items: what guessit reads, which item is preselected,
and when assigning a release to an item deserves a question."""

from __future__ import annotations

import pytest

from app.library.release_match import (
    Candidate,
    Release,
    best_match,
    mismatch,
    normalize,
    parse_release,
    release_name,
    title_similarity,
)

HASH = "ab" * 20


@pytest.mark.parametrize(
    ("link", "name"),
    [
        (f"magnet:?xt=urn:btih:{HASH}&dn=Heat.1995.720p.BluRay", "Heat.1995.720p.BluRay"),
        (f"magnet:?xt=urn:btih:{HASH}&dn=L%C3%A9on+1994&tr=udp%3A%2F%2Fx", "Léon 1994"),
        (f"magnet:?xt=urn:btih:{HASH}", ""),
        ("/home/me/Downloads/Dark.S01.1080p.torrent", "Dark.S01.1080p"),
        ("C:\\Users\\me\\Heat (1995).TORRENT", "Heat (1995)"),
        ("file:///tmp/Heat%20(1995).torrent", "Heat (1995)"),
        ("https://example.org/get/Amelie.2001.DVDRip.torrent?key=1", "Amelie.2001.DVDRip"),
    ],
)
def test_release_name_of_a_link(link, name):
    assert release_name(link) == name


@pytest.mark.parametrize(
    ("name", "title", "year", "kind", "season", "episode"),
    [
        ("Heat.1995.720p.BluRay.x264-GRP", "Heat", 1995, "movie", None, None),
        ("The.Office.US.S02E03.720p.HDTV", "The Office", None, "episode", 2, 3),
        ("Breaking.Bad.S03.1080p.BluRay", "Breaking Bad", None, "episode", 3, None),
        ("Mr.Robot.S01E01E02.mkv", "Mr Robot", None, "episode", 1, 1),
        ("Dark.2017.S01E01.1080p", "Dark", 2017, "episode", 1, 1),
    ],
)
def test_parse_release(name, title, year, kind, season, episode):
    assert parse_release(name) == Release(name, title, year, kind, season, episode)


def test_a_name_without_a_title_is_no_release():
    assert parse_release("") is None
    assert parse_release("   ") is None


@pytest.mark.parametrize(
    ("title", "normalized"),
    [
        ("Léon: The Professional", "leon the professional"),
        ("The Matrix", "matrix"),
        ("AMÉLIE", "amelie"),
        ("Marvel's Agents of S.H.I.E.L.D.", "marvels agents of shield"),
        ("Fast & Furious", "fast and furious"),
        ("Spider-Man: No Way Home", "spider man no way home"),
        ("The", "the"),
    ],
)
def test_normalize(title, normalized):
    assert normalize(title) == normalized


# (release name, item title, item year): the same thing, however written
SAME = [
    ("Heat.1995.720p.BluRay", "Heat", 1995),
    ("heat.1996.720p", "Heat", 1995),  # a year's slack
    ("Heat.720p.BluRay", "Heat", 1995),  # no year in the name
    ("Heat.1995.720p", "Heat", None),  # no year on the item
    ("Leon.The.Professional.1994.1080p", "Léon: The Professional", 1994),
    ("Leon.The.Professional.1994.1080p", "Léon", 1994),
    ("Amelie.2001.DVDRip", "Amélie", 2001),
    ("Matrix.1999.1080p", "The Matrix", 1999),
    ("The.Matrix.1999.1080p", "Matrix", 1999),
    ("Harry.Poter.and.the.Sorcerers.Stone.2001", "Harry Potter and the Sorcerer's Stone", 2001),
    ("Fast.and.Furious.2009", "Fast & Furious", 2009),
    ("Spider-Man.No.Way.Home.2021.2160p", "Spider-Man: No Way Home", 2021),
    ("Marvels.Agents.of.S.H.I.E.L.D.S01E01", "Marvel's Agents of S.H.I.E.L.D.", 2013),
    ("The.Office.US.S02E03.720p.HDTV", "The Office", 2005),
    ("Dark.2017.S01.1080p", "Dark", 2017),
    ("Aeon.Flux.2005.1080p", "Æon Flux", 2005),  # letters NFKD leaves whole, spelled out
]
# ... and clearly something else
OTHER = [
    ("Heat.1995.720p", "Ronin", 1998),
    ("Heat.1995.720p", "Heat", 2013),  # same title, another film
    ("Alien.1979.1080p", "Aliens", 1986),
    ("Alien.1080p", "Aliens", None),  # one letter is another film
    ("Breaking.Bad.S03.1080p", "Better Call Saul", 2015),
    ("Heat.1995.720p", "Heath", None),
]


@pytest.mark.parametrize(("name", "title", "year"), SAME)
def test_no_mismatch_for_the_same_item(name, title, year):
    assert mismatch(parse_release(name), title, year) is False


@pytest.mark.parametrize(("name", "title", "year"), OTHER)
def test_mismatch_for_another_item(name, title, year):
    assert mismatch(parse_release(name), title, year) is True


def test_an_unreadable_name_never_mismatches():
    assert mismatch(parse_release(""), "Heat", 1995) is False


def test_title_similarity_orders_near_titles():
    assert title_similarity("Heat", "heat") == 1.0
    assert title_similarity("Aliens", "Alien") < title_similarity("Alien", "Alien")
    assert title_similarity("", "Heat") == 0.0


LIBRARY = [
    Candidate("movie", "Alien", 1979),
    Candidate("movie", "Aliens", 1986),
    Candidate("movie", "Heat", 1995),
    Candidate("movie", "Heat", 2013),
    Candidate("movie", "Léon: The Professional", 1994),
    Candidate("show", "Dark", 2017),
    Candidate("movie", "Dark", 2017),
    Candidate("show", "Breaking Bad", 2008),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alien.1979.1080p.BluRay", 0),
        ("Aliens.1986.1080p.BluRay", 1),
        ("Heat.1995.720p", 2),
        ("Heat.2013.720p", 3),
        ("Leon.1994.1080p", 4),
        ("Dark.2017.S01E01.1080p", 5),  # an episode: the show, not the film of the same name
        ("Dark.2017.1080p.BluRay", 6),
        ("Breaking.Bad.S03.1080p.BluRay", 7),
        ("Breaking Bad Complete Series", 7),
    ],
)
def test_best_match(name, expected):
    assert best_match(parse_release(name), LIBRARY) == expected


@pytest.mark.parametrize(
    "name", ["ubuntu-24.04-desktop-amd64.iso", "Heat.1970.720p", "Ronin.1998.1080p", ""]
)
def test_best_match_is_none_when_nothing_fits(name):
    assert best_match(parse_release(name), LIBRARY) is None
