#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the one-folder Linux bundle dist/altlens/ with PyInstaller (packaging/altlens.spec) and
# smoke-test it: --version, `altlens caption` with the test model, an ExifTool write and read
# back through the bundled ExifTool, and the window opening under Xvfb and closing on SIGTERM.
#
#   packaging/build_linux.sh                # build, then smoke-test
#   packaging/build_linux.sh --smoke-only   # smoke-test an existing dist/altlens
#
# Environment: PYTHON (default .venv/bin/python: the venv whose torch is bundled; CPU or CUDA,
# see packaging/README.md), ALTLENS_EXIFTOOL_DIR (an ExifTool distribution to bundle; default:
# assembled from the system's libimage-exiftool-perl package; "none" to bundle none),
# ALTLENS_BUNDLE_ONNX=1 (also bundle onnxruntime). The smoke tests run with an empty
# environment (no venv on PATH, a scratch ALTLENS_HOME and Hugging Face cache), like a user's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-.venv/bin/python}"
BUNDLE="$ROOT/dist/altlens"
SMOKE_ONLY=0
[ "${1:-}" = "--smoke-only" ] && SMOKE_ONLY=1

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'build_linux: FAILED: %s\n' "$*" >&2; exit 1; }

if [ "$SMOKE_ONLY" = 0 ]; then
  [ -x "$PYTHON" ] || fail "no Python at $PYTHON (run scripts/bootstrap.sh, or set PYTHON)"
  if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    say "installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install -q "pyinstaller>=6.10"
  fi
  "$PYTHON" -c "import torch; print('bundling torch', torch.__version__, '(CUDA ' + torch.version.cuda + ')' if torch.version.cuda else '(CPU build)')"

  # ExifTool is a separate (perl) program: bundle the system's copy with its library, laid out
  # like the Image-ExifTool distribution (exiftool + lib/), so the bundle needs only perl.
  if [ "${ALTLENS_EXIFTOOL_DIR:-}" = none ]; then
    unset ALTLENS_EXIFTOOL_DIR
  elif [ -z "${ALTLENS_EXIFTOOL_DIR:-}" ] && dpkg -s libimage-exiftool-perl >/dev/null 2>&1; then
    dist="$ROOT/build/exiftool-dist"
    rm -rf "$dist"
    mkdir -p "$dist/lib"
    cp /usr/bin/exiftool "$dist/exiftool"
    dpkg -L libimage-exiftool-perl | grep '^/usr/share/perl5/.' | while read -r f; do
      if [ -f "$f" ]; then install -D -m 644 "$f" "$dist/lib/${f#/usr/share/perl5/}"; fi
    done
    export ALTLENS_EXIFTOOL_DIR="$dist"
  fi
  echo "ExifTool to bundle: ${ALTLENS_EXIFTOOL_DIR:-none (the bundle uses the one on PATH)}"

  say "building dist/altlens (PyInstaller; several minutes)"
  start=$(date +%s)
  "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/altlens.spec
  BUILD_SECONDS=$(( $(date +%s) - start ))
  echo "build time: ${BUILD_SECONDS}s"
fi

[ -x "$BUNDLE/altlens" ] || fail "no bundle at $BUNDLE"
SMOKE_START=$(date +%s)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# What a user's session has: no venv, no PYTHONPATH, a fresh home for AltLens and the model cache.
run() {
  env -i HOME="$TMP/user" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    ALTLENS_HOME="$TMP/altlens-home" HF_HOME="$TMP/hf" "$@"
}
mkdir -p "$TMP/user"

say "smoke: --version"
want="AltLens $(cd "$ROOT" && "${PYTHON}" -c 'import altlens; print(altlens.__version__)' 2>/dev/null \
  || sed -n 's/^__version__ = "\(.*\)"/\1/p' core/__init__.py)"
got="$(run "$BUNDLE/altlens" --version)"
echo "$got"
[ "$got" = "$want" ] || fail "--version said '$got', expected '$want'"

say "smoke: altlens-gui is the window's entry point"
run "$BUNDLE/altlens-gui" --help | grep -q "Open the AltLens window" || fail "altlens-gui --help"
echo "altlens-gui --help shows the window's options"

