# SPDX-License-Identifier: GPL-3.0-or-later
"""The one settings file that the window and the `altlens` command share.

`config.toml` in AltLens's config folder (platformdirs, or $ALTLENS_HOME/config) holds the
choices both use: the captioning model, where and how it runs, the decoding options, the
detail model and how metadata is written. The window's Settings dialog edits it, commands
read their defaults from it, and command-line flags override it for one run. A key that is
not set leaves each its own default (shown by `altlens config list`).

Window-only state (geometry, view mode, review switches) stays in the window's own file.
The first time the file is missing, the shared keys are copied from the window's older
settings file (altlens.ini), so choices made in the window before are kept.
"""

from __future__ import annotations

import configparser
import difflib
import json
import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.errors import UsageError
from altlens.core.fsutil import atomic_open
from altlens.core.paths import app_dirs

log = logging.getLogger(__name__)

FILE_NAME = "config.toml"
#: The window's own settings file, where these keys lived before (migrated once).
LEGACY_INI = "altlens.ini"


class ConfigError(UsageError):
    """An unknown key, a bad value or an unreadable settings file."""

    code = "config"


@dataclass(frozen=True)
class Key:
    name: str  # "section.key"
    kind: type  # str or int
    help: str
    cli_default: str  # what commands use while the key is not set, in words
    gui_default: str  # what the window uses while the key is not set
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, raw: Any) -> Any:
        """The value as this key's type; ConfigError says what is wrong with it."""
        if self.kind is int:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise ConfigError(f"{self.name} must be a whole number, not {raw!r}.")
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ConfigError(f"{self.name} must be a whole number, not {raw!r}.") from None
            if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
                raise ConfigError(f"{self.name} must be between {self.minimum} and {self.maximum} (got {value}).")
            return value
        if not isinstance(raw, str):
            raise ConfigError(f"{self.name} must be text, not {raw!r}.")
        value = raw.strip()
        if self.choices and value not in self.choices:
            raise ConfigError(f"{self.name} must be one of {', '.join(self.choices)} (got {value!r}).")
        return value


def _keys(*keys: Key) -> dict[str, Key]:
    return {k.name: k for k in keys}


# Ranges are the window's (Settings dialog) so a value set here always shows there.
KEYS: dict[str, Key] = _keys(
    Key("model.name", str, "the captioning model: a name from `altlens models list`, a folder or a Hugging Face id",
        "vit-gpt2", "vit-gpt2"),
    Key("model.device", str, "where the model runs", "auto", "auto", choices=("auto", "cpu", "cuda", "mps")),
    Key("model.dtype", str, "number format of the model weights", "auto", "auto",
        choices=("auto", "float32", "bfloat16", "float16", "int8", "mixed")),
    Key("model.batch_size", int, "images per model call", "12", "4", minimum=1, maximum=32),
    Key("caption.beams", int, "beam search width; 1 means greedy", "4", "4", minimum=1, maximum=5),
    Key("caption.candidates", int, "suggestions per image (at most the beams)", "1", "3", minimum=1, maximum=5),
    Key("caption.max_length", int, "maximum caption length in tokens", "16", "20", minimum=8, maximum=64),
    Key("detail.model", str, "the model of `altlens describe` and the window's Describe in Detail",
        "florence-2-base", "florence-2-base"),
    Key("write.profile", str, "which fields are written: standard, or windows (adds XPTitle/XPComment)",
        "standard", "standard", choices=("standard", "windows")),
    Key("write.sidecar_style", str, "sidecar naming: append (photo.cr2.xmp) or replace (photo.xmp)",
        "append", "append", choices=("append", "replace")),
)

#: Which command options each key is the default of: command -> {key: argparse dest}.
COMMAND_OPTIONS: dict[str, dict[str, str]] = {
    **{
        command: {
            "model.name": "model", "model.device": "device", "model.dtype": "dtype", "model.batch_size": "batch_size",
            "caption.beams": "beams", "caption.candidates": "candidates", "caption.max_length": "max_length",
        }
        for command in ("caption", "watch", "batch")
    },
    "describe": {"detail.model": "model", "model.device": "device"},
    "write": {"write.profile": "profile", "write.sidecar_style": "sidecar_style"},
    "apply": {"write.profile": "profile"},
}


def config_path() -> Path:
    return app_dirs().config / FILE_NAME


