"""The Range parser on its own: the forms wsgidav got wrong, and what RFC 9110 asks."""

from __future__ import annotations

import pytest

from app.share.ranges import RangeError, requested_span


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-1000", (0, 99)),
        ("bytes=50-18446744073709551615", (50, 99)),  # the 2**64 - 1 sentinel is clipped
        ("bytes=90-99,0-4", (0, 99)),
        ("bytes=5-9,200-", (5, 9)),  # a range past the end is dropped, the rest served
        ("BYTES=1-2, ,", (1, 2)),
        ("items=0-5", None),
        ("garbage", None),
    ],
)
def test_spans(header, span):
    assert requested_span(header, 100) == span


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("bytes=0-" + "9" * 5000, "not a byte range"),
        ("bytes=5-2", "ends before it starts"),
        ("bytes=-0", "no requested range"),
        ("bytes=100-", "no requested range"),
        ("bytes=", "names no byte range"),
        ("bytes=٣-٥", "not a byte range"),  # digits int() would take, but not HTTP's
        ("bytes=+1-2", "not a byte range"),
        ("bytes=0x10-", "not a byte range"),
    ],
)
def test_refused(header, reason):
    with pytest.raises(RangeError, match=reason) as caught:
        requested_span(header, 100)
    assert len(str(caught.value)) < 120  # a huge header is not echoed back


def test_an_empty_file_has_no_satisfiable_range():
    for header in ("bytes=0-", "bytes=-5"):
        with pytest.raises(RangeError):
            requested_span(header, 0)
