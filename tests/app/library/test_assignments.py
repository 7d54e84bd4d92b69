"""Assignments: one active per item enforced by the database, cascades, listing, threads."""

from __future__ import annotations

import threading

import peewee
import pytest

from app.library.errors import InvalidValue, NotFound
from app.library.records import EpisodeData

HASH_A = "a" * 40
HASH_B = "0123456789abcdef0123456789abcdef01234567"


def _assign(library, item_type, item_id, info_hash=HASH_A, index=0, **extra):
    return library.assign(
        item_type,
        item_id,
        info_hash=info_hash,
        file_index=index,
        file_path=f"Release/file{index}.mkv",
        file_size=1000 + index,
        **extra,
    )


def test_assign_replaces_the_active_one_and_keeps_history(library):
    movie = library.add_movie("Heat", 1995)
    first = _assign(
        library,
        "movie",
        movie.id,
        magnet_uri=f"magnet:?xt=urn:btih:{HASH_A}",
        resolution="1080p",
        source="BluRay",
    )
    second = _assign(library, "movie", movie.id, HASH_B, 2, torrent_data=b"d4:infoe")
    assert library.active_assignment("movie", movie.id).id == second.id
    assert [(a.id, a.active) for a in library.assignments_of("movie", movie.id)] == [
        (second.id, True),
        (first.id, False),
    ]
    assert library.torrent_data(second.id) == b"d4:infoe"
    assert library.activate(first.id).active
    assert not library.get_assignment(second.id).active
    # the same torrent file again reactivates the existing row
    again = _assign(library, "movie", movie.id, HASH_B, 2)
    assert again.id == second.id and again.active
    assert again.torrent_data == b"d4:infoe"
    assert len(library.assignments_of("movie", movie.id)) == 2
    assert not library.deactivate(second.id).active
    assert library.active_assignment("movie", movie.id) is None
    library.delete_assignment(first.id)
    assert [a.id for a in library.assignments_of("movie", movie.id)] == [second.id]


def test_one_active_assignment_is_enforced_by_the_database(library, db):
    movie = library.add_movie("Heat", 1995)
    first = _assign(library, "movie", movie.id)
    _assign(library, "movie", movie.id, HASH_B)
    with pytest.raises(peewee.IntegrityError):
        db.execute_sql("UPDATE assignment SET active = 1 WHERE id = ?", (first.id,))
    with pytest.raises(peewee.IntegrityError, match="does not exist"):
        db.execute_sql(
            "INSERT INTO assignment (item_type, item_id, info_hash, file_index, file_path, "
            "file_size, created_at) VALUES ('movie', 999, ?, 0, 'x', 1, 'now')",
            (HASH_A,),
        )
    assert sum(a.active for a in library.assignments_of("movie", movie.id)) == 1


def test_info_hash_forms_and_bad_assignments(library):
    movie = library.add_movie("Heat", 1995)
    upper = _assign(library, "movie", movie.id, HASH_B.upper())
    assert upper.info_hash == HASH_B
    base32 = _assign(library, "movie", movie.id, "VKVKVKVKVKVKVKVKVKVKVKVKVKVKVKVK")
    assert base32.info_hash == "aa" * 20
    for bad in ("xyz", "g" * 40, HASH_A[:-1]):
        with pytest.raises(InvalidValue, match="info hash"):
            _assign(library, "movie", movie.id, bad)
    with pytest.raises(InvalidValue, match="item type"):
        _assign(library, "show", movie.id)
    with pytest.raises(InvalidValue, match="file index"):
        _assign(library, "movie", movie.id, index=-1)
    with pytest.raises(NotFound):
        _assign(library, "episode", 12345)
    assert library.active_assignment("movie", movie.id).id == base32.id


def test_listing_by_hash_and_known_hashes(library):
    show = library.add_show("Dark", seasons={1: 3})
    episodes = library.episodes(library.seasons(show.id)[0].id)
    for episode in episodes:
        _assign(library, "episode", episode.id, HASH_A, episode.number)
    movie = library.add_movie("Heat")
    _assign(library, "movie", movie.id, HASH_A, 9)
    _assign(library, "movie", movie.id, HASH_B, 0)
    assert [a.file_index for a in library.assignments_for_hash(HASH_A)] == [1, 2, 3, 9]
    assert [a.file_index for a in library.assignments_for_hash(HASH_A, active_only=True)] == [
        1,
        2,
        3,
    ]
    assert library.info_hashes() == {HASH_A, HASH_B}
    library.deactivate(library.active_assignment("movie", movie.id).id)
    assert library.info_hashes(active_only=True) == {HASH_A}


