"""Many release names are read in the helper process, with the same result as in place; a
few are read in place; a helper that cannot start falls back to parsing in place."""

from __future__ import annotations

from app.library import matching
from app.sync import folder_parse

NAMES = [f"Some Show {n:02d}/Season 1/Some.Show.S01E{n:02d}.720p.mkv" for n in range(1, 31)]


def test_a_large_batch_is_read_in_the_helper_with_the_in_place_result():
    matching._cached_guess.cache_clear()
    found = folder_parse.releases(NAMES)
    assert matching._cached_guess.cache_info().currsize == 0  # guessit never ran here
    assert found == folder_parse.parse(NAMES)
    assert [(r.kind, r.title, r.season, r.episodes) for r in found[:2]] == [
        ("episode", "Some Show", 1, (1,)),
        ("episode", "Some Show", 1, (2,)),
    ]


def test_a_small_batch_is_read_in_place():
    matching._cached_guess.cache_clear()
    assert folder_parse.releases(NAMES[:3])[2].episodes == (3,)
    assert matching._cached_guess.cache_info().currsize == 3


def test_a_helper_that_fails_falls_back_to_parsing_in_place(monkeypatch):
    def broken():
        raise OSError("no processes here")

    monkeypatch.setattr(folder_parse, "_helper", broken)
    matching._cached_guess.cache_clear()
    assert folder_parse.releases(NAMES) == folder_parse.parse(NAMES)
