"""PosterCache: real files in the test's cache dir, images from the fake TMDB image host."""

from __future__ import annotations

import asyncio

import pytest

from app.metadata.posters import PosterCache
from app.metadata.tmdb import TmdbAuthError, TmdbClient, TmdbNotFound
from tests.app.metadata.fake_tmdb import API_KEY, JPEG, FakeTmdb

POSTER = "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"


def run(coro):
    return asyncio.run(coro)


def leftovers(folder):
    return [p for p in folder.rglob("*") if p.is_file() and p.name.endswith(".part")]


def test_fetch_downloads_once_and_cached_finds_the_file(paths):
    fake = FakeTmdb()
    fake.images[POSTER] = JPEG

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            cache = PosterCache(paths.poster_cache_dir, client)
            assert cache.cached(POSTER) is None
            first = await cache.fetch(POSTER)
            again = await cache.fetch(POSTER)
            return cache, first, again

    cache, first, again = run(main())
    assert first == again == paths.poster_cache_dir / "w342" / POSTER.lstrip("/")
    assert first.read_bytes() == JPEG
    assert cache.cached(POSTER) == first
    assert cache.cached(POSTER, "w500") is None
    assert fake.hits(f"/t/p/w342{POSTER}") == 1
    assert leftovers(paths.poster_cache_dir) == []


def test_concurrent_fetches_share_one_download(paths):
    fake = FakeTmdb()
    fake.images[POSTER] = JPEG
    fake.image_delay = 0.1

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            cache = PosterCache(paths.poster_cache_dir, client)
            return await asyncio.gather(*(cache.fetch(POSTER) for _ in range(8)))

    results = run(main())
    assert len(set(results)) == 1
    assert results[0].read_bytes() == JPEG
    assert fake.hits(f"/t/p/w342{POSTER}") == 1


def test_a_cancelled_caller_does_not_cancel_the_others(paths):
    fake = FakeTmdb()
    fake.images[POSTER] = JPEG
    fake.image_delay = 0.1

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            cache = PosterCache(paths.poster_cache_dir, client)
            leaving = asyncio.ensure_future(cache.fetch(POSTER))
            staying = asyncio.ensure_future(cache.fetch(POSTER))
            await asyncio.sleep(0.02)
            leaving.cancel()
            return await staying, leaving

    path, leaving = run(main())
    assert leaving.cancelled()
    assert path.read_bytes() == JPEG
    assert fake.hits(f"/t/p/w342{POSTER}") == 1


def test_failed_download_leaves_nothing_and_is_retried(paths):
    fake = FakeTmdb()

    async def main():
        async with TmdbClient(API_KEY, transport=fake.transport()) as client:
            cache = PosterCache(paths.poster_cache_dir, client)
            with pytest.raises(TmdbNotFound):
                await cache.fetch(POSTER)
            assert cache.cached(POSTER) is None
            fake.images[POSTER] = JPEG
            return await cache.fetch(POSTER)

    assert run(main()).read_bytes() == JPEG
    assert fake.hits(f"/t/p/w342{POSTER}") == 2
    assert leftovers(paths.poster_cache_dir) == []


def test_without_a_client_cached_works_and_fetch_explains(paths):
    target = paths.poster_cache_dir / "w342" / "known.jpg"
    target.parent.mkdir(parents=True)
    target.write_bytes(JPEG)
    cache = PosterCache(paths.poster_cache_dir, None)
    assert cache.cached("/known.jpg") == target
    assert run(cache.fetch("/known.jpg")) == target
    with pytest.raises(TmdbAuthError, match="no TMDB API key"):
        run(cache.fetch(POSTER))


def test_bad_poster_paths_never_touch_the_disk_outside_the_cache(paths):
    cache = PosterCache(paths.poster_cache_dir, None)
    for bad in ("/../../settings.json", "settings.json", "/a/b.jpg"):
        with pytest.raises(ValueError):
            cache.cached(bad)
        with pytest.raises(ValueError):
            run(cache.fetch(bad))
