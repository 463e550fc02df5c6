# SPDX-License-Identifier: GPL-3.0-or-later
"""core/ never imports Qt, and the CLI and metadata/library code never pay for torch."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import altlens.core
from altlens import core

REPO = Path(__file__).resolve().parents[2]


def _all_core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(core.__path__, prefix="altlens.core.") if not m.name.endswith("__main__"))


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_core_never_imports_qt() -> None:
    loaded = _loaded_after_import(_all_core_modules())
    assert not {m for m in loaded if m.startswith(("PySide6", "shiboken6", "altlens.desktop"))}


def test_core_source_never_names_qt_or_desktop() -> None:
    """Also imports inside functions and modules named in strings (importlib), which the
    import check above only sees when that code runs."""
    import ast

    banned = ("PySide6", "shiboken6", "desktop", "altlens.desktop")
    found = []
    for path in sorted((REPO / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith(tuple(f"{b}." for b in banned)) else []
            found += [f"{path.relative_to(REPO)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in banned or n.startswith("altlens.desktop")]
    assert not found, found


def test_cli_and_non_model_code_do_not_import_torch() -> None:
    # Model back ends under core.captioning import torch by design; the front of the engine,
    # and everything outside it, must not.
    light_engine = {"altlens.core.captioning", "altlens.core.captioning.engine", "altlens.core.captioning.api", "altlens.core.captioning.settings", "altlens.core.captioning.text", "altlens.core.captioning.loading"}
    cheap = [m for m in _all_core_modules() if not m.startswith("altlens.core.captioning.") or m in light_engine]
    loaded = _loaded_after_import(cheap + ["altlens.core.cli"])
    assert "torch" not in loaded and "transformers" not in loaded


def _python_sources() -> list[Path]:
    folders = ("altlens", "core", "desktop", "tests", "scripts", "benchmarks", "packaging")
    return sorted(p for f in folders for p in (REPO / f).rglob("*.py") if ".venv" not in p.parts)


def test_nothing_imports_the_bare_folder_names() -> None:
    """Installed names are altlens.core and altlens.desktop: an import of bare `core` or
    `desktop` would load a second copy of a module (or someone else's package)."""
    import ast

    found = []
    for path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.relative_to(REPO)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in ("core", "desktop")]
    assert not found, found


def test_installed_names_cannot_be_shadowed(tmp_path: Path) -> None:
    """A project with its own core/ and desktop/ folders (or PyPI's `desktop` package) next to
    the user's working directory must not replace AltLens's modules."""
    for name in ("core", "desktop"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the wrong package')\n")
    code = "from altlens import pipeline; import altlens.core.cli, altlens.desktop.cli; print(pipeline.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "altlens.core.captioning.api"
    cli = subprocess.run([sys.executable, "-m", "altlens.desktop", "--version"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert cli.returncode == 0 and "AltLens" in cli.stdout, cli.stderr
