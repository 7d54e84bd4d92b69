"""/api/torrents says where each open reader is: per torrent, the piece at every open
reader's position (sorted), in the list and in the detail, over real HTTP on a real stack."""

from __future__ import annotations

from tests.app.share.test_api import MOVIE_FILE, add_movie
from tests.support.swarm import KiB, MiB, wait_until

PIECE = 256 * KiB


def reading(client, info_hash: str) -> tuple[list[int], list[int]]:
    """The reading pieces in /api/torrents and in /api/torrents/<hash>."""
    listed = client.get("/api/torrents").json()["torrents"]
    [entry] = [t for t in listed if t["info_hash"] == info_hash]
    detail = client.get(f"/api/torrents/{info_hash}").json()
    return entry["reading_pieces"], detail["reading_pieces"]


def test_torrents_list_the_piece_each_open_reader_is_at(stack, make_seeder):
    seeder = make_seeder({MOVIE_FILE: 4 * MiB}, piece_length=PIECE)
    with stack.client() as client:
        movie_id = add_movie(client)
        reply = client.post(f"/api/movies/{movie_id}/assign", json={"magnet_uri": seeder.magnet})
        assert reply.status_code == 201, reply.text
        assert reading(client, seeder.info_hash) == ([], [])  # nobody reads yet

        late = stack.torrents.open_file(seeder.info_hash, 0)
        early = stack.torrents.open_file(seeder.info_hash, 0)
        try:
            late.seek(11 * PIECE + 5)
            early.seek(2 * PIECE)
            offset = late.file.offset  # 0 for a single-file torrent; counted anyway
            expected = sorted([(offset + 11 * PIECE + 5) // PIECE, (offset + 2 * PIECE) // PIECE])
            assert reading(client, seeder.info_hash) == (expected, expected)
        finally:
            early.close()
        assert wait_until(lambda: reading(client, seeder.info_hash)[0] == expected[1:])
        late.close()
        assert wait_until(lambda: reading(client, seeder.info_hash) == ([], []))
