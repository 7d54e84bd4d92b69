"""Smoke-test the Linux release (scripts/build_release.sh) the way a user installs and starts it.

    .venv/bin/python scripts/smoke_frozen.py

The tarball is unpacked and its install.sh run with a temporary HOME; the installed .desktop
file must pass `desktop-file-validate` and the metainfo `appstreamcli validate`. The installed
app is then started, each time in a fresh data folder and with no Python variables set:
`--version`; `--headless` prints the share's address, `/api/health` answers with the API
token (and refuses a request without it), SIGTERM stops it with exit code 0; the window under
`xvfb-run` (Qt's xcb plugin) gets ready, a second launch with the offscreen plugin hands
itself to it and exits, SIGTERM stops it cleanly. `install.sh --uninstall` must remove it,
and the .deb, when built, must hold the app, its launcher and menu entry. Exits non-zero
with the reason on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app import __version__  # noqa: E402

DESKTOP_ID = "io.github.reelbox.Reelbox"
TOKEN = "smoke-test-token"
MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20
START_TIMEOUT = 90.0  # a cold start of a frozen app on a busy 2-core CI box
STOP_TIMEOUT = 60.0


class SmokeError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env() -> dict[str, str]:
    """The user's environment minus anything that would let the app find our venv's Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.pop("QT_QPA_PLATFORM", None)
    env.update(REELBOX_SHARE_PASSWORD="smoke-password", REELBOX_API_TOKEN=TOKEN)
    return env


def args_for(data_dir: Path) -> list[str]:
    return [
        "--data-dir",
        str(data_dir),
        "--set",
        "share.bind_address=127.0.0.1",
        "--set",
        f"share.port={free_port()}",
        "--set",
        "torrents.listen_port=0",
        "--set",
        "torrents.dht=off",
        "--set",
        "torrents.upnp=off",
        "--set",
        "torrents.natpmp=off",
        "--set",
        "torrents.lsd=off",
    ]


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not check():
        if proc.poll() is not None:
            raise SmokeError(f"{what}: the app exited with {proc.returncode}\n{tail(log)}")
        if time.monotonic() > deadline:
            raise SmokeError(f"{what}: not within {START_TIMEOUT:.0f} s\n{tail(log)}")
        time.sleep(0.2)


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(read(path).splitlines()[-lines:]) or "(no output)"


def stop(proc: subprocess.Popen, pid: int, log: Path) -> None:
    """SIGTERM to the app itself; the exit code must say it stopped cleanly."""
    os.kill(pid, signal.SIGTERM)
    try:
        code = proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SmokeError(f"no exit within {STOP_TIMEOUT:.0f} s of SIGTERM\n{tail(log)}") from None
    if code != 0:
        raise SmokeError(f"exit code {code} after SIGTERM\n{tail(log)}")


def runs(process: psutil.Process, binary: Path) -> bool:
    try:
        return Path(process.exe()) == binary.resolve()
    except psutil.Error:  # xauth and friends come and go under xvfb-run
        return False


def check_version(binary: Path) -> None:
    out = subprocess.run(
        [str(binary), "--version"], env=app_env(), capture_output=True, text=True, timeout=60
    )
    if out.returncode != 0 or out.stdout.strip() != f"Reelbox {__version__}":
        raise SmokeError(f"--version: {out.returncode} {out.stdout!r} {out.stderr!r}")


