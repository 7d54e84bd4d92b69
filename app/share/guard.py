"""What reaches wsgidav: read-only methods, finite PROPFINDs and clean paths, nothing else.

wsgidav would refuse most of this itself; saying it here, before any provider code runs, keeps
the promise independent of wsgidav's defaults: writes and locks get 405 and change nothing,
PROPFIND without a Depth (which means infinity) gets 403, and a path that is not plain UTF-8
made of ordinary names (`..`, encoded slashes, backslashes, control characters, absolute URLs)
gets 404 without looking anything up.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from app.library.naming import UNSAFE_CATEGORIES

logger = logging.getLogger(__name__)

READ_METHODS = ("OPTIONS", "GET", "HEAD", "PROPFIND")
ALLOW = ", ".join(READ_METHODS)
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_FINITE_DEPTH = (
    b'<?xml version="1.0" encoding="utf-8" ?>\n'
    b'<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>'
)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Guard:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method not in READ_METHODS:
            return _reply(
                start_response,
                "405 Method Not Allowed",
                b"The share is read-only\n",
                [("Allow", ALLOW)],
            )
        if method == "OPTIONS":
            # cheroot leaves an OPTIONS path percent-encoded (it decodes every other method's)
            raw = environ.get("PATH_INFO", "").encode("latin-1")
            environ["PATH_INFO"] = unquote_to_bytes(raw).decode("latin-1")
        if not safe_path(environ):
            logger.info(
                "Refused path %r from %s",
                environ.get("REQUEST_URI"),
                environ.get("REMOTE_ADDR", "?"),
            )
            return _reply(start_response, "404 Not Found", b"Not found\n")
        if method == "PROPFIND" and environ.get("HTTP_DEPTH", "infinity").strip().lower() not in (
            "0",
            "1",
        ):
            return _reply(
                start_response,
                "403 Forbidden",
                _FINITE_DEPTH,
                content_type="application/xml; charset=utf-8",
            )
        return self._app(environ, start_response)


def safe_path(environ: dict) -> bool:
    """True if the request names a path we are willing to look up in the tree."""
    raw = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    target = raw.split("?", 1)[0]
    if target == "*" and environ.get("REQUEST_METHOD") == "OPTIONS":
        return True
    if not target.startswith("/") or target.startswith("//"):
        return False  # absolute-form ("http://host/..."), scheme-relative or empty
    if _ENCODED_SEPARATOR.search(target):
        return False
    try:
        # WSGI hands the decoded path over as latin-1 code points; the client sent UTF-8.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    if "\\" in path:
        return False
    for part in path.split("/"):
        if part in (".", ".."):
            return False
        # the same characters naming.clean_name keeps out of every name on the share
        if any(unicodedata.category(ch) in UNSAFE_CATEGORIES for ch in part):
            return False
    return True


def _reply(
    start_response: Callable,
    status: str,
    body: bytes,
    extra: list[tuple[str, str]] | None = None,
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(extra or [])],
    )
    return [body]