def test_active_entries_hold_everything_the_share_needs(library):
    movie = library.add_movie("The Matrix", 1999)
    show = library.add_show("Dark", 2017, seasons={2: 3})
    episode = library.find_episode(show.id, 2, 3)
    library.update_show(show.id, overview="Time")
    library.upsert_season(
        show.id, 2, episodes=[EpisodeData(1), EpisodeData(2), EpisodeData(3, "Ghosts")]
    )
    m = _assign(library, "movie", movie.id, torrent_data=b"d4:infoe", resolution="2160p")
    e = _assign(library, "episode", episode.id, HASH_B, 4, magnet_uri="magnet:?xt=x")
    _assign(library, "movie", movie.id, HASH_B, 7)  # replaces m
    library.activate(m.id)
    entries = {entry.kind: entry for entry in library.active_entries()}
    assert len(library.active_entries()) == 2
    movie_entry, episode_entry = entries["movie"], entries["episode"]
    assert (
        movie_entry.item_id,
        movie_entry.title,
        movie_entry.year,
        movie_entry.assignment_id,
        movie_entry.info_hash,
        movie_entry.file_index,
        movie_entry.file_size,
        movie_entry.has_torrent_data,
        movie_entry.resolution,
        movie_entry.show_id,
    ) == (movie.id, "The Matrix", 1999, m.id, HASH_A, 0, 1000, True, "2160p", None)
    assert movie_entry.added_at == movie.added_at
    assert movie_entry.created_at == m.created_at
    assert (
        episode_entry.item_id,
        episode_entry.title,
        episode_entry.year,
        episode_entry.show_id,
        episode_entry.season_number,
        episode_entry.episode_number,
        episode_entry.episode_title,
        episode_entry.file_path,
        episode_entry.magnet_uri,
        episode_entry.has_torrent_data,
    ) == (
        episode.id,
        "Dark",
        2017,
        show.id,
        2,
        3,
        "Ghosts",
        "Release/file4.mkv",
        "magnet:?xt=x",
        False,
    )
    assert episode_entry.assignment_id == e.id


def test_active_entries_carry_what_the_share_metadata_files_say(library):
    movie = library.add_movie(
        "The Matrix",
        1999,
        tmdb_id=603,
        imdb_id="tt0133093",
        overview="Neo wakes up.",
        poster_path="/matrix.jpg",
        backdrop_path="/matrix-wide.jpg",
    )
    show = library.add_show(
        "Dark",
        2017,
        tmdb_id=70523,
        imdb_id="tt5753856",
        overview="Time",
        poster_path="/dark.jpg",
        backdrop_path=None,
    )
    library.upsert_season(
        show.id,
        1,
        poster_path="/dark-s1.jpg",
        episodes=[EpisodeData(1, "Secrets", "A boy vanishes.", "2017-12-01")],
    )
    _assign(library, "movie", movie.id)
    _assign(library, "episode", library.find_episode(show.id, 1, 1).id, HASH_B, 4)
    entries = {entry.kind: entry for entry in library.active_entries()}
    movie_entry, episode_entry = entries["movie"], entries["episode"]
    assert (
        movie_entry.tmdb_id,
        movie_entry.imdb_id,
        movie_entry.overview,
        movie_entry.poster_path,
        movie_entry.backdrop_path,
        movie_entry.season_poster_path,
    ) == (603, "tt0133093", "Neo wakes up.", "/matrix.jpg", "/matrix-wide.jpg", None)
    assert (
        episode_entry.tmdb_id,
        episode_entry.imdb_id,
        episode_entry.overview,
        episode_entry.poster_path,
        episode_entry.backdrop_path,
        episode_entry.season_poster_path,
        episode_entry.episode_overview,
        episode_entry.air_date,
    ) == (
        70523,
        "tt5753856",
        "Time",
        "/dark.jpg",
        None,
        "/dark-s1.jpg",
        "A boy vanishes.",
        "2017-12-01",
    )


def test_deleting_items_deletes_their_assignments(library, db):
    movie = library.add_movie("Heat", 1995)
    kept = library.add_movie("Alien", 1979)
    _assign(library, "movie", movie.id)
    _assign(library, "movie", movie.id, HASH_B)
    _assign(library, "movie", kept.id)
    show = library.add_show("Dark", seasons={1: 2, 2: 2})
    for season in library.seasons(show.id):
        for episode in library.episodes(season.id):
            _assign(library, "episode", episode.id, HASH_B, episode.number)
    other = library.add_show("Lost", seasons={1: 1})
    lost_episode = library.find_episode(other.id, 1, 1)
    _assign(library, "episode", lost_episode.id)

    library.delete_movie(movie.id)
    assert library.assignments_of("movie", movie.id) == []
    library.delete_show(show.id)
    assert db.execute_sql("SELECT count(*) FROM season").fetchone() == (1,)
    assert db.execute_sql("SELECT count(*) FROM episode").fetchone() == (1,)
    remaining = db.execute_sql("SELECT item_type, item_id FROM assignment").fetchall()
    assert sorted(remaining) == [("episode", lost_episode.id), ("movie", kept.id)]
    # a season deleted on its own takes its episodes' assignments too
    library.delete_season(library.seasons(other.id)[0].id)
    assert library.assignments_of("episode", lost_episode.id) == []


def test_writes_from_many_threads(library):
    movies = [library.add_movie(f"Movie {n}", 2000 + n) for n in range(4)]
    errors = []
    changes = []
    library.add_listener(lambda: changes.append(threading.get_ident()))

    def worker(worker_id: int) -> None:
        try:
            for round_ in range(15):
                library.add_movie(f"Worker {worker_id} round {round_}")
                for movie in movies:
                    library.assign(
                        "movie",
                        movie.id,
                        info_hash=f"{worker_id:040x}",
                        file_index=round_,
                        file_path="f.mkv",
                        file_size=1,
                    )
                library.list_movies(search="worker")
        except Exception as exc:  # collected: a thread's exception would be lost otherwise
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(library.list_movies(search="worker")) == 6 * 15
    for movie in movies:
        rows = library.assignments_of("movie", movie.id)
        assert len(rows) == 6 * 15
        assert sum(row.active for row in rows) == 1
    assert len(changes) == 6 * 15 * 5
    assert len(set(changes)) == 6
