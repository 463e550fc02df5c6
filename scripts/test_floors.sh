#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Check that the oldest versions pyproject.toml allows really work: build a throwaway venv,
# install exactly the lower bound of every dependency (setuptools included, building the way
# the Flatpak does, without build isolation) and run the core tests in it.
#
#   scripts/test_floors.sh              # tests/core and tests/test_resources.py
#   scripts/test_floors.sh --desktop    # the Qt tests too (PySide6 at its floor)
#   TORCH_SPEC='torch==2.13.0' scripts/test_floors.sh   # where torch's floor has no CPU wheel
#
# The extras (test tools, onnx, scale) are installed as scripts/bootstrap.sh does, unpinned.
# The venv lives under /tmp and is removed afterwards (KEEP_VENV=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=(tests/core tests/test_resources.py)
if [ "${1:-}" = "--desktop" ]; then TESTS+=(tests/desktop); shift; fi
[ $# -eq 0 ] || { echo "usage: $0 [--desktop]" >&2; exit 2; }

PYTHON="${PYTHON:-python3}"
VENV="$(mktemp -d /tmp/altlens-floors.XXXXXX)"
[ "${KEEP_VENV:-0}" = 1 ] || trap 'rm -rf "$VENV"' EXIT
CONSTRAINTS="$VENV/floors.txt"
# A copy of the working tree (what git would commit, untracked files included), so the run
# tests one state of the sources even while they are being edited.
SRC="$VENV/src"
mkdir -p "$SRC"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  if [ -e "$f" ]; then printf '%s\0' "$f"; fi
done | tar --null -T - -cf - | tar -xf - -C "$SRC"
REPO="$PWD"
cd "$SRC"
if [ -e "$REPO/../shared" ]; then ln -s "$REPO/../shared" "$VENV/shared"; fi  # the corpus tests' ../shared

# One `name==lower-bound` line per requirement, from the same lists setup.py installs.
"$PYTHON" - "$CONSTRAINTS" <<'PY'
import re, sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))
reqs = (project["tool"]["altlens"]["dependencies"] + project["project"]["optional-dependencies"]["gui"]
        + project["build-system"]["requires"])
lines = []
for req in reqs:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", req)
    name, spec = m.group(1), m.group(2)
    low = re.search(r">=\s*([^,;\s]+)", spec)
    if not low:
        sys.exit(f"test_floors: {req!r} has no lower bound; every dependency needs one")
    lines.append(f"{name}=={low.group(1)}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
if [ -n "${TORCH_SPEC:-}" ]; then
  grep -v '^torch==' "$CONSTRAINTS" > "$CONSTRAINTS.new"; echo "$TORCH_SPEC" >> "$CONSTRAINTS.new"
  mv "$CONSTRAINTS.new" "$CONSTRAINTS"
fi
echo "test_floors: installing into $VENV:"; sed 's/^/  /' "$CONSTRAINTS"

"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q -c "$CONSTRAINTS")
"${PIP[@]}" --upgrade pip
"${PIP[@]}" setuptools torch      # the build backend at its floor; torch first (CPU build where pinned so)
"${PIP[@]}" --no-build-isolation '.[test,onnx,scale]'  # the extras as scripts/bootstrap.sh installs them
"$VENV/bin/python" -m pip freeze | grep -iE '^(torch|transformers|huggingface.hub|tokenizers|safetensors|numpy|pillow|pillow.heif|platformdirs|watchdog|num2words|pyside6.essentials|setuptools)==' | sed 's/^/test_floors: installed /'
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "${TESTS[@]}"
