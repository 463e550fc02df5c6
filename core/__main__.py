# SPDX-License-Identifier: GPL-3.0-or-later
from altlens.core.cli import run

run()
