# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m desktop`: the full `altlens` command, window included."""

import sys

from desktop.cli import main

sys.exit(main())
