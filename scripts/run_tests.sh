#!/usr/bin/env bash
# Run the whole test suite once per Keras backend and stop at the first failure.
# Usage: bash scripts/run_tests.sh [backend ...] [-- pytest options]
set -uo pipefail

backends=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
  backends+=("$1")
  shift
done
[[ "${1:-}" == "--" ]] && shift
[[ ${#backends[@]} -gt 0 ]] || backends=(tensorflow jax torch)

export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
for backend in "${backends[@]}"; do
  echo "=== pytest with KERAS_BACKEND=$backend ==="
  start=$SECONDS
  KERAS_BACKEND="$backend" python -m pytest "$@"
  status=$?
  echo "=== $backend: exit status $status after $((SECONDS - start)) s ==="
  if [[ $status -ne 0 ]]; then
    exit "$status"
  fi
done
