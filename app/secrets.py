"""Secrets (TMDB key, share password, API token) through the OS keyring, with a loud fallback.

Secrets never go into the database, the settings file or the logs. When no keyring backend
works (a headless Linux box without Secret Service), or the backend accepts secrets but keeps
none (the null backend `keyring --disable` selects), the app keeps running with the secrets in
memory for this run only and says so once, clearly; a generated secret then stays the same
for the whole run. It never falls back to a plaintext file behind the user's back.
"""

from __future__ import annotations

import logging
import secrets as _random
import threading

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from app import APP_NAME

logger = logging.getLogger(__name__)

TMDB_API_KEY = "tmdb_api_key"
SHARE_PASSWORD = "share_password"
API_TOKEN = "api_token"
REALDEBRID_TOKEN = "realdebrid_token"  # an API token, or a device login's access token
# a device login's (app/debrid/auth.py): the access token above expires, these renew it
REALDEBRID_REFRESH = "realdebrid_refresh_token"
REALDEBRID_CLIENT_ID = "realdebrid_client_id"
REALDEBRID_CLIENT_SECRET = "realdebrid_client_secret"


class Secrets:
    """Get/set/delete named secrets; thread-safe; degrades to memory when keyring fails."""

    def __init__(self, service: str = APP_NAME) -> None:
        self._service = service
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fallback_reason: str | None = None

    @property
    def persistent(self) -> bool:
        """False once the keyring failed: secrets then last only until the app quits."""
        return self._fallback_reason is None

    @property
    def fallback_reason(self) -> str | None:
        return self._fallback_reason

    def get(self, name: str) -> str | None:
        with self._lock:
            if self._fallback_reason is None:
                try:
                    return keyring.get_password(self._service, name)
                except Exception as exc:  # backends raise anything from RuntimeError to DBus errors
                    self._fall_back(_reason(exc))
            return self._memory.get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            if self._fallback_reason is None:
                try:
                    keyring.set_password(self._service, name, value)
                    # Read it back: a backend may take a secret and keep nothing.
                    if keyring.get_password(self._service, name) == value:
                        return
                    self._fall_back(f"the backend {_backend_name()} does not keep secrets")
                except Exception as exc:
                    self._fall_back(_reason(exc))
            self._memory[name] = value

    def delete(self, name: str) -> None:
        with self._lock:
            self._memory.pop(name, None)
            if self._fallback_reason is None:
                try:
                    keyring.delete_password(self._service, name)
                except PasswordDeleteError:
                    pass
                except Exception as exc:
                    self._fall_back(_reason(exc))

    def get_or_create(self, name: str, nbytes: int = 18) -> str:
        """A generated secret (share password, API token), created once and then remembered."""
        value = self.get(name)
        if not value:
            value = _random.token_urlsafe(nbytes)
            self.set(name, value)
        return value

    def _fall_back(self, reason: str) -> None:
        self._fallback_reason = reason
        logger.warning(
            "The system keyring is not available (%s). Secrets are kept in memory for this run "
            "only: a TMDB key or share password you enter must be entered again after a "
            "restart, and the generated share password and API token will change on the next "
            "start.",
            reason,
        )


def _reason(exc: BaseException) -> str:
    kind = "no keyring backend" if isinstance(exc, KeyringError) else type(exc).__name__
    return f"{kind}: {exc}"


def _backend_name() -> str:
    backend = type(keyring.get_keyring())
    return f"{backend.__module__}.{backend.__qualname__}"
