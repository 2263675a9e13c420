#!/usr/bin/env bash
# Re-record what real PyTorch computes for every tensor parity fixture.
# Usage: PYTHON=/path/to/python-with-torch tests/pytorch/record_tensor.sh
# (CI reads the committed *.torch.json files and needs no torch.)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
for script in tests/fixtures/pytorch/tensor/*.py; do
  "$PYTHON" tests/pytorch/torch_tensor.py "$script" > "${script%.py}.torch.json"
done
