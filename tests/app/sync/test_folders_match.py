"""Which library item a release name is about: guessit's reading, folded titles, fallbacks."""

from __future__ import annotations

import pytest

from app.sync.folder_match import Release, TitleIndex, fold, guess_release, single_candidate


@pytest.mark.parametrize(
    ("name", "kind", "title", "year", "season", "episodes"),
    [
        ("Heat.1995.1080p.BluRay.x264-GRP.mkv", "movie", "Heat", 1995, None, ()),
        ("Dark.S01E03.720p.WEB.mkv", "episode", "Dark", None, 1, (3,)),
        ("Dark.S01.1080p.WEB-DL-GRP", "episode", "Dark", None, 1, ()),
        ("Dark (2017)/Season 1/03 - Lies.mkv", "episode", "Dark", 2017, 1, (3,)),
        ("Doctor.Who.2005.S01E01E02.mkv", "episode", "Doctor Who", 2005, 1, (1, 2)),
    ],
)
def test_release_names(name, kind, title, year, season, episodes):
    release = guess_release(name)
    assert (release.kind, release.title, release.year) == (kind, title, year)
    assert (release.season, release.episodes) == (season, episodes)


def test_titles_match_without_case_accents_or_punctuation(library):
    amelie = library.add_movie("Amélie", 2001)
    star = library.add_movie("Star Wars: Episode IV - A New Hope", 1977)
    shield = library.add_show("Marvel's Agents of S.H.I.E.L.D.", 2013)
    titles = TitleIndex(library)
    assert fold("Marvel's Agents of S.H.I.E.L.D.") == "marvel s agents of s h i e l d"
    for name, item in (
        ("Amelie.2001.DVDRip.avi", amelie),
        ("Star.Wars.Episode.IV.A.New.Hope.1977.mkv", star),
        ("Marvels.Agents.of.S.H.I.E.L.D.S01E01.mkv", None),  # "Marvels" is not "Marvel s"
        ("Marvel's.Agents.of.S.H.I.E.L.D.S01E01.mkv", shield),
    ):
        found = titles.candidates(guess_release(name))
        assert [c.id for c in found] == ([item.id] if item else []), name


def test_a_title_guessit_cuts_short_is_found_by_the_name(library):
    spider = library.add_movie("Spider-Man", 2002)
    library.add_movie("Spider-Man: No Way Home", 2021)
    wall_e = library.add_movie("WALL·E", 2008)
    heat = library.add_movie("Heat", 1995)
    titles = TitleIndex(library)
    assert guess_release("Spider-Man.2002.1080p.mkv").title == "Man"  # guessit's reading
    assert [c.id for c in titles.candidates(guess_release("Spider-Man.2002.1080p.mkv"))] == [
        spider.id
    ]
    assert [c.id for c in titles.candidates(guess_release("WALL-E.2008.mkv"))] == [wall_e.id]
    # the title must be followed by the year: a longer title or another year is no match
    assert titles.candidates(guess_release("Heat.Wave.2019.mkv")) == []
    assert titles.candidates(guess_release("Spider-Man.1977.mkv")) == []
    assert [c.id for c in titles.candidates(guess_release("Heat.1995.mkv"))] == [heat.id]


def test_single_candidate_says_why_not(library):
    library.add_movie("Heat", 1995)
    library.add_movie("Heat", 1986)
    titles = TitleIndex(library)
    assert single_candidate(None, titles, "x.mkv") == (
        None,
        "the name 'x.mkv' does not say which movie or show it is",
    )
    assert single_candidate(Release("movie", "Heat"), titles, "Heat.mkv") == (
        None,
        "2 movies match Heat: Heat (1986), Heat (1995)",
    )
    found, reason = single_candidate(Release("movie", "Heat", 1986), titles, "Heat.1986.mkv")
    assert found.label == "Heat (1986)" and reason is None
    assert single_candidate(Release("episode", "Heat"), titles, "Heat.S01E01.mkv") == (
        None,
        "no show in the library matches Heat",
    )
