#!/usr/bin/env bash
# Pack dist/Reelbox (the PyInstaller one-folder app) as dist/reelbox_VERSION_ARCH.deb: the app
# in /opt/reelbox, `reelbox` on the PATH, menu entry, icons, metainfo and the magnet: handler.
# Called by scripts/build_release.sh; needs only dpkg-deb.
set -euo pipefail
version="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
arch="$(dpkg --print-architecture)"
id=io.github.reelbox.Reelbox
pkg="build/deb/reelbox_${version}_$arch"
rm -rf "$pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" "$pkg/usr/share/metainfo"
cp -a dist/Reelbox "$pkg/opt/reelbox"
ln -s /opt/reelbox/reelbox "$pkg/usr/bin/reelbox"
install -m 644 "resources/$id.desktop" "$pkg/usr/share/applications/"
install -m 644 "resources/$id.metainfo.xml" "$pkg/usr/share/metainfo/"
for size in 16 24 32 48 64 128 256 512; do
  install -D -m 644 "resources/icons/reelbox-$size.png" \
    "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/$id.png"
done
# PyInstaller bundles every library but the C library and the GPU drivers' GL/EGL.
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: reelbox
Version: $version
Architecture: $arch
Maintainer: The Reelbox developers <reelbox@users.noreply.github.com>
Installed-Size: $(du -sk "$pkg" | cut -f1)
Depends: libc6 (>= 2.31), libgl1, libegl1, libfontconfig1
Section: video
Priority: optional
Homepage: https://github.com/reelbox/reelbox
Description: Stream your movie and TV library from torrents to the players you own
 Reelbox keeps a movie and TV library, takes magnet links and .torrent files for its items
 and serves them as a read-only WebDAV share that Infuse, VLC, Kodi or Finder can play,
 downloading pieces in the order the player reads them.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$pkg" "dist/reelbox_${version}_$arch.deb" >/dev/null
echo "Built dist/reelbox_${version}_$arch.deb"
