"""The command line and the headless core, run as a user runs them: a real process and signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
QUIET_NETWORK = [
    "--set",
    "torrents.dht=off",
    "--set",
    "torrents.lsd=off",
    "--set",
    "torrents.upnp=off",
    "--set",
    "torrents.natpmp=off",
    "--set",
    "torrents.listen_port=0",
    "--set",
    "share.bind_address=127.0.0.1",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_documents_every_option_and_setting(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--headless", "--data-dir", "--set", "--log-level", "REELBOX_HOME"):
        assert option in text
    from app.settings import all_keys

    for key in all_keys():
        assert f"\n  {key} " in text, f"{key} is not listed on its own indented line"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("share.port=70000", "must be between 1 and 65535"),
        ("share.colour=red", "unknown setting"),
        ("share.port", "expected section.key=value"),
    ],
)
def test_bad_override_is_a_usage_error(tmp_path, capsys, override, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--headless", "--data-dir", str(tmp_path), "--set", override])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data" / "library.db").exists(), "nothing starts on a usage error"


def test_parser_accepts_links_for_a_running_window():
    args = build_parser().parse_args(["magnet:?xt=urn:btih:" + "a" * 40])
    assert args.links == ["magnet:?xt=urn:btih:" + "a" * 40] and not args.headless


def start_headless(
    data_dir: Path, port: int, *extra: str, env_extra: dict | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "REELBOX_SHARE_PASSWORD": "s3cret-pass",
        "PYTHONUNBUFFERED": "1",
        # never the developer's real keyring: the app falls back to memory, as on a server
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **(env_extra or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--headless",
            "--data-dir",
            str(data_dir),
            *QUIET_NETWORK,
            "--set",
            f"share.port={port}",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float = 30) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    process.kill()
    pytest.fail(f"{needle!r} never appeared; output:\n{''.join(seen)}")


def stop(process: subprocess.Popen, signum: int = signal.SIGTERM) -> tuple[int, str]:
    process.send_signal(signum)
    out, _ = process.communicate(timeout=30)
    return process.returncode, out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_headless_serves_until_a_signal_then_exits_cleanly(tmp_path, signum):
    port = free_port()
    process = start_headless(tmp_path, port)
    lines = wait_for_line(process, "Reelbox is running")
    assert any(f"Share: http://127.0.0.1:{port}/" in line for line in lines), lines
    # The share answers, and refuses a client without the password.
    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 401
    health = httpx.get(
        f"http://127.0.0.1:{port}/api/health", auth=("reelbox", "s3cret-pass"), timeout=5
    )
    assert health.status_code == 200 and health.json()["version"]
    code, out = stop(process, signum)
    assert code == 0, out
    assert (tmp_path / "data" / "library.db").exists()
    assert (tmp_path / "logs" / "reelbox.log").read_text().strip()
    assert "s3cret-pass" not in (tmp_path / "logs" / "reelbox.log").read_text()

    again = start_headless(tmp_path, port)
    wait_for_line(again, "Reelbox is running")
    code, out = stop(again)
    assert code == 0, out


def test_garbage_settings_file_does_not_stop_start_up_and_is_kept(tmp_path):
    settings = tmp_path / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(b"\x00garbage{{{")
    process = start_headless(tmp_path, free_port())
    lines = wait_for_line(process, "Reelbox is running")
    assert any("unusable" in line for line in lines)
    code, out = stop(process)
    assert code == 0, out
    assert settings.read_bytes() == b"\x00garbage{{{"
    assert list(settings.parent.glob("settings.json.broken-*"))


def test_a_damaged_library_is_set_aside_with_one_clear_line(tmp_path):
    library = tmp_path / "data" / "library.db"
    library.parent.mkdir(parents=True)
    library.write_bytes(b"")  # a library that lost its content (disk full, bad copy)
    process = start_headless(tmp_path, free_port())
    lines = wait_for_line(process, "Reelbox is running")
    code, out = stop(process)
    assert code == 0, out
    (copy,) = library.parent.glob("library.db.damaged-*")
    warnings = [line for line in lines if line.startswith("Warning: ")]
    assert warnings == [
        f"Warning: The library database {library} was damaged (the file is empty), so Reelbox "
        f"started with an empty library. The damaged file is kept as {copy}.\n"
    ], lines
    assert "Traceback" not in "".join(lines) + out
    assert copy.read_bytes() == b""


def test_overrides_are_not_saved(tmp_path):
    process = start_headless(tmp_path, free_port(), "--set", "tmdb.language=fr-FR")
    wait_for_line(process, "Reelbox is running")
    stop(process)
    saved = tmp_path / "config" / "settings.json"
    assert not saved.exists() or "fr-FR" not in saved.read_text()


def test_headless_exits_with_a_clear_message_when_the_share_port_is_taken(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = start_headless(tmp_path, port)
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1, out
    assert f"The share cannot listen on 127.0.0.1 port {port}" in out
    assert "Traceback" not in out


def test_a_second_headless_copy_on_the_same_data_folder_exits_with_a_reason(tmp_path):
    first = start_headless(tmp_path, free_port())
    try:
        wait_for_line(first, "Reelbox is running")
        second = start_headless(tmp_path, free_port())
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1, out
        assert "already running with the data folder" in out and "Traceback" not in out
    finally:
        code, out = stop(first)
    assert code == 0, out


@pytest.mark.parametrize(
    "backend",
    # no backend at all, and `keyring --disable`'s backend that accepts secrets and keeps none
    ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"],
)
def test_headless_prints_the_generated_share_login_on_the_terminal_only(tmp_path, backend):
    port = free_port()
    process = start_headless(
        tmp_path,
        port,
        env_extra={"REELBOX_SHARE_PASSWORD": "", "PYTHON_KEYRING_BACKEND": backend},
    )
    try:
        lines = wait_for_line(process, "Reelbox is running")
        (login,) = [line for line in lines if line.startswith("Share login: ")]
        user, password = login.split(": ", 1)[1].split(" (")[0].split(" / ")
        assert "no keyring" in login  # both backends keep nothing: the memory fallback
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", auth=(user, password), timeout=5)
        assert health.status_code == 200
    finally:
        code, out = stop(process)
    assert code == 0, out
    assert password not in (tmp_path / "logs" / "reelbox.log").read_text()
