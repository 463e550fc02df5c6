# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens config list|get|set|unset|path`: the settings the window and the commands share
(core/config.py has the keys)."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    from altlens.core.config import KEYS

    keys_help = "; ".join(f"{k.name}: {k.help}" for k in KEYS.values())
    p = sub.add_parser(
        "config",
        help="show or change the settings shared by the window and the commands",
        description=(
            "The window and the commands read one settings file. Commands take their defaults "
            "from it (flags override them for one run); the window's Settings dialog edits it. "
            f"Keys: {keys_help}."
        ),
    )
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    p.set_defaults(func=lambda args: _help(p))

    ls = csub.add_parser("list", help="every key with its value, or the defaults while it is not set")
    ls.add_argument("--json", action="store_true", help="a JSON object: path, values set, every key with its defaults")
    ls.set_defaults(func=run_list)
    g = csub.add_parser("get", help="print one key's value (exit 1 if it is not set)")
    g.add_argument("key", metavar="KEY", choices=list(KEYS), help="a key such as caption.beams")
    g.set_defaults(func=run_get)
    s = csub.add_parser("set", help="set a key (checked before it is saved)")
    s.add_argument("key", metavar="KEY", choices=list(KEYS), help="a key such as caption.beams")
    s.add_argument("value", metavar="VALUE")
    s.set_defaults(func=run_set)
    u = csub.add_parser("unset", help="remove a key, back to the defaults")
    u.add_argument("key", metavar="KEY", help="a key such as caption.beams")
    u.set_defaults(func=run_unset)
    pa = csub.add_parser("path", help="print where the settings file is")
    pa.set_defaults(func=run_path)


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def run_list(args: argparse.Namespace) -> int:
    from altlens.core.config import KEYS, Config

    config = Config.load(strict=False)
    if args.json:
        out = {
            "path": str(config.path),
            "values": config.values,
            "keys": {
                k.name: {"value": config.values.get(k.name), "set": k.name in config.values,
                         "default_commands": k.cli_default, "default_window": k.gui_default,
                         "choices": list(k.choices) or None, "minimum": k.minimum, "maximum": k.maximum,
                         "help": k.help}
                for k in KEYS.values()
            },
            "unknown": config.unknown,
            "invalid": config.invalid,
        }
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    width = max(len(n) for n in KEYS)
    for k in KEYS.values():
        if k.name in config.values:
            print(f"{k.name:<{width}}  {config.values[k.name]}")
        else:
            default = k.cli_default if k.cli_default == k.gui_default else f"{k.cli_default} (window: {k.gui_default})"
            print(f"{k.name:<{width}}  (not set; default {default})")
    for name, value in config.invalid.items():
        print(f"{name:<{width}}  {value!r} (not a valid value; ignored until changed)")
    for name, value in config.unknown.items():
        print(f"{name:<{width}}  {value!r} (not a key of this version; kept)")
    print(f"\nSettings file: {config.path}", file=sys.stderr)
    return 0


def run_get(args: argparse.Namespace) -> int:
    from altlens.core.config import Config

    value = Config.load(strict=False).get(args.key)
    if value is None:
        return 1
    print(value)
    return 0


def run_set(args: argparse.Namespace) -> int:
    from altlens.core.config import Config

    config = Config.load(strict=False)
    config.set(args.key, args.value)
    config.save()
    return 0


def run_unset(args: argparse.Namespace) -> int:
    from altlens.core.config import Config

    config = Config.load(strict=False)
    if config.unset(args.key):
        config.save()
    return 0


def run_path(args: argparse.Namespace) -> int:
    from altlens.core.config import config_path

    print(config_path())
    return 0
