# SPDX-License-Identifier: GPL-3.0-or-later
"""Where AltLens keeps its state: the platform's usual directories, or ALTLENS_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "AltLens"
HOME_ENV = "ALTLENS_HOME"


@dataclass(frozen=True)
class AppDirs:
    config: Path  # settings
    data: Path  # library database, write journal, imported models
    cache: Path  # thumbnails, exported ONNX models
    logs: Path

    @property
    def models(self) -> Path:
        """Models imported from a folder (models downloaded from the hub stay in its cache)."""
        return self.data / "models"

    def ensure(self) -> AppDirs:
        for p in (self.config, self.data, self.cache, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def app_dirs(environ: dict[str, str] | None = None) -> AppDirs:
    """Directories for this run. ALTLENS_HOME (portable installs, tests) wins over platformdirs."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().absolute()
        return AppDirs(root / "config", root / "data", root / "cache", root / "logs")
    return AppDirs(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
