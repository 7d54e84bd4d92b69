"""A small WSGI JSON router: a route table, typed path parameters, JSON bodies and errors.

Enough for the API's dozen routes without a web framework: each route is a method, a path
pattern ("/api/movies/{id:int}") and a handler taking a Request and returning (status, data).
A handler may answer other content (a playlist) with a Body. Every failure is a JSON
`{"error": ...}`: api_errors.answer() picks the status of every error in one place; anything
it does not know is logged and answered with a plain 500 (never a stack trace).

Writes (POST, PUT, PATCH, DELETE) are for scripts, not web pages: a write whose Origin is
another site is refused (403), and a write with a body must say it is JSON (415). Together
they keep a page the user visits from using the browser's cached Basic credentials: a page
can send a cross-site form or text/plain body without asking, but not an application/json
one, and a browser always names the page's origin on a cross-site write.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.share.api_errors import ApiError, answer

logger = logging.getLogger(__name__)

__all__ = ["MAX_BODY", "ApiError", "Body", "Request", "Router"]

# A JSON body for the library (a title, a year, a season plan) is a few hundred bytes; 1 MiB
# leaves room for any honest one and bounds what a careless client makes us hold in memory.
# Routes that take a .torrent in base64 ask for more (see api.MAX_TORRENT_BODY).
MAX_BODY = 1024 * 1024
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{(\w+)(?::(int|hash))?\}")
_KINDS = {
    "int": (r"[0-9]{1,18}", int),
    "hash": (r"[0-9a-fA-F]{40}", str.lower),
    None: (r"[^/]+", str),
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class Request:
    environ: dict
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        parsed = parse_qs(self.environ.get("QUERY_STRING", ""), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes", "on")

    def json(self, max_bytes: int = MAX_BODY) -> dict[str, Any]:
        """The body as a JSON object; 400 if missing, cut short or not an object, 413 if large."""
        raw = self._body(max_bytes)
        try:
            data = json.loads(raw)
        except RecursionError:
            raise ApiError(400, "the body is not usable JSON (nested too deeply)") from None
        except ValueError as exc:  # bad JSON, bad UTF-8, a number of thousands of digits
            raise ApiError(400, f"the body is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object")
        return data

    def _body(self, max_bytes: int) -> bytes:
        """Exactly Content-Length bytes, or an error: a body cut short is never used."""
        if self.environ.get("HTTP_TRANSFER_ENCODING"):
            raise ApiError(411, "send the body with a Content-Length (not chunked)")
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ApiError(400, "bad Content-Length") from None
        if length < 0:
            raise ApiError(400, "bad Content-Length")
        if length == 0:
            raise ApiError(400, "a JSON object is required in the request body")
        if length > max_bytes:
            raise ApiError(413, f"the body is larger than {_size(max_bytes)}")
        stream = self.environ["wsgi.input"]
        chunks: list[bytes] = []
        received = 0
        try:
            while received < length:
                chunk = stream.read(length - received)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
        except OSError as exc:  # the client went quiet until the socket timed out, or reset it
            logger.info("Request body read failed after %d of %d bytes: %s", received, length, exc)
        if received < length:
            raise ApiError(
                400, f"the body was cut short: {received} of {length} bytes arrived; nothing done"
            )
        return b"".join(chunks)


@dataclass(frozen=True)
class Body:
    """A handler's answer that is not JSON (a playlist): the bytes, their type, more headers."""

    content: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request], tuple[int, Any]]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern, dict[str, Callable], dict[str, Handler]]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex, converters = _compile(pattern)
        for existing, _, handlers in self._routes:
            if existing.pattern == regex.pattern:
                handlers[method] = handler
                return
        self._routes.append((regex, converters, {method: handler}))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        allow = None
        try:
            if method in WRITES:
                _check_write(environ)
            status, data = self._dispatch(method, environ)
        except Exception as exc:
            error = answer(exc)
            if error is None:
                logger.exception("API %s %s failed", method, environ.get("PATH_INFO"))
                status, data = 500, {"error": "internal error; see the Reelbox log"}
            else:
                allow = error.extra.pop("_allow", None)
                status, data = error.status, {"error": error.message, **error.extra}
        if isinstance(data, Body):
            body, content_type, extra = data.content, data.content_type, list(data.headers)
        else:
            body = b"" if status == 204 else json.dumps(data, default=str).encode() + b"\n"
            content_type, extra = "application/json", []
        reason = HTTPStatus(status).phrase
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *extra,
        ]
        if allow:
            headers.append(("Allow", allow))
        start_response(f"{status} {reason}", headers)
        return [b"" if method == "HEAD" else body]

    def _dispatch(self, method: str, environ: dict) -> tuple[int, Any]:
        path = environ.get("PATH_INFO", "").rstrip("/") or "/"
        for regex, converters, handlers in self._routes:
            match = regex.fullmatch(path)
            if match is None:
                continue
            handler = handlers.get("GET" if method == "HEAD" else method)
            if handler is None:
                allow = ", ".join(sorted(handlers))
                raise ApiError(
                    405, f"{method} is not allowed here (allowed: {allow})", _allow=allow
                )
            params = {name: converters[name](value) for name, value in match.groupdict().items()}
            return handler(Request(environ, params))
        raise ApiError(404, f"no such API endpoint: {path}")


def _compile(pattern: str) -> tuple[re.Pattern, dict[str, Callable]]:
    converters: dict[str, Callable] = {}
    regex = ""
    last = 0
    for match in _PARAM.finditer(pattern):
        name, kind = match.group(1), match.group(2)
        piece, convert = _KINDS[kind]
        regex += re.escape(pattern[last : match.start()]) + f"(?P<{name}>{piece})"
        converters[name] = convert
        last = match.end()
    regex += re.escape(pattern[last:])
    return re.compile(regex), converters


def _check_write(environ: dict) -> None:
    """403 for a write from another site's page, 415 for a body that does not say it is JSON."""
    origin = environ.get("HTTP_ORIGIN")
    theirs = _origin(origin) if origin is not None else None
    if origin is not None and (theirs is None or theirs != _own_origin(environ)):
        raise ApiError(403, f"requests from other sites are refused (Origin: {origin[:100]})")
    has_body = environ.get("CONTENT_LENGTH", "") not in ("", "0") or bool(
        environ.get("HTTP_TRANSFER_ENCODING")
    )
    media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if has_body and media_type != "application/json":
        raise ApiError(415, "send the body as JSON, with Content-Type: application/json")


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin; None for "null" and anything unreadable."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname, port


def _own_origin(environ: dict) -> tuple[str, str, int] | None:
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    return _origin(f"{environ.get('wsgi.url_scheme', 'http')}://{host}")


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"
