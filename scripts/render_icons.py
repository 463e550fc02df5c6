# SPDX-License-Identifier: GPL-3.0-or-later
"""Render the application icon's PNG sizes from its SVG with Qt's own SVG renderer, so the
output does not depend on which rasteriser a packager has installed.

    python scripts/render_icons.py

Writes resources/icons/hicolor/<N>x<N>/apps/org.altlens.AltLens.png (the freedesktop icon
theme layout, installed as is by the Flatpak manifest and distribution packages) and the same
PNGs into desktop/icons/, which ships inside the Python package for the window icon. Run it
after editing the SVG and commit the results; tests/test_resources.py checks they match.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "org.altlens.AltLens"
SVG = ROOT / "resources" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
THEME = ROOT / "resources" / "icons" / "hicolor"
PACKAGE_ICONS = ROOT / "desktop" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    # Non-premultiplied ARGB32 gives a plain RGBA PNG; no gamma/time chunks, so a re-render of
    # an unchanged SVG gives byte-identical files and git sees no change.
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    PACKAGE_ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        png = render(SVG, size)
        theme_file = THEME / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        theme_file.parent.mkdir(parents=True, exist_ok=True)
        theme_file.write_bytes(png)
        (PACKAGE_ICONS / f"altlens-{size}.png").write_bytes(png)
        print(f"{size:>4} px  {len(png):>6} bytes  {theme_file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
