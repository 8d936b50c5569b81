#!/usr/bin/env bash
# Build the sdist and the wheel, and check that the wheel works on its own.
#
# Checks, in order:
#   1. `python -m build` makes both files and `twine check` passes on them;
#   2. the wheel contains the shipped logos and the dcgan_icons_32 preset, and
#      no tests, bytecode caches or runs/ folder;
#   3. in a fresh virtual environment with only the wheel installed (default
#      dependencies, so the TensorFlow backend and no JAX or PyTorch),
#      `logogan --help` runs and the preset writes a PNG grid of 16 logos.
# It prints both file sizes. Needs `build` and `twine` (the `dev` extra).
# Usage: bash scripts/check_wheel.sh   (everything it writes goes to a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d -t check-wheel-XXXXXX)"
trap 'rm -rf "$work"' EXIT
dist="$work/dist"

echo "=== build sdist and wheel ==="
python -m build --outdir "$dist" . > "$work/build.log" 2>&1 || {
  cat "$work/build.log"
  echo "FAILED: python -m build exited with an error. Its output is above." >&2
  exit 1
}
python -m twine check --strict "$dist"/*

wheel=("$dist"/*.whl)
sdist=("$dist"/*.tar.gz)
for file in "${wheel[0]}" "${sdist[0]}"; do
  python -c 'import os, sys; size = os.path.getsize(sys.argv[1]); print(f"{os.path.basename(sys.argv[1])}: {size / 1e6:.1f} MB ({size} bytes)")' "$file"
done

echo "=== wheel contents ==="
python - "${wheel[0]}" <<'EOF'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
required = [
    "keras_logogan/datasets/data/icons_32.npz",
    "keras_logogan/datasets/data/icons_64.npz",
    "keras_logogan/datasets/data/icons_manifest.csv",
    "keras_logogan/datasets/data/CREDITS.md",
    "keras_logogan/presets/dcgan_icons_32/config.json",
    "keras_logogan/presets/dcgan_icons_32/model.weights.h5",
    "keras_logogan/py.typed",
]
missing = [name for name in required if name not in names]
unwanted = [
    name for name in names
    if "__pycache__" in name or name.endswith(".pyc")
    or name.startswith(("tests/", "runs/", "docs/", "benchmarks/"))
]
if missing or unwanted:
    sys.exit(f"FAILED: wheel is missing {missing} or contains files it should not: {unwanted}")
print(f"ok: {len(names)} files, package data present, no tests, caches or runs/")
EOF

echo "=== install the wheel into a fresh virtual environment ==="
start=$SECONDS
python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install "${wheel[0]}" > "$work/pip.log" 2>&1 || {
  cat "$work/pip.log"
  echo "FAILED: pip could not install the wheel. Its output is above." >&2
  exit 1
}
echo "installed in $((SECONDS - start)) s"

# Run from the temporary folder with a fresh KERAS_HOME, so neither this
# checkout's src/ nor a user's keras.json changes what gets imported.
cd "$work"
export KERAS_HOME="$work/keras_home"
unset KERAS_BACKEND
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

"$work/venv/bin/logogan" --help > /dev/null
echo "ok: logogan --help"

"$work/venv/bin/python" - "$work/logos.png" <<'EOF'
import os
import sys

import keras

import keras_logogan
from keras_logogan import LogoGAN, save_grid

venv = sys.prefix  # the fresh virtual environment
if not os.path.abspath(keras_logogan.__file__).startswith(venv):
    sys.exit(f"FAILED: keras_logogan was imported from {keras_logogan.__file__}, not the wheel")
if keras.backend.backend() != "tensorflow":
    sys.exit(f"FAILED: expected the default TensorFlow backend, got {keras.backend.backend()}")

gan = LogoGAN.from_pretrained("dcgan_icons_32")
save_grid(gan.generate(16, seed=0), sys.argv[1])

if not os.path.isfile(sys.argv[1]):
    sys.exit(f"FAILED: save_grid wrote no file at {sys.argv[1]}")
with open(sys.argv[1], "rb") as stream:
    if stream.read(8) != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"FAILED: {sys.argv[1]} is not a PNG file")
print(f"ok: keras_logogan {keras_logogan.__version__} wrote a 16-logo grid with the preset")
EOF
echo "The wheel installs and runs on its own."
