"""The Range header of a file read, checked strictly before wsgidav sees it.

wsgidav reads `items=0-5` as bytes, answers `bytes=5-2` with the file's last two bytes and
`bytes=-0` with an empty 206, serves only the last of several ranges, and fails with a 500 on
a number too long for int(). Here a `bytes=` Range becomes one span of the file or a 416 that
says why; a Range in another unit, or in no unit at all, is ignored as RFC 9110 (14.2) asks,
and the whole file is served.
"""

from __future__ import annotations

import re

# 2**64 - 1, the largest "to the end" sentinel clients send, has 20 digits; a longer number is
# never an offset into a file, and int() refuses numbers past 4300 digits anyway.
_NUMBER = "[0-9]{1,20}"
_SPEC = re.compile(f"(?P<first>{_NUMBER})-(?P<last>{_NUMBER})?|-(?P<suffix>{_NUMBER})")


class RangeError(ValueError):
    """The Range cannot be served (HTTP 416); the message says why."""


def requested_span(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range asks for, or None to serve the whole file.

    Several ranges become the one span that covers them (a superset the response's
    Content-Range describes; wsgidav cannot send multipart). Ranges that start past the end
    are dropped, as RFC 9110 says; RangeError if none is left or one is malformed.
    """
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    spans: list[tuple[int, int]] = []
    named = 0
    for raw in specs.split(","):
        spec = raw.strip()
        if not spec:
            continue  # HTTP lists may have empty elements
        named += 1
        match = _SPEC.fullmatch(spec)
        if match is None:
            raise RangeError(f"{spec[:40]!r} is not a byte range")
        if match["suffix"] is not None:
            length = int(match["suffix"])
            if length > 0 and size > 0:
                spans.append((max(size - length, 0), size - 1))
            continue
        first = int(match["first"])
        last = size - 1 if match["last"] is None else int(match["last"])
        if match["last"] is not None and last < first:
            raise RangeError(f"{spec[:40]!r} ends before it starts")
        if first < size:
            spans.append((first, min(last, size - 1)))
    if not named:
        raise RangeError("the Range names no byte range")
    if not spans:
        raise RangeError(f"no requested range starts inside the file's {size} bytes")
    return min(first for first, _ in spans), max(last for _, last in spans)
