"""Fixtures for the watched-folder tests: a folder in tmp_path and FolderSources over it."""

from __future__ import annotations

import pytest

from app.assign import Assigner
from app.sync.folders import FolderSource


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "watched"
    path.mkdir()
    return path


@pytest.fixture
def make_source(library, torrents):
    def factory(path, **options) -> FolderSource:
        record = library.add_folder_source(path, mode="manual")
        return FolderSource(library, torrents, Assigner(library, torrents), record, **options)

    return factory
