"""A real library database file per test."""

from __future__ import annotations

import pytest

from app.library.db import close_database, open_database
from app.library.repository import Library


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "library.db")
    yield database
    close_database(database)


@pytest.fixture
def library(db) -> Library:
    return Library(db)
