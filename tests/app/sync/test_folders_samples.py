"""Samples and extras in a watched folder: told apart per release, never dropped silently.

Real files in tmp_path, a real library; the helpers are test_folders.py's.
"""

from __future__ import annotations

import os

from tests.app.sync.test_folders import active_local, sync, video
from tests.support.swarm import KiB

MB = 1000 * 1000


def unmatched(source) -> dict[str, str]:
    return {os.path.basename(u["path"]): u["reason"] for u in source.detail()["unmatched"]}


def test_a_small_movie_beside_a_much_larger_unrelated_one_is_assigned(library, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    video(folder / "Some.Other.Film.1999.mkv", 20 * MB)
    small = video(folder / "Heat.1995.1080p.mkv", 288 * KiB)
    source = make_source(folder)

    assert sync(source) == "2 added; 1 assigned, 1 unmatched"
    assert active_local(library, "movie", heat.id).local_path == str(small)
    assert unmatched(source) == {
        "Some.Other.Film.1999.mkv": "no movie in the library matches Some Other Film (1999)"
    }


def test_a_real_sample_is_skipped_but_listed_with_the_reason(library, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    extras = library.add_movie("Heat: Extras", 1995)
    movie = video(folder / "Heat.1995.1080p.mkv", 300 * KiB)
    sample = video(folder / "Heat.1995.1080p.sample.mkv", 10 * KiB)
    source = make_source(folder)

    assert sync(source) == "2 added; 1 assigned, 1 unmatched"
    assert active_local(library, "movie", heat.id).local_path == str(movie)
    expected = {"Heat.1995.1080p.sample.mkv": "looks like a sample of Heat.1995.1080p.mkv"}
    assert unmatched(source) == expected
    assert sync(source) == "no changes; 1 unmatched"  # still listed, still not assigned
    assert unmatched(source) == expected

    # without the movie beside it, its name alone still says it is a sample
    movie.unlink()
    assert sync(source) == "1 removed; 1 deactivated, 1 unmatched"
    assert library.active_assignment("movie", heat.id) is None
    assert unmatched(source) == {
        "Heat.1995.1080p.sample.mkv": "looks like a sample: the name says 'Sample'"
    }

    # the Sync view's Assign… takes it anyway
    library.assign_local("movie", extras.id, str(sample), size=sample.stat().st_size)
    assert sync(source) == "no changes"
    assert unmatched(source) == {}
    assert active_local(library, "movie", extras.id).local_path == str(sample)


def test_an_unmatched_file_stays_listed_when_a_large_one_arrives_and_matches_later(
    library, folder, make_source
):
    small = video(folder / "Brazil.1985.mkv", 64 * KiB)
    source = make_source(folder)
    assert sync(source) == "1 added; 1 unmatched"
    why = "no movie in the library matches Brazil (1985)"
    assert unmatched(source) == {"Brazil.1985.mkv": why}

    video(folder / "Some.Other.Film.1999.mkv", 2 * MB)
    assert sync(source) == "1 added; 2 unmatched"
    assert unmatched(source)["Brazil.1985.mkv"] == why  # not taken for the big one's sample

    brazil = library.add_movie("Brazil", 1985)
    assert sync(source) == "no changes; 1 assigned, 1 unmatched"
    assert active_local(library, "movie", brazil.id).local_path == str(small)
    assert list(unmatched(source)) == ["Some.Other.Film.1999.mkv"]


def test_extras_by_folder_tag_or_size_within_one_release(library, folder, make_source):
    heat = library.add_movie("Heat", 1995)
    sample_film = library.add_movie("The Sample", 2020)
    boys = library.add_show("Trailer Park Boys", 2001, seasons={1: 2})
    movie = video(folder / "Heat.1995.1080p.mkv", 300 * KiB)
    video(folder / "Featurettes" / "Making Heat.mkv", 20 * KiB)
    video(folder / "Heat.1995.Featurette.mkv", 90 * KiB)  # the word, and a third of the movie
    video(folder / "Heat.1995.720p.mkv", 20 * KiB)  # nameless, a fifteenth of the movie
    video(folder / "Heat.1995.Trailer.mkv", 200 * KiB)
    # the same words as a title, and much smaller than the movie: not extras
    film = video(folder / "The.Sample.2020.mkv", 10 * KiB)
    episode = video(folder / "Trailer.Park.Boys.S01E01.mkv", 10 * KiB)
    source = make_source(folder)

    assert sync(source) == "7 added; 3 assigned, 4 unmatched"
    assert active_local(library, "movie", heat.id).local_path == str(movie)
    assert active_local(library, "movie", sample_film.id).local_path == str(film)
    first = library.find_episode(boys.id, 1, 1)
    assert active_local(library, "episode", first.id).local_path == str(episode)
    main = "Heat.1995.1080p.mkv"
    assert unmatched(source) == {
        "Making Heat.mkv": "looks like a sample or extra: it is in the folder 'Featurettes'",
        "Heat.1995.Featurette.mkv": f"looks like a sample or extra of {main} (much larger)",
        "Heat.1995.720p.mkv": f"looks like a sample or extra of {main} (much larger)",
        "Heat.1995.Trailer.mkv": f"looks like a trailer of {main}",
    }
