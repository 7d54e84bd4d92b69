"""Release-name matching on names as they come in real torrents."""

from __future__ import annotations

import pytest

from app.library.matching import (
    guess_resolution,
    guess_source,
    is_sample_or_extra,
    is_video,
    match_episodes,
    rank_movie_files,
)

MiB = 1024 * 1024
GiB = 1024 * MiB


def _files(*entries):
    return [(index, path, size) for index, (path, size) in enumerate(entries)]


def test_is_video():
    assert is_video("Movie/Movie.2019.1080p.mkv")
    assert is_video("MOVIE.MP4")
    assert is_video("Disc\\VIDEO_TS\\VTS_01_1.VOB")
    assert not is_video("Movie/Movie.nfo")
    assert not is_video("Movie/Subs/English.srt")
    assert not is_video("mkv")


MOVIE = 8 * GiB  # largest video of a movie torrent
EPISODE = 350 * MiB  # largest video of a season pack


@pytest.mark.parametrize(
    ("path", "size", "largest", "extra"),
    [
        ("Movie.2019/Sample/movie-sample.mkv", 50 * MiB, MOVIE, True),
        ("Movie.2019/movie.2019.sample.mkv", 60 * MiB, MOVIE, True),
        ("Movie.2019/Featurettes/Making.Of.mkv", 900 * MiB, MOVIE, True),
        ("Movie.2019/Extras/Gag Reel.mkv", 300 * MiB, MOVIE, True),
        ("Movie.2019/Movie.2019.Trailer.mp4", 80 * MiB, MOVIE, True),
        ("Movie.2019/tiny.mkv", 20 * MiB, MOVIE, True),
        ("Movie.2019/Movie.2019.1080p.mkv", MOVIE, MOVIE, False),
        ("Movie.2019.Part.2/Movie.2019.Part.2.mkv", 3 * GiB, MOVIE, False),
        ("Trailer.Park.Boys.S01/Trailer.Park.Boys.S01E02.mkv", 330 * MiB, EPISODE, False),
        ("Show.S01/Specials/Show.S00E01.mkv", 300 * MiB, EPISODE, False),
        ("Show.S01/Show.S01E05.720p.mkv", 200 * MiB, EPISODE, False),
    ],
)
def test_is_sample_or_extra(path, size, largest, extra):
    assert is_sample_or_extra(path, size, largest) is extra


def test_rank_movie_files_preselects_the_main_video():
    files = _files(
        ("The.Matrix.1999.1080p.BluRay.x264-GRP/The.Matrix.1999.1080p.BluRay.x264-GRP.nfo", 4096),
        ("The.Matrix.1999.1080p.BluRay.x264-GRP/Sample/the.matrix.sample.mkv", 40 * MiB),
        (
            "The.Matrix.1999.1080p.BluRay.x264-GRP/The.Matrix.1999.1080p.BluRay.x264-GRP.mkv",
            9 * GiB,
        ),
        ("The.Matrix.1999.1080p.BluRay.x264-GRP/Featurettes/Follow the White Rabbit.mkv", 1 * GiB),
        ("The.Matrix.1999.1080p.BluRay.x264-GRP/Subs/English.srt", 90_000),
    )
    ranked = rank_movie_files(files)
    assert [c.index for c in ranked] == [2, 3, 1, 4, 0]  # other files last, largest first
    assert [c.preselected for c in ranked] == [True, False, False, False, False]
    assert [(c.is_video, c.is_extra) for c in ranked[:3]] == [
        (True, False),
        (True, True),
        (True, True),
    ]
    assert rank_movie_files(_files(("readme.txt", 10)))[0].preselected is False
    assert rank_movie_files([]) == []


def test_season_pack_with_sample_and_extras():
    root = "Breaking.Bad.S01.1080p.BluRay.x264-ROVERS"
    files = _files(
        (f"{root}/Breaking.Bad.S01E01.Pilot.1080p.BluRay.x264-ROVERS.mkv", 2 * GiB),
        (f"{root}/Breaking.Bad.S01E02.Cats.in.the.Bag.1080p.BluRay.x264-ROVERS.mkv", 1.8 * GiB),
        (f"{root}/Breaking.Bad.S01E03.And.the.Bags.in.the.River.1080p.mkv", 1.9 * GiB),
        (f"{root}/Sample/breaking.bad.s01e04.sample.mkv", 60 * MiB),
        (f"{root}/Extras/Breaking.Bad.S01E05.Behind.the.Scenes.mkv", 300 * MiB),
        (f"{root}/Breaking.Bad.S01E02.nfo", 2000),
    )
    wanted = [(1, n) for n in range(1, 8)]
    assert match_episodes(files, wanted) == {(1, 1): 0, (1, 2): 1, (1, 3): 2}


