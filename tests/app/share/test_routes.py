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
        "CONTENT_TYPE": "application/json",
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
        (b"{}", str(1024 * 1024 + 1), 413),
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


def write(router, method="POST", path="/api/echo", body=b'{"a": 1}', **environ):
    """A write as a browser or script sends it; environ adds or replaces CGI variables."""
    base = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "192.168.1.20:8484",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/json",
    }
    base.update(environ)
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    payload = b"".join(router(base, start_response))
    return int(seen["status"].split()[0]), json.loads(payload)


@pytest.fixture
def counted():
    """A router whose handlers count their calls: a refused request must call none."""
    calls = []

    def echo(request):
        body = request.json()
        calls.append(body)
        return 201, body

    router = Router()
    router.add("POST", "/api/echo", echo)
    router.add("DELETE", "/api/things/{id:int}", lambda r: (calls.append("delete"), (200, {}))[1])
    router.add("GET", "/api/things/{id:int}", lambda r: (calls.append("get"), (200, {}))[1])
    return router, calls


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
        (b'{"year": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_bodies_python_cannot_parse_are_400_not_500(counted, body, words):
    router, calls = counted
    status, data = write(router, body=body)
    assert (status, calls) == (400, [])
    assert words in data["error"]


def test_a_body_cut_short_is_refused_and_never_handled(counted):
    router, calls = counted
    sent = b'{"title": "Heat", "year": 1995}'
    status, data = write(router, body=sent, CONTENT_LENGTH="100")
    assert (status, calls) == (400, [])
    assert data["error"].startswith(f"the body was cut short: {len(sent)} of 100 bytes")
    # exactly the declared length is read, even when more follows on the connection
    status, data = write(router, body=sent + b"GET / HTTP/1.1\r\n", CONTENT_LENGTH=str(len(sent)))
    assert (status, data) == (201, {"title": "Heat", "year": 1995})


def test_bodies_have_a_size_limit_of_1_mib(counted):
    router, calls = counted
    status, data = write(router, CONTENT_LENGTH=str(1024 * 1024 + 1))
    assert (status, calls) == (413, [])
    assert "1 MiB" in data["error"]
    padded = b'{"a": "' + b"x" * (1024 * 1024 - 10) + b'"}'
    assert write(router, body=padded)[0] == 201


def test_chunked_bodies_are_refused_with_411(counted):
    router, calls = counted
    status, _ = write(router, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert (status, calls) == (411, [])


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        "application/jsonp",
    ],
)
def test_writes_with_a_body_must_be_json(counted, content_type):
    router, calls = counted
    status, data = write(router, CONTENT_TYPE=content_type)
    assert (status, calls) == (415, [])
    assert "application/json" in data["error"]


def test_json_media_type_is_matched_without_its_parameters(counted):
    router, calls = counted
    assert write(router, CONTENT_TYPE="Application/JSON; charset=utf-8")[0] == 201
    # a write without a body needs no type
    assert write(router, "DELETE", "/api/things/3", b"", CONTENT_TYPE="")[0] == 200
    assert calls == [{"a": 1}, "delete"]


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://192.168.1.20:8485",
        "https://192.168.1.20:8484",
        "http://192.168.1.20",
        "null",
        "",
        "http://192.168.1.20:bad",
    ],
)
def test_writes_from_another_origin_are_403(counted, origin):
    router, calls = counted
    status, data = write(router, HTTP_ORIGIN=origin)
    assert (status, calls) == (403, [])
    assert "other sites" in data["error"]
    assert write(router, "DELETE", "/api/things/3", b"", HTTP_ORIGIN=origin)[0] == 403
    assert calls == []
    # reading is harmless: the browser does not let the other site see the answer
    assert write(router, "GET", "/api/things/3", b"", HTTP_ORIGIN=origin)[0] == 200


def test_writes_from_the_share_itself_are_accepted(counted):
    router, calls = counted
    assert write(router, HTTP_ORIGIN="http://192.168.1.20:8484")[0] == 201
    assert write(router, HTTP_ORIGIN="HTTP://192.168.1.20:8484")[0] == 201
    assert write(router, HTTP_ORIGIN="http://share.local", HTTP_HOST="share.local:80")[0] == 201
    assert write(router)[0] == 201  # scripts send no Origin
    assert len(calls) == 4


def test_a_full_disk_is_507_not_500(tmp_path):
    import peewee

    db = peewee.SqliteDatabase(str(tmp_path / "small.db"), pragmas={"max_page_count": 4})
    db.connect()
    db.execute_sql("CREATE TABLE t (x)")

    def fill_database(request):
        for _ in range(100):  # SQLite refuses to grow past max_page_count: SQLITE_FULL
            db.execute_sql("INSERT INTO t VALUES (?)", ("x" * 4000,))
        return 201, {}

    def fill_device(request):
        with open("/dev/full", "wb", buffering=0) as full:  # every write: ENOSPC
            full.write(b"x")
        return 201, {}

    router = Router()
    router.add("POST", "/api/database", fill_database)
    router.add("POST", "/api/device", fill_device)
    for path in ("/api/database", "/api/device"):
        status, data = write(router, path=path, body=b"", CONTENT_TYPE="")
        assert status == 507, data
        assert data["error"].startswith("disk full")
    db.close()
