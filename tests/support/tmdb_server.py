"""A TMDB v3 emulation on a real HTTP server on 127.0.0.1, for the real TmdbClient.

It serves, from a small catalogue a test fills, the answers TMDB documents for the paths the
app uses: /3/search/movie (query, year), /3/search/tv (query, first_air_date_year),
/3/movie/{id}, /3/tv/{id} (with append_to_response=external_ids), /3/tv/{id}/season/{n}.
The v3 key is checked as TMDB does (401, status_code 7); unknown ids answer 404
(status_code 34). A search finds the titles that contain the query, ignoring case.
Every request's path and query are kept in `requests`. Point a client at it with
TmdbClient(KEY, api_url=server.api_url).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Movie:
    id: int
    title: str
    release_date: str = ""
    overview: str = ""
    imdb_id: str | None = None


@dataclass
class Show:
    id: int
    name: str
    first_air_date: str = ""
    overview: str = ""
    seasons: dict[int, list[str]] = field(default_factory=dict)  # number -> episode names


class TmdbServer:
    """Start with `with TmdbServer() as tmdb:`; add to `movies` and `shows` first."""

    def __init__(self) -> None:
        self.movies: dict[int, Movie] = {}
        self.shows: dict[int, Show] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/3"

    def add_movie(self, movie: Movie) -> None:
        self.movies[movie.id] = movie

    def add_show(self, show: Show) -> None:
        self.shows[show.id] = show

    def __enter__(self) -> TmdbServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # ---- answers ------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, query))
        if query.get("api_key") != KEY:
            return 401, _error(7, "Invalid API key: You must be granted a valid key.")
        if path == "/3/search/movie":
            found = [
                _movie_result(m)
                for m in self.movies.values()
                if _finds(query, m.title) and _year(query.get("year"), m.release_date)
            ]
            return 200, _page(found)
        if path == "/3/search/tv":
            found = [
                _show_result(s)
                for s in self.shows.values()
                if _finds(query, s.name)
                and _year(query.get("first_air_date_year"), s.first_air_date)
            ]
            return 200, _page(found)
        if match := re.fullmatch(r"/3/movie/(\d+)", path):
            movie = self.movies.get(int(match[1]))
            return (200, _movie(movie)) if movie else (404, _not_found())
        if match := re.fullmatch(r"/3/tv/(\d+)", path):
            show = self.shows.get(int(match[1]))
            if show is None:
                return 404, _not_found()
            details = _show(show)
            if "external_ids" in query.get("append_to_response", ""):
                details["external_ids"] = {"imdb_id": None, "tvdb_id": None}
            return 200, details
        if match := re.fullmatch(r"/3/tv/(\d+)/season/(\d+)", path):
            show = self.shows.get(int(match[1]))
            number = int(match[2])
            if show is None or number not in show.seasons:
                return 404, _not_found()
            return 200, _season(show, number)
        return 404, _not_found()


def _handler(tmdb: TmdbServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            status, body = tmdb.answer(url.path, query)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the tests read `requests`

    return Handler


def _finds(query: dict[str, str], title: str) -> bool:
    return query.get("query", "").casefold() in title.casefold()


def _year(wanted: str | None, date: str) -> bool:
    return not wanted or date[:4] == wanted


def _page(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}


def _error(code: int, message: str) -> dict[str, Any]:
    return {"status_code": code, "status_message": message, "success": False}


def _not_found() -> dict[str, Any]:
    return _error(34, "The resource you requested could not be found.")


def _movie_result(movie: Movie) -> dict[str, Any]:
    return {
        "id": movie.id,
        "title": movie.title,
        "original_title": movie.title,
        "release_date": movie.release_date,
        "overview": movie.overview,
        "poster_path": f"/poster-{movie.id}.jpg",
        "backdrop_path": None,
        "adult": False,
    }


def _movie(movie: Movie) -> dict[str, Any]:
    return {
        **_movie_result(movie),
        "imdb_id": movie.imdb_id,
        "runtime": 100,
        "genres": [{"id": 18, "name": "Drama"}],
    }


def _show_result(show: Show) -> dict[str, Any]:
    return {
        "id": show.id,
        "name": show.name,
        "original_name": show.name,
        "first_air_date": show.first_air_date,
        "overview": show.overview,
        "poster_path": f"/poster-tv-{show.id}.jpg",
        "backdrop_path": None,
    }


def _show(show: Show) -> dict[str, Any]:
    return {
        **_show_result(show),
        "number_of_seasons": len(show.seasons),
        "seasons": [
            {
                "id": show.id * 100 + number,
                "season_number": number,
                "name": f"Season {number}",
                "episode_count": len(names),
                "air_date": show.first_air_date or None,
                "poster_path": None,
                "overview": "",
            }
            for number, names in sorted(show.seasons.items())
        ],
    }


def _season(show: Show, number: int) -> dict[str, Any]:
    return {
        "id": show.id * 100 + number,
        "season_number": number,
        "name": f"Season {number}",
        "overview": "",
        "air_date": show.first_air_date or None,
        "poster_path": None,
        "episodes": [
            {
                "id": show.id * 10000 + number * 100 + episode,
                "episode_number": episode,
                "season_number": number,
                "name": name,
                "overview": f"{name}, the overview",
                "air_date": None,
                "still_path": None,
            }
            for episode, name in enumerate(show.seasons[number], start=1)
        ],
    }
