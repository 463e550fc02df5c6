# SPDX-License-Identifier: GPL-3.0-or-later
"""The `altlens` command. Each subsystem registers its own subcommands from
core/commands/<name>.py, so this file only lists them. The desktop package adds its `gui`
command through `main(extra_modules=..., default=...)` (desktop/cli.py, the installed entry
point), so core never names the GUI.

Command modules must be cheap to import: torch, transformers and Qt are imported inside
the command that needs them.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from altlens.core import __version__, gcpause
from altlens.core.errors import AltLensError, UsageError

# Order is the order in `altlens --help`.
COMMAND_MODULES = [
    "altlens.core.commands.caption",
    "altlens.core.commands.describe",
    "altlens.core.commands.batch",
    "altlens.core.commands.models",
    "altlens.core.commands.library",
    "altlens.core.commands.metadata",
    "altlens.core.commands.apply",
    "altlens.core.commands.config",
    "altlens.core.commands.completion",
]

log = logging.getLogger(__name__)


def build_parser(extra_modules: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser with core's commands after `extra_modules` (each has `register(sub)`)."""
    parser = argparse.ArgumentParser(
        prog="altlens",
        description=(
            "Offline alt text and captions for your photos. Suggestions are made on this "
            "computer; only text you approve is written into your files."
        ),
        epilog="Run `altlens COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"AltLens {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (repeat for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [*extra_modules, *COMMAND_MODULES]:
        importlib.import_module(name).register(sub)
    _verbose_everywhere(sub)
    return parser


def _verbose_everywhere(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`-v` also after the command (`altlens caption -v ...`), at every level. SUPPRESS keeps
    a command's parser from resetting a count given before the command."""
    for p in sub.choices.values():
        with contextlib.suppress(argparse.ArgumentError):  # the command has its own -v
            p.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                           help="more log output (repeat for debug)")
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                _verbose_everywhere(action)


class FromConfig:
    """An option default taken from the settings file. Marked so that, after parsing, a
    command can tell a value from the file (adjusted to fit the other options) from one
    given on the command line (checked as given)."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def apply_config(parser: argparse.ArgumentParser) -> Exception | None:
    """Make the settings file's values the defaults of the commands that use them
    (core/config.py, COMMAND_OPTIONS). Returns the error of an unreadable file instead of
    raising it, so `altlens config` and --help still work to repair it."""
    from altlens.core.config import COMMAND_OPTIONS, Config, ConfigError

    try:
        config = Config.load()
    except ConfigError as exc:
        return exc
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for command, options in COMMAND_OPTIONS.items():
        values = {dest: FromConfig(config.values[k]) for k, dest in options.items() if k in config.values}
        if values and command in commands:
            commands[command].set_defaults(**values)
    return None


def _unwrap_config(args: argparse.Namespace) -> None:
    args.from_config = set()
    for name, value in list(vars(args).items()):
        if isinstance(value, FromConfig):
            setattr(args, name, value.value)
            args.from_config.add(name)
    if args.from_config:
        log.info("from the settings file: %s", ", ".join(f"{n}={getattr(args, n)!r}" for n in sorted(args.from_config)))


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


#: Finite commands that import torch and load a model before their real work starts (the
#: long-running `watch` and the Ray driver of `batch` keep the collector as it is).
MODEL_COMMANDS = frozenset({"caption", "describe"})


def main(argv: Sequence[str] | None = None, *, extra_modules: Sequence[str] = (), default: str | None = None) -> int:
    """Run the command line. `extra_modules` register more commands; `default` is the command
    run when no arguments are given (without one, the help is printed)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(extra_modules)
    if not args_list and default is not None:
        args_list = [default]
    config_error = apply_config(parser)
    args = parser.parse_args(args_list)
    _setup_logging(args.verbose)
    _unwrap_config(args)
    args.parser = parser  # `completion` and `manpage` describe the whole command line
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    if config_error is not None and args.command in _commands_reading_config():
        print(f"altlens: {config_error}", file=sys.stderr)
        return 2
    if args.command in MODEL_COMMANDS:
        gcpause.pause()  # until the model is loaded (see gcpause.py)
        from altlens.core.captioning.runtime import tune_allocator

        tune_allocator()
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so a closed pipe is noticed inside the handler below
        return status
    except BrokenPipeError:
        # `altlens read --json ... | head`: the reader has all it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except UsageError as exc:
        print(f"altlens: {exc}", file=sys.stderr)
        return 2
    except AltLensError as exc:
        print(f"altlens: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("altlens: interrupted", file=sys.stderr)
        return 130
    finally:
        gcpause.resume()




def exit_fast(status: int, *, teardown: bool = False) -> NoReturn:
    """End the process after a finished command, without the interpreter's teardown.

    Unloading torch's modules one by one takes ~0.2 s (a tenth of a one-photo run on the
    benchmark machine) and does nothing a process exit does not. Output is flushed and the
    atexit handlers (temporary files, logging) run first. The normal exit is kept while other
    threads run, or when the caller says objects must be destroyed in order (`teardown`: the
    window's toolkit saves state as its objects go).
    """
    if teardown or "torch" not in sys.modules or threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: main() has said so already
            stream.flush()
    os._exit(status)


def run() -> NoReturn:
    """`python -m altlens.core`: main(), then exit_fast."""
    exit_fast(main())


def _commands_reading_config() -> set[str]:
    from altlens.core.config import COMMAND_OPTIONS

    # Not `gui`: the window opens with its defaults for what it cannot read, and says so.
    return set(COMMAND_OPTIONS)


if __name__ == "__main__":
    run()
