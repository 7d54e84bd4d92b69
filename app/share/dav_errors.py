"""wsgidav's errors as short plain answers; used in place of wsgidav's ErrorPrinter.

ErrorPrinter answers with an HTML page naming wsgidav and its version, and turns any
exception into a 500 whose page shows the exception, logged only to wsgidav's own (disabled)
logger. Here a DAVError becomes its status with a one-line text body (or the XML condition
WebDAV clients parse), a 500 is logged with its traceback, and any other exception goes on
to server.ErrorBarrier, which logs it and answers a plain 500. Like ErrorPrinter, the
response is held back until the first body chunk, so a file that fails to open still gets a
clean status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from wsgidav.dav_error import (
    HTTP_INTERNAL_ERROR,
    HTTP_NO_CONTENT,
    HTTP_NOT_MODIFIED,
    DAVError,
    get_http_status_string,
)
from wsgidav.mw.base_mw import BaseMiddleware

logger = logging.getLogger(__name__)


class DavErrors(BaseMiddleware):
    def __call__(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        held = _HeldResponse()
        result = None
        started = False
        try:
            result = self.next_app(environ, held)
            for chunk in result:
                if not started:
                    start_response(held.status, held.headers, held.exc_info)
                    started = True
                yield chunk
            if not started:
                start_response(held.status, held.headers, held.exc_info)
                started = True
        except DAVError as error:
            if started:
                raise  # the headers are out: ErrorBarrier cuts the connection
            yield from _answer(error, environ, start_response)
        finally:
            if hasattr(result, "close"):
                result.close()


class _HeldResponse:
    """A start_response that only records what the app wants to send."""

    status = ""
    headers: list[tuple[str, str]] = []
    exc_info = None

    def __call__(self, status: str, headers: list, exc_info=None) -> None:
        self.status, self.headers, self.exc_info = status, headers, exc_info


def _answer(error: DAVError, environ: dict, start_response: Callable) -> Iterator[bytes]:
    status = get_http_status_string(error)
    if error.value in (HTTP_NOT_MODIFIED, HTTP_NO_CONTENT):
        start_response(status, [("Content-Length", "0"), *(error.add_headers or [])])
        return
    if error.value == HTTP_INTERNAL_ERROR:
        where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        cause = error.src_exception or error
        logger.error("Request %s failed", where, exc_info=(type(cause), cause, cause.__traceback__))
        body, content_type = b"Internal error\n", "text/plain; charset=utf-8"
    elif error.err_condition is not None:
        body = error.err_condition.as_string().encode("utf-8")
        content_type = "application/xml; charset=utf-8"
    else:
        text = f"{status}: {error.context_info}" if error.context_info else status
        body, content_type = f"{text}\n".encode(), "text/plain; charset=utf-8"
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *(error.add_headers or []),
        ],
    )
    if environ.get("REQUEST_METHOD") != "HEAD":
        yield body
