#!/usr/bin/env bash
# Builds Ponder's Linux packages, a .deb and an .rpm with the bundled model inside, and prints their
# paths (one per line, last). By default from the dev profile the tests build (every dependency optimized;
# about a minute on a warm target); `--release` for packages to hand out (a full release build, ~30 min
# on two cores the first time). Further arguments go to `tauri build` (e.g. `--features cuda`).
# AppImage, MSI and DMG need downloads: see the README's release workflow.
set -euo pipefail
cd "$(dirname "$0")/.."

profile_flag=(--debug)
profile_dir=debug
if [ "${1:-}" = "--release" ]; then
  profile_flag=()
  profile_dir=release
  shift
fi

./scripts/setup.sh >&2
# The Tauri CLI is pinned in ui/package.json; it runs the window's build (beforeBuildCommand) itself.
(cd src-tauri && ../ui/node_modules/.bin/tauri build "${profile_flag[@]}" --bundles deb,rpm --ci "$@") >&2

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bundle="$target_dir/$profile_dir/bundle"
deb=$(ls -t "$bundle"/deb/*.deb | head -n 1)
rpm=$(ls -t "$bundle"/rpm/*.rpm | head -n 1)
echo "$deb"
echo "$rpm"
