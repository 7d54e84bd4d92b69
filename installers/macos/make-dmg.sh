#!/usr/bin/env bash
# Pack dist/Reelbox.app (the spec's BUNDLE) as dist/Reelbox-VERSION-macos.dmg: the app beside
# an Applications link, to drag across. Called by scripts/build_release.sh on a Mac.
set -euo pipefail
version="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
stage="build/dmg"
rm -rf "$stage"
mkdir -p "$stage"
cp -R dist/Reelbox.app "$stage/"
ln -s /Applications "$stage/Applications"
# Not notarized: PyInstaller signs ad hoc, so the first start needs right-click, Open (README).
hdiutil create -volname "Reelbox $version" -srcfolder "$stage" -ov -format UDZO \
  "dist/Reelbox-$version-macos.dmg"
echo "Built dist/Reelbox-$version-macos.dmg"
