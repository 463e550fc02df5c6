# SPDX-License-Identifier: GPL-3.0-or-later
"""The app's settings, declared once with typed defaults.

The choices the window shares with the `altlens` command (model, device, decoding, detail
model, write profile and sidecar naming; SHARED below) live in core's config.toml
(core/config.py), so `altlens watch` and `altlens config` see what was chosen here and the
other way round. Window-only state (geometry, view, review switches) is stored with
QSettings in an INI file beside it. Both are under app_dirs().config (so ALTLENS_HOME makes
an install portable and tests isolated).

A value that cannot be read back (edited by hand, written by a newer version) falls back to
its default for this run and is logged; the file itself is never wiped. The schema version is
stored with the values and older files are migrated forward step by step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core import config as shared_config
from altlens.core.captioning.settings import MAX_BEAMS, MAX_CANDIDATES, GenerationSettings
from altlens.core.paths import app_dirs
from PySide6.QtCore import QFileSystemWatcher, QObject, QSettings, Signal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA_KEY = "schema_version"
FILE_NAME = "altlens.ini"


@dataclass(frozen=True)
class Option:
    key: str
    default: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def coerce(self, raw: Any) -> Any:
        """The stored value as this option's type; ValueError if it cannot be one."""
        kind = self.kind
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"not a yes/no value: {raw!r}")
        if kind is int:
            value = int(str(raw).strip())
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{value} is below {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{value} is above {self.maximum}")
            return value
        if kind is bytes:
            if isinstance(raw, (bytes, bytearray)):
                return bytes(raw)
            if hasattr(raw, "data"):  # QByteArray
                return bytes(raw.data())
            raise ValueError(f"not binary data: {type(raw).__name__}")
        if kind is list:
            if raw in (None, ""):
                return []
            return [str(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
        text = str(raw)
        if self.choices and text not in self.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(self.choices)}")
        return text


def _options(*opts: Option) -> dict[str, Option]:
    return {o.key: o for o in opts}


OPTIONS: dict[str, Option] = _options(
    # The model: empty means the default model (nlpconnect ViT-GPT2).
    Option("model/name", ""),
    Option("model/device", "auto", choices=("auto", "cpu", "cuda", "mps")),
    Option("model/dtype", "auto", choices=("auto", "float32", "bfloat16", "float16", "int8", "mixed")),
    Option("model/batch_size", 4, minimum=1, maximum=32),
    # The improve pass ("Describe in detail", "Read text in image"): a larger prompted model,
    # loaded on its own thread only when first asked for. Not under model/: changing it must
    # not reload the captioning model.
    Option("detail/model", "florence-2-base"),
    # Context for the detail model (SmolVLM2 only): off by default; people's names need
    # their own switch.
    Option("detail/context", False),
    Option("detail/context_people", False),
    # Decoding. Three candidates by default so a person has alternatives to pick with 1-3.
    Option("caption/beams", 4, minimum=1, maximum=MAX_BEAMS),
    Option("caption/candidates", 3, minimum=1, maximum=MAX_CANDIDATES),
    Option("caption/max_length", 20, minimum=8, maximum=64),
    # Writing (the metadata writer's WriteRequest options).
    Option("write/profile", "standard", choices=("standard", "windows")),
    Option("write/overwrite", False),
    Option("write/keep_mtime", True),
    Option("write/backup", False),
    Option("write/sidecar_style", "append", choices=("append", "replace")),
    # "first": show the fields before the first write of each session; "always": every time.
    Option("write/preview", "first", choices=("first", "always")),
    # Reviewing.
    Option("review/advance", True),  # open the next image needing review after a decision
    Option("review/sort_by_confidence", True),
    Option(
        "review/filter",
        "review",
        choices=("all", "review", "queued", "approved", "written", "rejected", "error"),
    ),
    Option("view/mode", "grid", choices=("grid", "list")),
    Option("view/log_visible", False),
    Option("folders/last", ""),
    Option("window/geometry", b""),
    Option("window/state", b""),
)

#: The options kept in the file shared with the command line: window key -> config.toml key.
SHARED: dict[str, str] = {
    key: key.replace("/", ".")
    for key in (
        "model/name", "model/device", "model/dtype", "model/batch_size",
        "caption/beams", "caption/candidates", "caption/max_length",
        "detail/model", "write/profile", "write/sidecar_style",
    )
}
if set(SHARED.values()) != set(shared_config.KEYS):
    raise RuntimeError("desktop/settings.py SHARED and core/config.py KEYS name different keys")

# Migrations from version N-1 to N: functions of the QSettings, run in order on open.
MIGRATIONS: dict[int, Callable[[QSettings], None]] = {}


def settings_path() -> Path:
    return app_dirs().config / FILE_NAME


class Settings(QObject):
    """Typed access to the declared options. Emits `changed(key)` after a value changes."""

    changed = Signal(str)

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path or settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._overrides: dict[str, Any] = {}
        self._migrate()
        # Loading it the first time moves the shared keys out of an older altlens.ini.
        self.config_path = self.path.parent / shared_config.FILE_NAME
        self._config_stamp: tuple[int, int] | None = None
        self._config = self._load_config()
        # `altlens config set` while the window is open: noticed at once, and `changed` is
        # emitted for what it changed, so the captioner follows. The folder is watched, not
        # the file: the file is replaced by a rename, which ends a watch on the file itself.
        self._watcher = QFileSystemWatcher([str(self.config_path.parent)], self)
        self._watcher.directoryChanged.connect(lambda _path: self._shared())

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.config_path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load_config(self) -> shared_config.Config:
        try:
            config = shared_config.Config.load(self.config_path, strict=False, legacy=self.path)
        except shared_config.ConfigError as exc:
            # Unreadable (not TOML): defaults for this run; the file is left for the person to fix.
            log.warning("settings: %s; using the defaults", exc)
            config = shared_config.Config(self.config_path)
        self._config_stamp = self._stamp()
        return config

    def _shared(self) -> shared_config.Config:
        """The shared file as it is now: `altlens config set` may have changed it."""
        if self._stamp() != self._config_stamp:
            before = dict(self._config.values)
            self._config = self._load_config()
            for key, name in SHARED.items():
                if before.get(name) != self._config.values.get(name):
                    self.changed.emit(key)
        return self._config

    def _migrate(self) -> None:
        raw = self._qs.value(SCHEMA_KEY)
        try:
            version = int(raw) if raw is not None else (0 if self._qs.allKeys() else SCHEMA_VERSION)
        except (TypeError, ValueError):
            log.warning("settings: unreadable schema version %r; treating as current", raw)
            version = SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            # Written by a newer AltLens: read what we understand, change nothing on disk.
            log.warning(
                "settings %s are from a newer version (%d); not migrating", self.path, version
            )
            return
        for step in range(version + 1, SCHEMA_VERSION + 1):
            if step in MIGRATIONS:
                log.info("settings: migrating to schema %d", step)
                MIGRATIONS[step](self._qs)
        if version != SCHEMA_VERSION:
            self._qs.setValue(SCHEMA_KEY, SCHEMA_VERSION)
            self._qs.sync()

    def value(self, key: str) -> Any:
        option = OPTIONS[key]
        if key in self._overrides:
            return self._overrides[key]
        raw = self._shared().values.get(SHARED[key]) if key in SHARED else self._qs.value(key)
        if raw is None:
            return option.default
        try:
            return option.coerce(raw)
        except (TypeError, ValueError) as exc:
            log.warning("settings: ignoring %s=%r (%s); using %r", key, raw, exc, option.default)
            return option.default

    def set_value(self, key: str, value: Any) -> None:
        option = OPTIONS[key]
        value = option.coerce(value)
        self._overrides.pop(key, None)
        if key in SHARED:
            config, name = self._shared(), SHARED[key]
            if self.value(key) == value and (name in config.values or (key == "model/name" and value == "")):
                return
            if key == "model/name" and value == "":
                config.unset(name)  # "" is the window's "the default model"
            else:
                config.set(name, value)
            config.save()
            self._config_stamp = self._stamp()
            self.changed.emit(key)
            return
        if self.value(key) == value and self._qs.contains(key):
            return
        self._qs.setValue(key, value)
        self._qs.sync()
        self.changed.emit(key)

    def override(self, key: str, value: Any) -> None:
        """Use `value` for this session only (command-line options); never saved."""
        self._overrides[key] = OPTIONS[key].coerce(value)

    def sync(self) -> None:
        self._qs.sync()

    # -- derived values ----------------------------------------------------------------------

    def generation_settings(self) -> GenerationSettings:
        beams = self.value("caption/beams")
        candidates = min(self.value("caption/candidates"), beams) if beams > 1 else 1
        return GenerationSettings.from_options(
            beams=beams, candidates=candidates, max_length=self.value("caption/max_length")
        )

    def model_spec(self) -> ModelSpec:
        return ModelSpec(
            name=self.value("model/name") or None,
            device=self.value("model/device"),
            dtype=self.value("model/dtype"),
            batch_size=self.value("model/batch_size"),
        )


@dataclass(frozen=True)
class ModelSpec:
    """Which model the captioner thread should load, and how."""

    name: str | None  # None: the default model
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 4
