#!/usr/bin/env bash
# Build what this machine can build into dist/: the frozen one-folder app (PyInstaller), then
# on Linux reelbox-VERSION-linux-x86_64.tar.gz (and a .deb when dpkg-deb is there), on macOS
# Reelbox-VERSION.dmg. Windows installers are built on Windows with Inno Setup (README).
#   scripts/build_release.sh            # uses .venv; installs the `build` extra into it
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
default_python=.venv/bin/python
[ -x .venv/Scripts/python.exe ] && default_python=.venv/Scripts/python.exe  # Git Bash on Windows
python="${PYTHON:-$default_python}"
"$python" -m pip install -q -e '.[build]'
version="$("$python" -c 'import app; print(app.__version__)')"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build installers/reelbox.spec

case "$(uname -s)" in
  Linux)
    name="reelbox-$version-linux-$(uname -m)"
    stage="build/$name"
    rm -rf "$stage"
    mkdir -p "$stage/icons"
    cp -a dist/Reelbox "$stage/"
    cp resources/io.github.reelbox.Reelbox.desktop resources/io.github.reelbox.Reelbox.metainfo.xml "$stage/"
    cp resources/icons/reelbox-*.png "$stage/icons/"
    install -m 755 installers/linux/install.sh "$stage/install.sh"
    tar -C build -czf "dist/$name.tar.gz" "$name"
    echo "Built dist/$name.tar.gz"
    if command -v dpkg-deb >/dev/null; then
      installers/linux/make-deb.sh "$version"
    fi
    ;;
  Darwin)
    installers/macos/make-dmg.sh "$version"
    ;;
  *)
    echo "Built dist/Reelbox; on Windows run: iscc installers/windows/reelbox.iss"
    ;;
esac
