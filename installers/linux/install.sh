#!/usr/bin/env bash
# Install the Reelbox bundle this script came with for the current user (no root, no Python):
# the app under ~/.local/share/reelbox, the `reelbox` command, the menu entry, icons and the
# magnet: and .torrent handlers. Re-running updates in place; --uninstall removes it again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
app="$prefix/reelbox/app"
id=io.github.reelbox.Reelbox
sizes="16 24 32 48 64 128 256 512"

ours() {  # is ~/.local/bin/reelbox our link (not a pipx or venv install's)?
  [ -L "$HOME/.local/bin/reelbox" ] && [ "$(readlink "$HOME/.local/bin/reelbox")" = "$app/reelbox" ]
}
if pgrep -f -- "$app/reelbox" >/dev/null 2>&1; then
  # a frozen app reads its modules from its folder while it runs: replacing it under a running
  # copy can crash that copy on its next import (at quit, before the library is closed)
  echo "Reelbox is running from $app: quit it first, then run this again." >&2
  exit 1
fi

if [ "${1:-}" = --uninstall ]; then
  rm -rf "$prefix/reelbox/app" "$prefix/applications/$id.desktop" "$prefix/metainfo/$id.metainfo.xml"
  for size in $sizes; do rm -f "$prefix/icons/hicolor/${size}x${size}/apps/$id.png"; done
  if ours; then rm -f "$HOME/.local/bin/reelbox"; fi
  echo "Reelbox removed; your library and settings are kept (reelbox --help says where)."
  exit 0
fi

mkdir -p "$prefix/reelbox" "$HOME/.local/bin" "$prefix/applications" "$prefix/metainfo"
# Copy beside the old copy, then swap, so a failed copy leaves the old app working.
rm -rf "$app.new"
cp -a "$here/Reelbox" "$app.new"
rm -rf "$app"
mv "$app.new" "$app"
if [ ! -e "$HOME/.local/bin/reelbox" ] && [ ! -L "$HOME/.local/bin/reelbox" ] || ours; then
  ln -sfn "$app/reelbox" "$HOME/.local/bin/reelbox"
else
  echo "Left $HOME/.local/bin/reelbox alone (another install's); the menu entry starts this one."
fi
# The menu starts the app by its full path: ~/.local/bin is not on every desktop's PATH.
sed "s|^Exec=reelbox |Exec=\"$app/reelbox\" |" "$here/$id.desktop" >"$prefix/applications/$id.desktop"
install -m 644 "$here/$id.metainfo.xml" "$prefix/metainfo/"
for size in $sizes; do
  dir="$prefix/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  install -m 644 "$here/icons/reelbox-$size.png" "$dir/$id.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/applications" || true
if command -v xdg-mime >/dev/null; then
  xdg-mime default "$id.desktop" x-scheme-handler/magnet application/x-bittorrent || true
fi
echo "Reelbox installed: start it from your applications menu or run '$HOME/.local/bin/reelbox'."
