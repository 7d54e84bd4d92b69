#!/usr/bin/env bash
# Install Reelbox for the current user on Linux: the app in a venv, the launcher, icons and
# the magnet: handler. Run from the repository root; re-running updates in place.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
venv="$prefix/reelbox/venv"

python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade "$root"
mkdir -p "$HOME/.local/bin" "$prefix/applications" "$prefix/metainfo"
ln -sf "$venv/bin/reelbox" "$HOME/.local/bin/reelbox"
install -m 644 "$root/resources/io.github.reelbox.Reelbox.desktop" "$prefix/applications/"
install -m 644 "$root/resources/io.github.reelbox.Reelbox.metainfo.xml" "$prefix/metainfo/"
for size in 16 24 32 48 64 128 256 512; do
  dir="$prefix/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  install -m 644 "$root/resources/icons/reelbox-$size.png" "$dir/io.github.reelbox.Reelbox.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/applications" || true
command -v xdg-mime >/dev/null && xdg-mime default io.github.reelbox.Reelbox.desktop x-scheme-handler/magnet || true
echo "Reelbox installed: run 'reelbox' or start it from your applications menu."
