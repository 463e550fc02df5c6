# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens desktop app (PySide6). Only this package imports Qt."""