def get_health(url: str, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url + "api/health", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def check_headless(binary: Path, data_dir: Path) -> None:
    out = data_dir / "stdout.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [str(binary), "--headless", *args_for(data_dir)],
            env=app_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for("headless start", lambda: "is running" in out.read_text(), proc, out)
        urls = re.findall(r"^Share: (http://127\.0\.0\.1:\d+/)", out.read_text(), re.M)
        if not urls:
            raise SmokeError(f"no loopback share address printed\n{tail(out)}")
        status, body = get_health(urls[0], TOKEN)
        if status != 200 or body.get("version") != __version__:
            raise SmokeError(f"/api/health with the token: {status} {body}")
        status, body = get_health(urls[0], None)
        if status != 401:
            raise SmokeError(f"/api/health without credentials: {status} {body}")
        stop(proc, proc.pid, out)
    finally:
        if proc.poll() is None:
            proc.kill()


def check_window(binary: Path, data_dir: Path) -> None:
    log = data_dir / "logs" / "reelbox.log"
    out = data_dir / "stdout.txt"
    args = args_for(data_dir)
    with out.open("w") as sink:
        proc = subprocess.Popen(
            ["xvfb-run", "-a", str(binary), *args],
            env=app_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for("window ready", lambda: "Reelbox window ready" in read(log), proc, log)
        # A second launch finds the first (QtNetwork's local socket) and hands its link over.
        second = subprocess.run(
            [str(binary), *args, MAGNET],
            env={**app_env(), "QT_QPA_PLATFORM": "offscreen"},
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        if second.returncode != 0 or "Handed 1 link(s)" not in read(log):
            raise SmokeError(f"second launch: {second.returncode} {second.stderr}\n{tail(log)}")
        apps = [p for p in psutil.Process(proc.pid).children(recursive=True) if runs(p, binary)]
        if len(apps) != 1:
            raise SmokeError(f"expected one app process under xvfb-run, found {apps}")
        stop(proc, apps[0].pid, log)  # xvfb-run exits with the app's code
        if "Reelbox stopped cleanly" not in read(log):
            raise SmokeError(f"the window did not stop cleanly\n{tail(log)}")
    finally:
        if proc.poll() is None:  # a failed check: leave no app or X server behind
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
            proc.kill()


def run(command: list[str], **kwargs) -> str:
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    if out.returncode != 0:
        raise SmokeError(f"{' '.join(command)}: exit {out.returncode}\n{out.stdout}{out.stderr}")
    return out.stdout


def install_tarball(tarball: Path, tmp: Path) -> Path:
    """Unpack and install for a temporary HOME; returns the `reelbox` launcher it made."""
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp / "unpacked", filter="tar")
    (folder,) = (tmp / "unpacked").iterdir()
    home = tmp / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    run([str(folder / "install.sh")], env={**env, "HOME": str(home)})
    share = home / ".local" / "share"
    desktop = share / "applications" / f"{DESKTOP_ID}.desktop"
    run(["desktop-file-validate", str(desktop)])
    text = desktop.read_text()
    for needed in ("x-scheme-handler/magnet;", "application/x-bittorrent;", str(share)):
        if needed not in text:
            raise SmokeError(f"the installed .desktop file lacks {needed!r}:\n{text}")
    run(
        [
            "appstreamcli",
            "validate",
            "--no-net",
            str(share / "metainfo" / f"{DESKTOP_ID}.metainfo.xml"),
        ]
    )
    icon = share / "icons" / "hicolor" / "256x256" / "apps" / f"{DESKTOP_ID}.png"
    if not icon.is_file():
        raise SmokeError(f"no icon at {icon}")
    return home / ".local" / "bin" / "reelbox"


def uninstall(launcher: Path, tmp: Path) -> None:
    (folder,) = (tmp / "unpacked").iterdir()
    home = tmp / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    run([str(folder / "install.sh"), "--uninstall"], env={**env, "HOME": str(home)})
    left = [
        p for p in (launcher, home / ".local" / "share" / "reelbox" / "app") if os.path.lexists(p)
    ]
    if left:
        raise SmokeError(f"--uninstall left {left}")


def check_deb(deb: Path) -> None:
    if run(["dpkg-deb", "--field", str(deb), "Version"]).strip() != __version__:
        raise SmokeError(f"{deb.name} has the wrong version")
    contents = run(["dpkg-deb", "--contents", str(deb)])
    for needed in (
        "./opt/reelbox/reelbox",
        "./usr/bin/reelbox -> /opt/reelbox/reelbox",
        f"./usr/share/applications/{DESKTOP_ID}.desktop",
        f"./usr/share/metainfo/{DESKTOP_ID}.metainfo.xml",
    ):
        if needed not in contents:
            raise SmokeError(f"{deb.name} lacks {needed}")
    with tempfile.TemporaryDirectory(prefix="reelbox-deb-") as tmp:
        run(["dpkg-deb", "--extract", str(deb), tmp])
        run(["desktop-file-validate", f"{tmp}/usr/share/applications/{DESKTOP_ID}.desktop"])
        check_version(Path(tmp) / "opt" / "reelbox" / "reelbox")


def check_app(launcher: Path) -> None:
    binary = launcher.resolve()
    plugins = {p.name for p in binary.parent.rglob("platforms/libq*.so")}
    missing = {"libqxcb.so", "libqoffscreen.so"} - plugins
    if missing:
        raise SmokeError(f"Qt platform plugins missing from the bundle: {sorted(missing)}")
    if not list(binary.parent.rglob("resources/icons/reelbox.svg")):
        raise SmokeError("the resources folder (icons, .desktop file) is not in the bundle")
    steps: list[tuple[str, Callable[[Path], None]]] = [
        ("--version", lambda _d: check_version(launcher)),
        ("--headless, /api/health, SIGTERM", lambda d: check_headless(launcher, d)),
        ("window under Xvfb, hand-off, SIGTERM", lambda d: check_window(launcher, d)),
    ]
    for name, step in steps:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="reelbox-smoke-") as tmp:
            try:
                step(Path(tmp))
            except SmokeError as exc:
                raise SmokeError(f"{name}: {exc}") from None
        print(f"ok   {name} ({time.monotonic() - started:.1f} s)")


def main() -> int:
    machine = platform.machine()
    tarball = ROOT / "dist" / f"reelbox-{__version__}-linux-{machine}.tar.gz"
    debs = sorted((ROOT / "dist").glob(f"reelbox_{__version__}_*.deb"))
    tools = ("xvfb-run", "desktop-file-validate", "appstreamcli")
    try:
        if not tarball.is_file():
            raise SmokeError(f"no {tarball.relative_to(ROOT)}: run scripts/build_release.sh")
        if missing := [t for t in tools if not shutil.which(t)]:
            raise SmokeError(f"missing tools: {missing}")
        with tempfile.TemporaryDirectory(prefix="reelbox-install-") as tmp:
            launcher = install_tarball(tarball, Path(tmp))
            print(f"ok   {tarball.name} installs; .desktop and metainfo validate")
            check_app(launcher)
            uninstall(launcher, Path(tmp))
            print("ok   install.sh --uninstall")
        for deb in debs:
            check_deb(deb)
            print(f"ok   {deb.name} holds the app, launcher and menu entry; its app starts")
    except SmokeError as exc:
        print(f"FAIL {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
