"""Logging: one rotating file in the log dir plus the console, at a level the user picks."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Chatty libraries: httpx logs every request URL at INFO, and a v3 TMDB key travels in the URL.
QUIET = ("httpx", "httpcore", "wsgidav", "cheroot", "peewee", "rebulk", "guessit", "asyncio")


def setup_logging(log_file: Path, level: str = "INFO") -> None:
    """Install the console and rotating-file handlers on the root logger (idempotent)."""
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r} (use one of {', '.join(LEVELS)})")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_reelbox", False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    console = logging.StreamHandler()
    for handler in (file_handler, console):
        handler.setFormatter(formatter)
        handler._reelbox = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
