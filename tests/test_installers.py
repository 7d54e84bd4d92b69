"""The installers: what cannot be built here (the Windows setup, the macOS bundle) is checked
as text so a typo fails; the Linux bundle's install script runs for real on a stand-in app.
The frozen app itself is built and smoke-tested by scripts/smoke_frozen.py in .ci/run."""

from __future__ import annotations

import json
import os
import plistlib
import re
import shutil
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = ROOT / "installers"
ISS = INSTALLERS / "windows" / "reelbox.iss"
SPEC = INSTALLERS / "reelbox.spec"
DESKTOP_ID = "io.github.reelbox.Reelbox"
# Inno Setup's `Name: value; Name: "value"` entries; "" inside quotes is one quote.
ENTRY = re.compile(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)')
OPEN_COMMAND = '"{app}\\reelbox.exe" "%1"'


def iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return sections


def iss_entry(line: str) -> dict[str, str]:
    entry = {}
    for key, value in ENTRY.findall(line):
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1].replace('""', '"')
        entry[key] = value
    return entry


def registry() -> dict[tuple[str, str], dict[str, str]]:
    """(subkey, value name) -> the entry, for every [Registry] line."""
    entries = [iss_entry(line) for line in iss_sections(ISS.read_text())["Registry"]]
    return {(e["Subkey"], e["ValueName"]): e for e in entries}


def test_the_windows_installer_needs_no_admin_and_installs_per_user():
    setup = dict(
        line.split("=", 1) for line in iss_sections(ISS.read_text())["Setup"] if "=" in line
    )
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"].startswith("{localappdata}\\")
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # no way to ask for admin
    assert setup["ChangesAssociations"] == "yes"  # Explorer learns of the new handlers


def test_the_windows_installer_registers_magnet_links_and_torrent_files_for_the_user():
    reg = registry()
    assert {e["Root"] for e in reg.values()} == {"HKCU"}
    assert {e["ValueType"] for e in reg.values()} == {"string"}
    magnet = "Software\\Classes\\magnet"
    assert reg[(magnet, "URL Protocol")]["ValueData"] == ""
    assert reg[(magnet + "\\shell\\open\\command", "")]["ValueData"] == OPEN_COMMAND
    prog_id = reg[("Software\\Classes\\.torrent", "")]["ValueData"]
    assert reg[("Software\\Classes\\.torrent\\OpenWithProgids", prog_id)]
    assert reg[(f"Software\\Classes\\{prog_id}\\shell\\open\\command", "")]["ValueData"] == (
        OPEN_COMMAND
    )
    assert reg[("Software\\Classes\\.torrent", "Content Type")]["ValueData"] == (
        "application/x-bittorrent"
    )


def test_the_windows_installer_ships_what_the_spec_builds():
    spec = SPEC.read_text()
    assert 'name="reelbox"' in spec and 'COLLECT(exe, a.binaries, a.datas, name="Reelbox")' in spec
    files = [iss_entry(line) for line in iss_sections(ISS.read_text())["Files"]]
    assert [f["Source"] for f in files] == ["..\\..\\dist\\Reelbox\\*"]
    assert (ISS.parent / "../../dist").resolve() == ROOT / "dist"
    icons = [iss_entry(line) for line in iss_sections(ISS.read_text())["Icons"]]
    assert {i["Filename"] for i in icons} == {"{app}\\reelbox.exe"}


def test_the_mac_bundle_declares_magnet_links_and_torrent_files():
    plist = json.loads((INSTALLERS / "macos" / "info_plist.json").read_text())
    plistlib.dumps(plist)  # what PyInstaller writes into Info.plist
    assert [s for t in plist["CFBundleURLTypes"] for s in t["CFBundleURLSchemes"]] == ["magnet"]
    (document,) = plist["CFBundleDocumentTypes"]
    assert document["CFBundleTypeExtensions"] == ["torrent"]
    (declared,) = plist["UTImportedTypeDeclarations"]
    assert document["LSItemContentTypes"] == [declared["UTTypeIdentifier"]]
    assert declared["UTTypeTagSpecification"]["public.filename-extension"] == ["torrent"]
    assert 'installers" / "macos" / "info_plist.json"' in SPEC.read_text()