def key(name: str) -> Key:
    """The declared key `name`; ConfigError naming the closest known key otherwise."""
    found = KEYS.get(name)
    if found is None:
        close = difflib.get_close_matches(name, KEYS, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise ConfigError(f"Unknown setting {name!r}.{hint} `altlens config list` shows them all.")
    return found


class Config:
    """The values set in one settings file. Unknown keys (from a newer AltLens) are kept."""

    def __init__(self, path: Path, values: dict[str, Any] | None = None, unknown: dict[str, Any] | None = None) -> None:
        self.path = path
        self.values: dict[str, Any] = dict(values or {})
        self.unknown: dict[str, Any] = dict(unknown or {})
        # Values of known keys that do not pass (load(strict=False)): kept as written, so
        # saving another key never loses what a person typed.
        self.invalid: dict[str, Any] = {}

    @classmethod
    def load(cls, path: Path | None = None, *, strict: bool = True, legacy: Path | None = None) -> Config:
        """Read the file (a missing one is empty, after migrating the window's old settings
        from `legacy`, by default altlens.ini beside it). strict: a bad value is a
        ConfigError; otherwise it is logged and left out."""
        path = path or config_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls._migrated(path, legacy or path.parent / LEGACY_INI)
        except OSError as exc:
            raise ConfigError(f"Cannot read the settings file {path}: {exc.strerror or exc}.") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"The settings file {path} is not valid TOML ({exc}). Fix it in an editor, or remove it "
                "to start from the defaults."
            ) from None
        config = cls(path)
        for name, raw in _flatten(data):
            if name not in KEYS:
                config.unknown[name] = raw
                continue
            try:
                config.values[name] = KEYS[name].parse(raw)
            except ConfigError as exc:
                if strict:
                    raise ConfigError(
                        f"{path}: {exc} Change it with `altlens config set {name} VALUE` or remove it with "
                        f"`altlens config unset {name}`."
                    ) from None
                log.warning("settings: ignoring %s in %s (%s)", name, path, exc)
                config.invalid[name] = raw
        return config

    @classmethod
    def _migrated(cls, path: Path, legacy: Path) -> Config:
        """A new file holding the shared keys the window kept in its own file before."""
        config = cls(path)
        if not legacy.is_file():
            return config
        ini = configparser.ConfigParser(interpolation=None)
        try:
            ini.read(legacy, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            log.warning("settings: cannot read %s to migrate it (%s)", legacy, exc)
            return config
        for name, spec in KEYS.items():
            section, _, option = name.partition(".")
            if not ini.has_option(section, option):
                continue
            raw = ini.get(section, option).strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':  # QSettings quotes text with commas
                raw = raw[1:-1]
            try:
                value = spec.parse(raw)
            except ConfigError as exc:
                log.warning("settings: not migrating %s from %s (%s)", name, legacy, exc)
                continue
            if value != "":  # the window stored "" for "the default model"
                config.values[name] = value
        if config.values:
            log.info("settings: moved %s from %s to %s", ", ".join(config.values), legacy, path)
            config.save()
        return config

    def get(self, name: str) -> Any:
        """The value set for `name`, or None when it is not set."""
        key(name)
        return self.values.get(name)

    def set(self, name: str, raw: Any) -> Any:
        """Validate and set (not saved until save()); returns the stored value."""
        value = key(name).parse(raw)
        self.values[name] = value
        self.invalid.pop(name, None)
        return value

    def unset(self, name: str) -> bool:
        """Forget a value; True if one was set."""
        if name not in KEYS and name in self.unknown:
            del self.unknown[name]
            return True
        key(name)
        had_invalid = self.invalid.pop(name, None) is not None
        return self.values.pop(name, None) is not None or had_invalid

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(dumps({**self.invalid, **self.values, **self.unknown}))


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in data.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _flatten(v, name + ".")
        else:
            yield name, v


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON's string escapes (\" \\ \n \uXXXX) are all valid in TOML basic strings.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps(values: dict[str, Any]) -> str:
    """TOML text for dotted `section.key` values: one table per section, keys in KEYS' order."""
    order = {name: i for i, name in enumerate(KEYS)}
    tables: dict[str, list[tuple[str, Any]]] = {}
    for name in sorted(values, key=lambda n: (order.get(n, len(order)), n)):
        section, _, rest = name.rpartition(".")
        tables.setdefault(section, []).append((rest, values[name]))
    lines = ["# AltLens settings, shared by the window and the `altlens` command.",
             "# Edit with `altlens config set KEY VALUE` or in the window (Settings)."]
    for section, items in tables.items():
        lines.append("")
        if section:
            lines.append(f"[{section}]")
        lines += [f"{json.dumps(k) if not k.replace('_', '').isalnum() else k} = {_toml_value(v)}" for k, v in items]
    return "\n".join(lines) + "\n"
