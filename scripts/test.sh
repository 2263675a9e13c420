#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the browser test needs
# (Debian's chromium, the pinned playwright-core in tests/browser), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
cargo test --no-fail-fast