def test_1x02_and_numeric_names():
    files = _files(
        ("The.Office.US.1x01.Pilot.720p.mkv", 400 * MiB),
        ("The.Office.US.1x02.Diversity.Day.720p.mkv", 400 * MiB),
        ("Show - 103 - Health Care.mkv", 400 * MiB),
    )
    assert match_episodes(files, [(1, 1), (1, 2), (1, 3)]) == {(1, 1): 0, (1, 2): 1, (1, 3): 2}


def test_multi_episode_files_serve_every_episode_they_hold():
    files = _files(
        ("Lost.S01.720p/Lost.S01E01E02.Pilot.720p.WEB-DL.mkv", 1.4 * GiB),
        ("Lost.S01.720p/Lost.S01E03-E04.Tabula.Rasa.720p.WEB-DL.mkv", 1.4 * GiB),
        ("Lost.S01.720p/Lost.S01E05.720p.WEB-DL.mkv", 700 * MiB),
    )
    assert match_episodes(files, [(1, n) for n in range(1, 6)]) == {
        (1, 1): 0,
        (1, 2): 0,
        (1, 3): 1,
        (1, 4): 1,
        (1, 5): 2,
    }


def test_single_episode_file_beats_a_multi_episode_one_and_larger_wins():
    files = _files(
        ("Pack/Show.S01E01E02.mkv", 1 * GiB),
        ("Pack/Show.S01E02.mkv", 500 * MiB),
        ("Pack/Show.S01E03.720p.mkv", 500 * MiB),
        ("Pack/Show.S01E03.1080p.mkv", 900 * MiB),
    )
    assert match_episodes(files, [(1, 1), (1, 2), (1, 3)]) == {(1, 1): 0, (1, 2): 1, (1, 3): 3}


def test_season_folders_and_season_hint():
    files = _files(
        ("Friends Season 2/03 - The One with the Thumb.mkv", 350 * MiB),
        ("Friends Season 2/04 - The One with George Stephanopoulos.mkv", 350 * MiB),
        ("Friends Season 3/01 - The One with the Princess Leia Fantasy.mkv", 350 * MiB),
    )
    assert match_episodes(files, [(2, 3), (2, 4), (3, 1)]) == {(2, 3): 0, (2, 4): 1, (3, 1): 2}
    pack = _files(("Dark.Pack/03 - Ghosts.mkv", 1 * GiB), ("Dark.Pack/E04 - Truths.mkv", 1 * GiB))
    assert match_episodes(pack, [(2, 3), (2, 4), (3, 3)], season_hint=2) == {(2, 3): 0, (2, 4): 1}
    # no hint, but every wanted episode is from season 2
    assert match_episodes(pack, [(2, 3), (2, 4)]) == {(2, 3): 0, (2, 4): 1}
    # no hint and several seasons wanted: a season-less name is ambiguous, so no guess
    assert match_episodes(pack, [(2, 3), (3, 3)]) == {}


def test_only_wanted_episodes_and_videos_are_matched():
    files = _files(
        ("Show.S02E01.mkv", 500 * MiB),
        ("Show.S02E01.srt", 50_000),
        ("Show.S03E01.mkv", 500 * MiB),
    )
    assert match_episodes(files, [(2, 1)]) == {(2, 1): 0}
    assert match_episodes([], [(1, 1)]) == {}


@pytest.mark.parametrize(
    ("path", "resolution", "source"),
    [
        ("The.Matrix.1999.2160p.UHD.BluRay.x265-TERMINAL.mkv", "2160p", "UHD BluRay"),
        ("Movie.2019.1080p.BluRay.x264-GRP.mkv", "1080p", "BluRay"),
        ("Movie.2019.720p.WEB-DL.DDP5.1.H.264-GRP.mkv", "720p", "WEB-DL"),
        ("Movie.2019.1080p.WEBRip.x264.mp4", "1080p", "WEBRip"),
        ("Show.S01E01.HDTV.x264-LOL.mkv", None, "HDTV"),
        ("Movie.2019.DVDRip.XviD.avi", None, "DVDRip"),
        ("Movie.2019.BDRip.mkv", None, "BDRip"),
        ("Movie.2019.HDCAM.mkv", None, "CAM"),
        ("Pack.480p/home video.mp4", "480p", None),
        ("home video.mp4", None, None),
    ],
)
def test_resolution_and_source(path, resolution, source):
    assert guess_resolution(path) == resolution
    assert guess_source(path) == source
