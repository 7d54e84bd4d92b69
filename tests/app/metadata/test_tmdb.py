"""TmdbClient against a MockTransport serving TMDB-shaped answers, and real sockets for failures."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest

from app.metadata.tmdb import (
    MovieResult,
    SeasonSummary,
    TmdbAuthError,
    TmdbClient,
    TmdbError,
    TmdbNetworkError,
    TmdbNotFound,
    TmdbRateLimited,
)
from app.settings import Settings
from tests.app.metadata.fake_tmdb import API_KEY, JPEG, READ_TOKEN, FakeTmdb, error


def run(coro):
    return asyncio.run(coro)


def client_for(fake: FakeTmdb, credential: str = API_KEY, **kwargs) -> TmdbClient:
    return TmdbClient(credential, transport=fake.transport(), **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- credentials ----------------------------------------------------------------------------


def test_v3_key_goes_in_the_query_and_language_and_adult_are_sent():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake, language="de-DE", include_adult=True) as client:
            return await client.search_movies("  The Matrix ", year=1999)

    results = run(main())
    assert results
    request = fake.requests[-1]
    assert request.url.path == "/3/search/movie"
    assert request.url.params["api_key"] == API_KEY
    assert "Authorization" not in request.headers
    assert request.url.params["query"] == "The Matrix"
    assert request.url.params["year"] == "1999"
    assert request.url.params["language"] == "de-DE"
    assert request.url.params["include_adult"] == "true"
    assert request.headers["User-Agent"].startswith("Reelbox/")


def test_v4_token_goes_in_a_bearer_header_and_not_in_the_url():
    fake = FakeTmdb(credential=READ_TOKEN)

    async def main():
        async with client_for(fake, READ_TOKEN) as client:
            assert client.uses_bearer
            return await client.movie(603)

    assert run(main()).title == "The Matrix"
    request = fake.requests[-1]
    assert request.headers["Authorization"] == f"Bearer {READ_TOKEN}"
    assert "api_key" not in request.url.params


def test_settings_supply_language_and_include_adult():
    settings = Settings()
    settings.set("tmdb.language", "fr-FR")
    fake = FakeTmdb()

    async def main():
        async with TmdbClient.from_settings(
            API_KEY, settings.tmdb, transport=fake.transport()
        ) as client:
            await client.search_shows("Breaking Bad")

    run(main())
    assert fake.requests[-1].url.params["language"] == "fr-FR"
    assert fake.requests[-1].url.params["include_adult"] == "false"


@pytest.mark.parametrize("credential", ["", "   ", None])
def test_missing_credential_is_a_clear_error(credential):
    with pytest.raises(TmdbAuthError, match="no TMDB API key"):
        TmdbClient(credential)


def test_credential_with_spaces_is_rejected():
    with pytest.raises(TmdbAuthError, match="spaces"):
        TmdbClient("0123 4567")


# ---- parsing ----------------------------------------------------------------------------------


def test_search_movies_parses_results_and_missing_dates():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.search_movies("matrix")

    results = run(main())
    assert results[0] == MovieResult(
        tmdb_id=603,
        title="The Matrix",
        year=1999,
        overview=fake.data["/3/search/movie"]["results"][0]["overview"],
        poster_path="/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg",
        original_title="The Matrix",
    )
    assert results[2].original_title == "アニマトリックス"
    unknown = results[3]
    assert (unknown.year, unknown.poster_path, unknown.overview) == (None, None, "")
    assert "year" not in fake.requests[-1].url.params


def test_search_shows_sends_first_air_date_year():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.search_shows("Breaking Bad", year=2008)

    results = run(main())
    assert [(r.tmdb_id, r.title, r.year) for r in results] == [
        (1396, "Breaking Bad", 2008),
        (105214, "Breaking Bad: Original Minisodes", None),
    ]
    assert fake.requests[-1].url.path == "/3/search/tv"
    assert fake.requests[-1].url.params["first_air_date_year"] == "2008"


def test_empty_search_is_refused_before_any_request():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            await client.search_movies("   ")

    with pytest.raises(ValueError, match="empty"):
        run(main())
    assert fake.requests == []


def test_movie_details():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.movie(603), await client.movie(1196470)

    matrix, unknown = run(main())
    assert (matrix.tmdb_id, matrix.title, matrix.year, matrix.imdb_id, matrix.runtime) == (
        603,
        "The Matrix",
        1999,
        "tt0133093",
        136,
    )
    assert matrix.genres == ("Action", "Science Fiction")
    assert (
        unknown.year,
        unknown.imdb_id,
        unknown.runtime,
        unknown.poster_path,
        unknown.genres,
    ) == (None, None, None, None, ())


def test_show_details_include_specials():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.show(1396)

    show = run(main())
    assert (show.tmdb_id, show.title, show.year) == (1396, "Breaking Bad", 2008)
    assert [season.number for season in show.seasons] == [0, 1, 2, 3, 4, 5]
    assert show.seasons[0] == SeasonSummary(
        0, "Specials", 9, "/40dT79mDEZwXkQiZNBgSaydQFDP.jpg", "2009-02-17"
    )
    assert show.seasons[5].episode_count == 16


def test_show_details_bring_the_imdb_id_in_the_same_request():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.show(1396)

    show = run(main())
    assert show.imdb_id == "tt0903747"
    (request,) = fake.requests
    assert request.url.path == "/3/tv/1396"
    assert request.url.params["append_to_response"] == "external_ids"


@pytest.mark.parametrize("unknown", [None, ""])
def test_a_show_imdb_does_not_know_has_no_imdb_id(unknown):
    fake = FakeTmdb()
    fake.edit("/3/tv/1396/external_ids")["imdb_id"] = unknown

    async def main():
        async with client_for(fake) as client:
            return await client.show(1396)

    assert run(main()).imdb_id is None


@pytest.mark.parametrize(
    "external_ids", [["tt0903747"], {"imdb_id": 903747}], ids=["not-an-object", "not-text"]
)
def test_malformed_external_ids_are_a_tmdb_error(external_ids):
    fake = FakeTmdb()
    answer = dict(fake.data["/3/tv/1396"], external_ids=external_ids)
    fake.queue("/3/tv/1396", httpx.Response(200, json=answer))

    async def main():
        async with client_for(fake) as client:
            await client.show(1396)

    with pytest.raises(TmdbError, match="unexpected answer for show 1396"):
        run(main())


def test_season_details_with_episodes():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            return await client.season(1396, 1)

    season = run(main())
    assert (season.number, season.name, season.air_date) == (1, "Season 1", "2008-01-20")
    assert [episode.number for episode in season.episodes] == list(range(1, 8))
    pilot = season.episodes[0]
    assert (pilot.title, pilot.air_date, pilot.still_path) == (
        "Pilot",
        "2008-01-20",
        "/ydlY3iPfeOAvu8gVqrxPoMvzNCn.jpg",
    )
    assert season.episodes[1].title == "Cat's in the Bag..."


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"page": 1, "total_results": 0}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, text="<html>maintenance</html>"),
    ],
)
def test_unexpected_answers_become_tmdb_errors(answer):
    fake = FakeTmdb()
    fake.queue("/3/search/movie", answer)

    async def main():
        async with client_for(fake) as client:
            await client.search_movies("matrix")

    with pytest.raises(TmdbError, match="movie search for 'matrix'"):
        run(main())


# ---- HTTP errors -----------------------------------------------------------------------------


def test_wrong_key_is_an_auth_error_with_tmdbs_message():
    fake = FakeTmdb(credential="ffffffffffffffffffffffffffffffff")

    async def main():
        async with client_for(fake) as client:
            await client.movie(603)

    with pytest.raises(TmdbAuthError, match="Invalid API key") as caught:
        run(main())
    assert API_KEY not in str(caught.value)


def test_wrong_token_is_an_auth_error():
    fake = FakeTmdb(credential=API_KEY)

    async def main():
        async with client_for(fake, READ_TOKEN) as client:
            await client.show(1396)

    with pytest.raises(TmdbAuthError, match="Authentication failed"):
        run(main())


def test_unknown_id_is_not_found():
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            await client.season(1396, 42)

    with pytest.raises(TmdbNotFound, match="season 42 of show 1396.*could not be found"):
        run(main())


def test_server_error_is_a_tmdb_error():
    fake = FakeTmdb()
    fake.queue("/3/movie/603", httpx.Response(503, text="Service Unavailable"))

    async def main():
        async with client_for(fake) as client:
            await client.movie(603)

    with pytest.raises(TmdbError, match="HTTP 503"):
        run(main())


def test_rate_limit_honours_retry_after_then_succeeds():
    fake = FakeTmdb()
    fake.queue("/3/movie/603", error("error_429.json", 429, {"Retry-After": "1"}))

    async def main():
        async with client_for(fake) as client:
            started = time.monotonic()
            movie = await client.movie(603)
            return movie, time.monotonic() - started

    movie, elapsed = run(main())
    assert movie.title == "The Matrix"
    assert fake.hits("/3/movie/603") == 2
    assert elapsed >= 0.95


def test_rate_limit_gives_up_after_the_retries():
    fake = FakeTmdb()
    fake.queue(
        "/3/movie/603", *[error("error_429.json", 429, {"Retry-After": "0"}) for _ in range(10)]
    )

    async def main():
        async with client_for(fake, max_retries=2) as client:
            await client.movie(603)

    with pytest.raises(TmdbRateLimited, match="limiting") as caught:
        run(main())
    assert caught.value.retry_after == 0
    assert fake.hits("/3/movie/603") == 3


def test_rate_limit_with_a_long_wait_fails_at_once():
    fake = FakeTmdb()
    fake.queue("/3/movie/603", error("error_429.json", 429, {"Retry-After": "120"}))

    async def main():
        async with client_for(fake) as client:
            await client.movie(603)

    started = time.monotonic()
    with pytest.raises(TmdbRateLimited) as caught:
        run(main())
    assert caught.value.retry_after == 120
    assert time.monotonic() - started < 1
    assert fake.hits("/3/movie/603") == 1


# ---- network errors (real sockets on 127.0.0.1) ---------------------------------------------


def test_refused_connection_is_a_network_error():
    url = f"http://127.0.0.1:{closed_port()}/3"

    async def main():
        async with TmdbClient(API_KEY, api_url=url, timeout=2) as client:
            await client.movie(603)

    with pytest.raises(TmdbNetworkError, match="cannot reach TMDB"):
        run(main())


def test_silent_server_is_a_timeout():
    async def main():
        accepted = []

        async def hold(reader, writer):
            accepted.append(writer)  # read nothing, answer nothing

        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with TmdbClient(
                API_KEY, api_url=f"http://127.0.0.1:{port}/3", timeout=0.3
            ) as client:
                started = time.monotonic()
                with pytest.raises(TmdbNetworkError, match="did not answer within 0.3 s"):
                    await client.movie(603)
                assert time.monotonic() - started < 2
        finally:
            for writer in accepted:
                writer.close()
            server.close()
            await server.wait_closed()

    run(main())


# ---- the secret never reaches a log record --------------------------------------------------


@pytest.mark.parametrize("credential", [API_KEY, READ_TOKEN])
def test_no_log_record_carries_the_credential(caplog, credential):
    caplog.set_level(logging.DEBUG)
    fake = FakeTmdb(credential=credential)
    fake.images["/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg"] = JPEG
    fake.queue("/3/tv/1396", error("error_429.json", 429, {"Retry-After": "0"}))
    errors = []

    async def main():
        async with client_for(fake, credential) as client:
            await client.search_movies("matrix")
            await client.show(1396)
            await client.download_image("/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg")
            try:
                await client.movie(999999)
            except TmdbNotFound as exc:
                errors.append(exc)
        async with TmdbClient(credential, api_url=f"http://127.0.0.1:{closed_port()}/3") as client:
            try:
                await client.movie(603)
            except TmdbNetworkError as exc:
                errors.append(exc)

    run(main())
    messages = [record.getMessage() for record in caplog.records]
    # httpx did log the request URLs, so the check below looked where the key would leak.
    assert any(
        m.startswith("HTTP Request: GET https://api.themoviedb.org/3/tv/1396") for m in messages
    )
    assert any("httpcore" in record.name for record in caplog.records)
    assert len(errors) == 2
    for text in [*messages, caplog.text, *map(str, errors)]:
        assert credential not in text


# ---- images -----------------------------------------------------------------------------------


def test_download_image_goes_to_the_image_host_without_the_key():
    fake = FakeTmdb()
    fake.images["/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"] = JPEG

    async def main():
        async with client_for(fake) as client:
            return await client.download_image("/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg", "w500")

    assert run(main()) == JPEG
    request = fake.requests[-1]
    assert str(request.url) == "https://image.tmdb.org/t/p/w500/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"
    assert "api_key" not in request.url.params
    assert "Authorization" not in request.headers


def test_missing_image_is_not_found_and_html_is_not_a_picture():
    fake = FakeTmdb()
    fake.queue(
        "/t/p/w342/page.jpg",
        httpx.Response(200, text="<html>oops</html>", headers={"Content-Type": "text/html"}),
    )

    async def main():
        async with client_for(fake) as client:
            with pytest.raises(TmdbNotFound, match="image w342/missing.jpg"):
                await client.download_image("/missing.jpg")
            with pytest.raises(TmdbError, match="no picture"):
                await client.download_image("/page.jpg")

    run(main())


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("../../etc/passwd", "w342"),
        ("/a/../b.jpg", "w342"),
        ("abc.jpg", "w342"),
        ("/abc.jpg", "w342/../x"),
        ("/abc.jpg", ""),
        ("/..", "w342"),
    ],
)
def test_bad_image_references_are_refused(path, size):
    fake = FakeTmdb()

    async def main():
        async with client_for(fake) as client:
            await client.download_image(path, size)

    with pytest.raises(ValueError, match="TMDB image"):
        run(main())
    assert fake.requests == []
