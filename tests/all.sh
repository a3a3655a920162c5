#!/usr/bin/env bash
# Every test Ponder has: the Rust workspace (unit, cross-crate and CLI tests on the bundled model, real
# SQLite files), then the window's type check and Vitest suite. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked

cd ui
# Reinstall only when the lock file changed since the last install.
if ! [ -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.ponder-installed-lock; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.ponder-installed-lock
fi
npm run check
npm test
