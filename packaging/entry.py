# SPDX-License-Identifier: GPL-3.0-or-later
"""Entry point of the PyInstaller bundle (packaging/altlens.spec).

One executable serves both installed entry points: `altlens` is the command line (and opens the
window when run with no arguments); a link to it named `altlens-gui` always opens the window
and treats its arguments as images, like the `altlens-gui` gui-script of a pip install, which
the .desktop file runs as `altlens-gui %F`."""

import multiprocessing
import os
import sys

from altlens.desktop.cli import gui_main, run

if __name__ == "__main__":
    # torch and transformers can start worker processes; in a frozen app each child must run
    # the bootloader's multiprocessing hook instead of starting AltLens again.
    multiprocessing.freeze_support()
    name = os.path.basename(sys.argv[0]).lower()
    if name.startswith("altlens-gui"):
        sys.exit(gui_main())
    run()
