"""Secrets: keyring when it works, a loud in-memory fallback when it does not."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from keyring.backends.null import Keyring as NullKeyring

from app.secrets import SHARE_PASSWORD, TMDB_API_KEY, Secrets


def test_secrets_go_to_the_keyring(memory_keyring):
    secrets = Secrets()
    secrets.set(TMDB_API_KEY, "k" * 32)
    assert memory_keyring.store[("Reelbox", TMDB_API_KEY)] == "k" * 32
    assert Secrets().get(TMDB_API_KEY) == "k" * 32, "a new instance reads the same keyring"
    secrets.delete(TMDB_API_KEY)
    assert Secrets().get(TMDB_API_KEY) is None
    secrets.delete(TMDB_API_KEY)  # deleting twice is fine


def test_generated_secret_is_created_once():
    first = Secrets().get_or_create(SHARE_PASSWORD)
    assert len(first) >= 20
    assert Secrets().get_or_create(SHARE_PASSWORD) == first


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_backend_the_app_keeps_working_in_memory(no_keyring, caplog):
    secrets = Secrets()
    with caplog.at_level(logging.WARNING):
        secrets.set(TMDB_API_KEY, "secret-value-123")
    assert secrets.get(TMDB_API_KEY) == "secret-value-123"
    assert not secrets.persistent
    assert "keyring is not available" in caplog.text
    assert "secret-value-123" not in caplog.text, "secrets never reach the log"
    assert caplog.text.count("keyring is not available") == 1, "said once, not on every call"


def test_a_keyring_that_keeps_nothing_gives_one_secret_for_the_whole_run(caplog):
    """The null backend (`keyring --disable`) accepts every write and returns nothing."""
    keyring.set_keyring(NullKeyring())  # the autouse fixture puts the previous one back
    secrets = Secrets()
    with caplog.at_level(logging.WARNING):
        password = secrets.get_or_create(SHARE_PASSWORD)
        assert secrets.get_or_create(SHARE_PASSWORD) == password
        assert secrets.get(SHARE_PASSWORD) == password
        secrets.set(TMDB_API_KEY, "secret-value-123")
        assert secrets.get(TMDB_API_KEY) == "secret-value-123"
    assert len(password) >= 20 and not secrets.persistent
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "will change on the next start" in warning and "null" in warning
    assert password not in caplog.text and "secret-value-123" not in caplog.text
