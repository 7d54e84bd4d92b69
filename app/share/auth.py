"""Who may use the share: HTTP Basic for players, a bearer token for scripts using the API.

Basic (not Digest) because that is what Infuse, VLC and rclone users configure; on a LAN share
it is as good as the network it runs on. Comparisons are constant-time, and an address that
keeps sending wrong credentials is slowed down (throttle.py). With `anonymous` on, the
read-only WebDAV tree is open to everyone, but the JSON API (which changes the library) still
asks for the password or the token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
from collections.abc import Callable, Iterable

from app.share.throttle import FailureThrottle

logger = logging.getLogger(__name__)

REALM = "Reelbox"
API_PREFIX = "/api/"

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Credentials:
    """The accepted user name, password and API token (None: that way in is closed)."""

    def __init__(
        self,
        username: str,
        password: str | None,
        *,
        api_token: str | None = None,
        anonymous: bool = False,
    ) -> None:
        if not anonymous and not password:
            raise ValueError("the share needs a password unless anonymous access is on")
        self.username = username
        self._password = password or None
        self._api_token = api_token or None
        self.anonymous = anonymous

    def changed(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        api_token: str | None = None,
        anonymous: bool | None = None,
    ) -> Credentials:
        """A copy with the given values replaced (None keeps the current one)."""
        return Credentials(
            self.username if username is None else username,
            self._password if password is None else password,
            api_token=self._api_token if api_token is None else api_token,
            anonymous=self.anonymous if anonymous is None else anonymous,
        )

    def check_basic(self, header: str) -> str | None:
        """The user name if `header` ("Basic ...") holds the right credentials, else None."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or self._password is None:
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep:
            return None
        user_ok = hmac.compare_digest(user.encode(), self.username.encode())
        password_ok = hmac.compare_digest(password.encode(), self._password.encode())
        return user if user_ok and password_ok else None

    def check_bearer(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or self._api_token is None:
            return False
        return hmac.compare_digest(value.strip().encode(), self._api_token.encode())


class AuthMiddleware:
    """Lets a request through with good credentials; answers 401 with a Basic challenge else,
    and 429 to an address that must wait before its credentials are checked again."""

    def __init__(
        self, app: WsgiApp, credentials: Credentials, throttle: FailureThrottle | None = None
    ) -> None:
        self._app = app
        self._credentials = credentials
        self._throttle = throttle or FailureThrottle()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        is_api = environ.get("PATH_INFO", "").startswith(API_PREFIX)
        self._throttle.sweep()
        if self._credentials.anonymous and not is_api:
            user = (self._credentials.check_basic(header) if header else None) or "anonymous"
        elif header:
            address = environ.get("REMOTE_ADDR") or "?"
            wait = self._throttle.wait(address)
            if wait:
                return _reply(
                    environ,
                    start_response,
                    "429 Too Many Requests",
                    _SLOW_DOWN,
                    [("Retry-After", str(math.ceil(wait)))],
                )
            user = self._credentials.check_basic(header)
            if user is None and is_api and self._credentials.check_bearer(header):
                user = "api-token"
            if user is None:
                request = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
                self._throttle.failed(address, request)
            else:
                self._throttle.passed(address)
        else:
            user = None
        if user is None:
            return _reply(
                environ,
                start_response,
                "401 Unauthorized",
                _AUTH_REQUIRED,
                [("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"')],
            )
        environ["wsgidav.auth.user_name"] = user
        environ["wsgidav.auth.realm"] = REALM
        return self._app(environ, start_response)


_AUTH_REQUIRED = "authentication required"
_SLOW_DOWN = "too many wrong credentials from this address; retry later"


def _reply(
    environ: dict, start_response: Callable, status: str, message: str, extra: list
) -> list[bytes]:
    """A short answer in the API's JSON or, for WebDAV clients, plain text."""
    if environ.get("PATH_INFO", "").startswith(API_PREFIX):
        body = (json.dumps({"error": message}) + "\n").encode()
        content_type = "application/json"
    else:
        body = f"{message.capitalize()}\n".encode()
        content_type = "text/plain; charset=utf-8"
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra]
    if environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
        # the body was not read: end the connection rather than wait for it (framing.py)
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]
