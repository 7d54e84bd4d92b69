"""The log file handler: a failing disk gets one line on stderr, not a traceback per record."""

from __future__ import annotations

import errno
import logging
import os

import pytest

from app.logs import LogFileHandler, setup_logging


class FlakyDisk:
    """The handler's real file, whose writes fail with ENOSPC while `full` is set."""

    def __init__(self, real) -> None:
        self.real = real
        self.full = True

    def _check(self) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write(self, text: str) -> int:
        self._check()
        return self.real.write(text)

    def flush(self) -> None:
        self._check()
        self.real.flush()

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.fixture
def logger_to(tmp_path):
    """A logger writing only to a LogFileHandler on tmp_path/reelbox.log, and its handler."""
    handler = LogFileHandler(tmp_path / "reelbox.log", maxBytes=1 << 20, backupCount=1)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.logs.flaky")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)
    if isinstance(handler.stream, FlakyDisk):
        handler.stream.full = False  # so closing can flush
    handler.close()


def test_a_full_disk_is_reported_once_then_the_gap_is_noted(logger_to, tmp_path, capsys):
    logger, handler = logger_to
    logger.info("before")
    disk = handler.stream = FlakyDisk(handler.stream)
    for n in range(50):
        logger.info("while full %d", n)
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert err.count("\n") == 1, err
    assert str(tmp_path / "reelbox.log") in err and os.strerror(errno.ENOSPC) in err

    disk.full = False
    logger.info("after")
    logger.info("and on")
    assert capsys.readouterr().err == "", "nothing more on stderr once writing works"
    lines = (tmp_path / "reelbox.log").read_text().splitlines()
    assert lines[0] == "INFO before"
    assert "50 log records" in lines[1] and os.strerror(errno.ENOSPC) in lines[1], lines
    assert lines[2:] == ["INFO after", "INFO and on"]

    disk.full = True  # a new outage is reported again, once
    for n in range(10):
        logger.warning("full again %d", n)
    assert capsys.readouterr().err.count("\n") == 1


def test_the_app_logs_through_it(tmp_path):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(tmp_path / "logs" / "reelbox.log")
        ours = [h for h in root.handlers if getattr(h, "_reelbox", False)]
        assert [type(h) for h in ours] == [LogFileHandler, logging.StreamHandler]
    finally:
        for handler in root.handlers[:]:
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])