def test_release_scripts_are_valid_shell():
    scripts = [
        ROOT / "scripts" / "build_release.sh",
        INSTALLERS / "linux" / "install.sh",
        INSTALLERS / "linux" / "make-deb.sh",
        INSTALLERS / "macos" / "make-dmg.sh",
    ]
    for script in scripts:
        assert os.access(script, os.X_OK), script
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def fake_release(folder: Path) -> Path:
    """The tarball's layout (scripts/build_release.sh) around a stand-in for the frozen app."""
    folder.mkdir()
    (folder / "Reelbox").mkdir()
    app = folder / "Reelbox" / "reelbox"
    app.write_text('#!/bin/sh\necho "stand-in reelbox $*"\n')
    app.chmod(0o755)
    shutil.copytree(ROOT / "resources" / "icons", folder / "icons")
    for name in (f"{DESKTOP_ID}.desktop", f"{DESKTOP_ID}.metainfo.xml"):
        shutil.copy(ROOT / "resources" / name, folder)
    shutil.copy(INSTALLERS / "linux" / "install.sh", folder)
    return folder


def test_the_linux_bundle_installs_for_the_user_and_uninstalls(tmp_path):
    release = fake_release(tmp_path / "reelbox-release")
    home = tmp_path / "a home"  # a space: the menu entry's Exec must quote the path
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")} | {"HOME": str(home)}
    for _ in range(2):  # re-running updates in place
        subprocess.run([str(release / "install.sh")], env=env, check=True, capture_output=True)
    share = home / ".local" / "share"
    launcher = home / ".local" / "bin" / "reelbox"
    answer = subprocess.run([str(launcher), "--version"], capture_output=True, text=True)
    assert answer.stdout == "stand-in reelbox --version\n"
    desktop = share / "applications" / f"{DESKTOP_ID}.desktop"
    exec_line = next(line for line in desktop.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line == f'Exec="{share}/reelbox/app/reelbox" %U'
    assert "MimeType=x-scheme-handler/magnet;application/x-bittorrent;" in desktop.read_text()
    assert (share / "icons/hicolor/512x512/apps" / f"{DESKTOP_ID}.png").is_file()
    assert (share / "metainfo" / f"{DESKTOP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(desktop)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr

    subprocess.run(
        [str(release / "install.sh"), "--uninstall"], env=env, check=True, capture_output=True
    )
    assert not os.path.lexists(launcher)
    assert not (share / "reelbox" / "app").exists()
    assert not desktop.exists()
    assert not list(share.glob("icons/hicolor/*/apps/*.png"))


def test_the_linux_bundle_leaves_a_running_copy_and_another_installs_command_alone(tmp_path):
    release = fake_release(tmp_path / "reelbox-release")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")} | {"HOME": str(home)}
    launcher = home / ".local" / "bin" / "reelbox"
    launcher.parent.mkdir(parents=True)
    launcher.symlink_to(tmp_path / "pipx" / "reelbox")  # another install's command
    subprocess.run([str(release / "install.sh")], env=env, check=True, capture_output=True)
    assert os.readlink(launcher) == str(tmp_path / "pipx" / "reelbox")

    installed = home / ".local" / "share" / "reelbox" / "app" / "reelbox"
    installed.write_text("#!/bin/sh\nsleep 60\n")  # the installed app, running
    running = subprocess.Popen([str(installed)], start_new_session=True)
    try:
        refused = subprocess.run(
            [str(release / "install.sh")], env=env, capture_output=True, text=True
        )
    finally:
        os.killpg(running.pid, signal.SIGKILL)  # the shell and its sleep
        running.wait()
    assert refused.returncode == 1 and "quit it first" in refused.stderr
    assert installed.read_text() == "#!/bin/sh\nsleep 60\n"  # not replaced under it

    subprocess.run(
        [str(release / "install.sh"), "--uninstall"], env=env, check=True, capture_output=True
    )
    assert os.readlink(launcher) == str(tmp_path / "pipx" / "reelbox")  # still theirs
