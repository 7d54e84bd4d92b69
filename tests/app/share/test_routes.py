"""The API's small router, called as a plain WSGI app: matching, parameters, bodies, errors."""

from __future__ import annotations

import io
import json

import pytest

from app.share.routes import MAX_BODY, ApiError, Router


def call(router, method, path, body: bytes | None = None, length: str | None = None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": path.partition("?")[2],
        "wsgi.input": io.BytesIO(body or b""),
        "CONTENT_LENGTH": length if length is not None else str(len(body or b"")),
    }
    environ["PATH_INFO"] = path.partition("?")[0]
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    payload = b"".join(router(environ, start_response))
    return int(seen["status"].split()[0]), seen["headers"], payload


@pytest.fixture
def router():
    router = Router()
    router.add("GET", "/api/things/{id:int}", lambda r: (200, {"id": r.params["id"]}))
    router.add("DELETE", "/api/things/{id:int}", lambda r: (200, {"deleted": r.params["id"]}))
    router.add("GET", "/api/hash/{h:hash}", lambda r: (200, {"h": r.params["h"]}))
    router.add("POST", "/api/echo", lambda r: (201, r.json()))
    router.add("GET", "/api/flag", lambda r: (200, {"force": r.flag("force")}))
    router.add("GET", "/api/boom", lambda r: 1 / 0)
    router.add(
        "GET", "/api/teapot", lambda r: (_ for _ in ()).throw(ApiError(418, "short", extra=1))
    )
    return router


def test_parameters_are_converted(router):
    assert json.loads(call(router, "GET", "/api/things/42")[2]) == {"id": 42}
    assert json.loads(call(router, "GET", "/api/things/42/")[2]) == {"id": 42}
    assert json.loads(call(router, "GET", "/api/hash/" + "AB" * 20)[2]) == {"h": "ab" * 20}
    assert call(router, "GET", "/api/things/x")[0] == 404
    assert call(router, "GET", "/api/things/-1")[0] == 404
    assert call(router, "GET", "/api/hash/abc")[0] == 404


def test_unknown_method_is_405_with_allow(router):
    status, headers, body = call(router, "POST", "/api/things/1")
    assert status == 405
    assert headers["Allow"] == "DELETE, GET"
    assert "not allowed" in json.loads(body)["error"]


def test_head_is_get_without_body(router):
    status, headers, body = call(router, "HEAD", "/api/things/7")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("body", "length", "status"),
    [
        (b'{"a": 1}', None, 201),
        (b"", None, 400),
        (b"{", None, 400),
        (b"\xff\xfe", None, 400),
        (b"[]", None, 400),
        (b"{}", "abc", 400),
        (b"{}", str(MAX_BODY + 1), 413),
    ],
)
def test_json_bodies(router, body, length, status):
    got, headers, payload = call(router, "POST", "/api/echo", body, length)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    if status == 201:
        assert json.loads(payload) == {"a": 1}
    else:
        assert json.loads(payload)["error"]


def test_query_flags(router):
    assert json.loads(call(router, "GET", "/api/flag?force=1")[2]) == {"force": True}
    assert json.loads(call(router, "GET", "/api/flag?force=no")[2]) == {"force": False}
    assert json.loads(call(router, "GET", "/api/flag")[2]) == {"force": False}


def test_errors_never_leak_a_traceback(router):
    status, _, body = call(router, "GET", "/api/boom")
    assert status == 500
    assert b"Traceback" not in body and b"ZeroDivision" not in body
    status, _, body = call(router, "GET", "/api/teapot")
    assert status == 418 and json.loads(body) == {"error": "short", "extra": 1}
