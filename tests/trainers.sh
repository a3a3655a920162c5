#!/usr/bin/env bash
# Ponder's exports on the real trainers: in a virtual environment cached under ~/.cache (quick on
# repeat runs), installs PyTorch (the registry's default wheel, run on CPU), transformers, datasets and
# TRL at the versions in tests/trainers/requirements.txt, plus LLaMA-Factory's package without its
# dependencies (only its data converter is used). Then tests/trainers/check.py makes a real history with
# the `ponder` binary the test build made and the bundled model, exports it in each reasoning style, and
# trains 2 steps each of DPO, KTO and SFT on it and 2 of GRPO on its questions, printing the losses. Skipped, with the reason printed,
# only when this machine has no Python 3.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "trainer check skipped: no python3 on this machine"
  exit 0
fi
venv="${PONDER_TRAINERS_VENV:-$HOME/.cache/ponder/trainers-venv}"
requirements=tests/trainers/requirements.txt
if ! [ -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/.ponder-requirements"; then
  echo "installing the trainers into $venv (PyTorch is a large download; cached for later runs)"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -r "$requirements"
  # LLaMA-Factory pins versions of transformers and friends it does not need for its converter.
  "$venv/bin/pip" install --quiet --no-deps "$(grep -o '^# llamafactory==.*' "$requirements" | cut -c3-)"
  cp "$requirements" "$venv/.ponder-requirements"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
binary="$target_dir/debug/ponder"
[ -x "$binary" ] || { echo "$binary is missing: build it first (cargo test --workspace --no-run)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DISABLE_VERSION_CHECK=1 "$venv/bin/python" tests/trainers/check.py "$binary" models/ponder-tiny "$work"
