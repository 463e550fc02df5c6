# SPDX-License-Identifier: GPL-3.0-or-later
import sys

from altlens.core.cli import main

sys.exit(main())
