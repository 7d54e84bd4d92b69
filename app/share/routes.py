"""A small WSGI JSON router: a route table, typed path parameters, JSON bodies and errors.

Enough for the API's dozen routes without a web framework: each route is a method, a path
pattern ("/api/movies/{id:int}") and a handler taking a Request and returning (status, data).
Every failure is a JSON `{"error": ...}` with a 4xx status; anything unexpected is logged and
answered with a plain 500 (never a stack trace).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024  # a .torrent in base64 can be a few MiB; this bounds memory
_PARAM = re.compile(r"\{(\w+)(?::(int|hash))?\}")
_KINDS = {
    "int": (r"[0-9]{1,18}", int),
    "hash": (r"[0-9a-fA-F]{40}", str.lower),
    None: (r"[^/]+", str),
}


class ApiError(Exception):
    """An answer for the client: status, message and optional extra fields."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


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

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; 400 if it is missing, too large or not an object."""
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ApiError(400, "bad Content-Length") from None
        if length <= 0:
            raise ApiError(400, "a JSON object is required in the request body")
        if length > MAX_BODY:
            raise ApiError(413, f"the body is larger than {MAX_BODY // (1024 * 1024)} MiB")
        raw = self.environ["wsgi.input"].read(length)
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"the body is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object")
        return data


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
            status, data = self._dispatch(method, environ)
        except ApiError as exc:
            allow = exc.extra.pop("_allow", None)
            status, data = exc.status, {"error": exc.message, **exc.extra}
        except Exception:
            logger.exception("API %s %s failed", method, environ.get("PATH_INFO"))
            status, data = 500, {"error": "internal error; see the Reelbox log"}
        body = b"" if status == 204 else json.dumps(data, default=str).encode() + b"\n"
        reason = HTTPStatus(status).phrase
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
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
