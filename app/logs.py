"""Logging: one rotating file in the log dir plus the console, at a level the user picks.

The file handler survives a full or failing disk quietly: Python's default prints
"--- Logging error ---" and a traceback to stderr for every record it cannot write.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Chatty libraries: httpx logs every request URL at INFO, and a v3 TMDB key travels in the URL.
QUIET = ("httpx", "httpcore", "wsgidav", "cheroot", "peewee", "rebulk", "guessit", "asyncio")


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file; a write error (ENOSPC, EIO) is told once, not once per record.

    The first record that cannot be written says so in one line on stderr; the next ones are
    only counted. The first write that works again puts a line in the file saying how many
    records failed, and a later failure is reported again.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lost = 0  # records that failed to write since the last one that worked
        self._error = ""

    def emit(self, record: logging.LogRecord) -> None:
        if self.lost:
            lost = self.lost
            super().emit(self._gap_record(lost))
            if self.lost > lost:  # still failing: handleError counted this record instead
                return
            self.lost = 0
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # a bad format string: a bug, report it as usual
            super().handleError(record)
            return
        if not self.lost:
            self._error = error.strerror or str(error)
            self._tell(
                f"Reelbox: cannot write the log file {self.baseFilename} ({self._error}); "
                "log records are dropped until it can be written again"
            )
        self.lost += 1

    def _gap_record(self, lost: int) -> logging.LogRecord:
        return logging.makeLogRecord(
            {
                "name": __name__,
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "msg": "%d log records before this one could not be written (%s)",
                "args": (lost, self._error),
            }
        )

    @staticmethod
    def _tell(line: str) -> None:
        if sys.stderr is None:  # a windowed app on Windows has no stderr
            return
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr on the same full disk, or closed: nobody to tell
            pass


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
    file_handler = LogFileHandler(
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
