#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Set up a development environment on a fresh Debian/Ubuntu machine (also what CI runs):
# system packages (ExifTool, the X11/EGL libraries Qt needs, Xvfb for screenshots), a venv in
# .venv with the CPU build of torch, and AltLens in editable mode with its test, ONNX and
# scale (Ray) extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libimage-exiftool-perl              # the only metadata writer AltLens trusts with photos
  xvfb xauth                          # screenshots and GUI smoke tests on a virtual screen
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0
  fonts-dejavu-core
  desktop-file-utils appstream       # desktop-file-validate, appstreamcli: tests/test_resources.py
  x11-utils                           # xwininfo: packaging/build_linux.sh waits for the window
  groff-base                          # groff: the man page is rendered in tests/core/test_cli_conventions.py
)
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "bootstrap: not a Debian-like system; install ExifTool and Qt's X11 libraries yourself" >&2
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Pin the CPU build first: an unpinned torch would pull a multi-GB CUDA build. Users with an
# NVIDIA GPU install a CUDA build of torch instead (see README).
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e '.[test,onnx,scale]'
# pip compiles the bytecode of what it installs, but an editable install's own sources are
# compiled only when first imported, and never kept where PYTHONDONTWRITEBYTECODE is set (as
# on some CI machines): compiling once here saves every `altlens` start ~0.1 s.
.venv/bin/python -m compileall -q core desktop >/dev/null
echo "bootstrap: ready. Try: .venv/bin/altlens --help"
