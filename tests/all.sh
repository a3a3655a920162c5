#!/usr/bin/env bash
# Every test Ponder has: the Rust workspace (unit, cross-crate, CLI and app-command tests on the bundled
# model and real SQLite files, and the end-to-end suite in a real window), the Linux packages (built,
# installed with dpkg -i, the installed app asked a question, removed: tests/package.sh), then the
# window's type check and Vitest suite. This is the README's test command; it first installs what is
# missing (scripts/setup.sh) and builds the window it embeds.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
(cd ui && npm run build)

cargo test --workspace --locked
./tests/package.sh

cd ui
npm run check
npm test
