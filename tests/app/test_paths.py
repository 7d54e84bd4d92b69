"""Paths: --data-dir beats REELBOX_HOME beats the platform folders."""

from __future__ import annotations

from app.paths import HOME_ENV, Paths


def test_data_dir_argument_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "env"))
    paths = Paths.resolve(tmp_path / "arg")
    assert paths.database_file == tmp_path / "arg" / "data" / "library.db"
    assert paths.settings_file == tmp_path / "arg" / "config" / "settings.json"


def test_environment_variable_is_used_without_argument(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "env"))
    paths = Paths.resolve()
    assert paths.log_file.is_relative_to(tmp_path / "env")
    paths.ensure()
    assert all(
        d.is_dir() for d in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir)
    )


def test_platform_folders_are_named_for_the_app(monkeypatch):
    monkeypatch.delenv(HOME_ENV, raising=False)
    paths = Paths.resolve()
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir):
        assert "Reelbox" in folder.parts
