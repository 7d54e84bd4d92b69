"""Desktop metadata is code: the launcher, metainfo, icons and installer definitions are checked."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from resources import APP_ICON_SIZES, FOLDER, icon_files

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = FOLDER / "io.github.reelbox.Reelbox.desktop"
METAINFO = FOLDER / "io.github.reelbox.Reelbox.metainfo.xml"


def test_icons_exist_at_every_size():
    for size, path in zip(APP_ICON_SIZES, icon_files(), strict=True):
        image = QImage(str(path))
        assert not image.isNull(), path
        assert (image.width(), image.height()) == (size, size)


def test_desktop_file_launches_the_console_script_and_handles_magnets():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DESKTOP)
    entry = parser["Desktop Entry"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry["Name"] == "Reelbox"
    assert entry["Exec"].split()[0] in scripts
    assert "x-scheme-handler/magnet" in entry["MimeType"].split(";")


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed"
)
def test_desktop_file_validates():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream not installed")
def test_metainfo_validates():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_installer_definitions_are_valid_python_and_shell():
    compile((ROOT / "installers" / "reelbox.spec").read_text(), "reelbox.spec", "exec")
    result = subprocess.run(["bash", "-n", str(ROOT / "installers" / "install-linux.sh")])
    assert result.returncode == 0
