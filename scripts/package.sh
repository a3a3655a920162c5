#!/usr/bin/env bash
# Builds Ponder's Linux packages, a .deb and an .rpm with the bundled model inside, and prints their
# paths (one per line, last). By default from the dev profile the tests build (every dependency optimized;
# about a minute on a warm target); `--release` for packages to hand out (a full release build, ~30 min
# on two cores the first time). `--prebuilt` packages the dev-profile binary already in the target folder
# (the one `cargo test --workspace` builds and the end-to-end tests run) without compiling anything, so
# the test command compiles the tree once. Further arguments go to `tauri build` (e.g. `--features cuda`).
# AppImage, MSI and DMG need downloads: see the README's release workflow.
set -euo pipefail
cd "$(dirname "$0")/.."

profile_flag=(--debug)
profile_dir=debug
command=build
case "${1:-}" in
  --release)
    profile_flag=()
    profile_dir=release
    shift
    ;;
  --prebuilt)
    command=bundle
    shift
    ;;
esac

./scripts/setup.sh >&2
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ "$command" = bundle ]; then
  binary="$target_dir/debug/ponder-desktop"
  [ -x "$binary" ] || { echo "$binary is missing: build it first (cargo test --workspace --no-run)" >&2; exit 1; }
  # `tauri bundle` packages what is built; the window (ui/dist) is embedded in that binary already.
  (cd src-tauri && ../ui/node_modules/.bin/tauri bundle --debug --bundles deb,rpm --ci "$@") >&2
else
  # The Tauri CLI is pinned in ui/package.json; it runs the window's build (beforeBuildCommand) itself.
  (cd src-tauri && ../ui/node_modules/.bin/tauri build "${profile_flag[@]}" --bundles deb,rpm --ci "$@") >&2
fi

bundle="$target_dir/$profile_dir/bundle"
deb=$(ls -t "$bundle"/deb/*.deb | head -n 1)
rpm=$(ls -t "$bundle"/rpm/*.rpm | head -n 1)
echo "$deb"
echo "$rpm"
