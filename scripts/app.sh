#!/usr/bin/env bash
# Sets up what is missing, builds the window and runs Ponder with the bundled model. Extra arguments go
# to the app. The first build takes ~25 min on two cores (mistral.rs is large); later ones are quick.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
(cd ui && npm run build)
cargo run --locked -p ponder-desktop -- "$@"
