#!/usr/bin/env bash
# The Linux packages install and run: builds the .deb and .rpm (scripts/package.sh), installs the .deb
# with `dpkg -i`, asks the installed /usr/bin/ponder-desktop a question in a real window with the model
# the package carries (tests/window_e2e.rs, `installed_package_*`), then removes the package again.
# Refuses to touch a Ponder that is already installed. Needs root or sudo (it installs a package).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if dpkg-query -W -f='${Status}' ponder 2>/dev/null | grep -q "install ok installed"; then
  echo "a Ponder package is already installed here; remove it (dpkg -r ponder) to run this test" >&2
  exit 1
fi

# `--prebuilt` (as tests/all.sh passes): package the binary the test build made instead of compiling.
mapfile -t built < <(./scripts/package.sh "$@" | tail -n 2)
deb="${built[0]}"
rpm="${built[1]}"
echo "built $(du -h "$deb" | cut -f1) $deb and $(du -h "$rpm" | cut -f1) $rpm"

# An .rpm cannot be installed on Debian; check it is one (its lead's magic number) and non-trivial.
[ "$(head -c 4 "$rpm" | od -An -tx1 | tr -d ' \n')" = "edabeedb" ] || { echo "$rpm is not an RPM" >&2; exit 1; }
[ "$(stat -c %s "$rpm")" -gt 10000000 ] || { echo "$rpm is too small to hold the app and its model" >&2; exit 1; }

trap '$sudo dpkg -r ponder >/dev/null' EXIT
$sudo dpkg -i "$deb"
# `--workspace`, as in tests/all.sh: the same feature set, so nothing is compiled again.
PONDER_APP_BINARY=/usr/bin/ponder-desktop \
  cargo test --workspace --locked --test window_e2e -- --ignored installed_package
