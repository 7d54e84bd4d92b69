"""Where Reelbox keeps its files: platformdirs by default, one folder with --data-dir/REELBOX_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app import APP_NAME

HOME_ENV = "REELBOX_HOME"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "library.db"

    @property
    def default_storage_dir(self) -> Path:
        """Torrent payloads: cache-like (refetchable) but large, so kept with the data."""
        return self.data_dir / "downloads"

    @property
    def resume_dir(self) -> Path:
        return self.data_dir / "resume"

    @property
    def torrent_files_dir(self) -> Path:
        return self.data_dir / "torrents"

    @property
    def poster_cache_dir(self) -> Path:
        return self.cache_dir / "posters"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "reelbox.log"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def under(cls, root: Path | str) -> Paths:
        """Everything under one folder: tests, portable installs, a home server."""
        root = Path(root).expanduser().resolve()
        return cls(root / "config", root / "data", root / "cache", root / "logs")

    @classmethod
    def resolve(cls, data_dir: Path | str | None = None) -> Paths:
        """--data-dir wins over REELBOX_HOME, which wins over the platform's folders."""
        root = data_dir or os.environ.get(HOME_ENV)
        if root:
            return cls.under(root)
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            Path(dirs.user_config_dir),
            Path(dirs.user_data_dir),
            Path(dirs.user_cache_dir),
            Path(dirs.user_log_dir),
        )
