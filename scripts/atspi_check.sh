#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Show what a screen reader sees of AltLens through AT-SPI (see scripts/atspi_check.py).
#   scripts/atspi_check.sh [MODEL_FOLDER] [SECONDS]
# Needs: dbus-run-session, xvfb-run, at-spi2-core, python3-pyatspi (system python3).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:-tests/models/toy-captioner}"
SECONDS_TO_WATCH="${2:-40}"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export MODEL SECONDS_TO_WATCH PY
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1400x900x24" bash -c '
  set -euo pipefail
  /usr/libexec/at-spi-bus-launcher --launch-immediately &
  launcher=$!
  sleep 2
  home=$(mktemp -d)
  "$PY" - "$home" <<PYEOF
import random, sys
sys.path.insert(0, "scripts")
from toy_scenes import draw_scene
rng = random.Random(3)
for i in range(4):
    image, _ = draw_scene(rng, (480, 360))
    image.save(f"{sys.argv[1]}/scene{i}.jpg")
PYEOF
  printf "broken" > "$home/broken.jpg"
  ALTLENS_HOME="$home/state" HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=xcb QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 \
    "$PY" -m altlens.desktop gui --model "$MODEL" "$home"/scene*.jpg "$home/broken.jpg" >"$home/app.log" 2>&1 &
  app=$!
  status=0
  /usr/bin/python3 scripts/atspi_check.py "$SECONDS_TO_WATCH" || status=$?
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  kill "$launcher" 2>/dev/null || true
  rm -rf "$home"
  exit $status
'