say "smoke: caption a drawn scene with the test model"
# The sample is drawn by the same code that made the test model's training data (Pillow only).
( cd "$ROOT" && "$PYTHON" - "$TMP/scene.jpg" <<'PY'
import random, sys
sys.path.insert(0, ".")
from scripts.toy_scenes import draw_scene
img, caption = draw_scene(random.Random(8), (320, 240))
img.save(sys.argv[1], quality=92)
print("drawn:", caption)
PY
)
run "$BUNDLE/altlens" caption --json --model "$ROOT/tests/models/toy-captioner" "$TMP/scene.jpg" \
  > "$TMP/caption.json"
cat "$TMP/caption.json"
"$PYTHON" - "$TMP/caption.json" <<'PY' || fail "no caption from the bundle"
import json, sys
row = json.loads(open(sys.argv[1]).read().splitlines()[0])
assert row["error"] is None and row["caption"].strip(), row
PY

say "smoke: write and read alt text through ExifTool"
run "$BUNDLE/altlens" -vv write "$TMP/scene.jpg" --alt-text "Smoke test alt text" \
  > "$TMP/write.out" 2> "$TMP/write.err" || { cat "$TMP/write.out" "$TMP/write.err"; fail "altlens write"; }
grep -o "started exiftool pid [0-9]* (.*)" "$TMP/write.err" | head -1
if [ -d "$BUNDLE/exiftool" ]; then
  grep -q "($BUNDLE/exiftool/exiftool)" "$TMP/write.err" || fail "the bundled ExifTool was not used"
fi
run "$BUNDLE/altlens" read --json "$TMP/scene.jpg" > "$TMP/read.json"
grep -q "Smoke test alt text" "$TMP/read.json" || { cat "$TMP/read.json"; fail "alt text not read back"; }
echo "alt text written and read back"

say "smoke: the window opens under Xvfb and closes on SIGTERM"
cat > "$TMP/window.sh" <<'SH'
#!/usr/bin/env bash
# Runs inside xvfb-run: start the window, wait for it to be mapped, send SIGTERM, and exit
# with the app's own status.
"$1" gui --model "$2" &
pid=$!
for _ in $(seq 1 240); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"AltLens'; then break; fi
  kill -0 "$pid" 2>/dev/null || { wait "$pid"; echo "window: exited before it opened ($?)"; exit 3; }
  sleep 0.5
done
xwininfo -root -tree | grep '"AltLens' | head -3 || { echo "window: never appeared"; kill -KILL "$pid"; exit 4; }
sleep 3  # let the workers start and the model load begin
t0=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
printf 'window: exit status %s, %.1fs after SIGTERM\n' "$rc" "$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo 0)"
exit "$rc"
SH
chmod +x "$TMP/window.sh"
command -v xvfb-run >/dev/null || fail "xvfb-run is missing (apt install xvfb xauth)"
run xvfb-run -a -s "-screen 0 1400x900x24" "$TMP/window.sh" "$BUNDLE/altlens" "$ROOT/tests/models/toy-captioner" \
  || fail "the window did not open and close cleanly"
if find "$TMP/altlens-home" -name 'crash-*.log' | grep -q .; then
  fail "the window wrote a crash report"
fi
log_file="$(find "$TMP/altlens-home" -name altlens.log | head -1)"
[ -n "$log_file" ] || fail "the window wrote no log file"
if grep -E "ERROR|CRITICAL|Traceback" "$log_file"; then fail "errors in $log_file"; fi
echo "log: $(grep -c . "$log_file") lines, no errors ($log_file)"

say "summary"
[ -n "${BUILD_SECONDS:-}" ] && echo "build time:  ${BUILD_SECONDS}s"
echo "bundle size: $(du -sh "$BUNDLE" | cut -f1)  ($BUNDLE)"
echo "largest parts:"; du -sh "$BUNDLE"/_internal/* 2>/dev/null | sort -h | tail -5
echo "smoke tests passed in $(( $(date +%s) - SMOKE_START ))s"
