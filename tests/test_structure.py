"""The shape of the code, read from its source: what a reader relies on when finding their way.

- A decision made once travels as an argument or a recorded override, never through a module global written
  after import (such a write is invisible in the import graph and cannot be replayed).
- The single-run core never imports the machinery of many runs (dlx/sweep/).
- Hydra's plugin scan executes every module under hydra_plugins/: those stay thin faces.
- A function is short enough to read in one go.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "dlx").rglob("*.py"), *(ROOT / "hydra_plugins").rglob("*.py")])
MAX_FUNCTION_LINES = 80
MAX_PLUGIN_LINES = 450
CORE = ["setup", "train", "objective", "models", "data", "track", "checkpoint", "regularize", "metrics", "optim",
        "config", "checks", "graphs", "provenance", "search", "lazy_dynamo"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _modules_imported(tree: ast.Module, path: Path) -> dict[str, str]:
    """Local name -> dotted module, for the names an import binds to a module (not to a class or function)."""
    names = {}
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            for a in node.names:
                full = f"{base}.{a.name}"
                try:
                    is_module = importlib.util.find_spec(full) is not None
                except (ImportError, ValueError):
                    is_module = False
                if is_module:
                    names[a.asname or a.name] = full
    return names


def written_globals(path: Path, as_path: Path | None = None) -> list[str]:
    """Writes to module globals after import in one file: ``global`` in a function, or ``mod.NAME = ...`` for
    one of dlx's modules (``as_path``: where the file counts as lying, for its relative imports)."""
    tree = _tree(path)
    modules = _modules_imported(tree, as_path or path)
    found = [f"{path.name}:{node.lineno}: global {', '.join(node.names)}"
             for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(fn) if isinstance(node, ast.Global)]
    for node in ast.walk(tree):  # anywhere: another module's global set from here
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and \
                    modules.get(t.value.id, "").startswith(("dlx", "hydra_plugins")):
                found.append(f"{path.name}:{node.lineno}: {t.value.id}.{t.attr} = ...")
    return found


def test_no_module_global_is_written_after_import():
    found = [w for path in SOURCES for w in written_globals(path)]
    assert not found, "module globals written after import:\n" + "\n".join(found)


def test_the_scan_finds_both_kinds_of_write(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nfrom dlx import setup\nX = 1\n\n\ndef f():\n    global X\n    X = 2\n"
                   "    setup.CORES = 1\n    sys.argv = []\n")
    assert written_globals(bad, ROOT / "dlx" / "bad.py") == ["bad.py:7: global X", "bad.py:9: setup.CORES = ..."]


def test_the_single_run_core_never_imports_the_sweep_package():
    found = []
    for name in CORE:
        paths = [ROOT / "dlx" / f"{name}.py"] if (ROOT / "dlx" / f"{name}.py").exists() else \
            sorted((ROOT / "dlx" / name).rglob("*.py"))
        assert paths, name
        for path in paths:
            tree = _tree(path)
            imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            imported |= {f"dlx.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                         and n.module == "dlx" for a in n.names}
            found += [f"{path.relative_to(ROOT)} imports {m}" for m in imported
                      if m == "dlx.sweep" or m.startswith(("dlx.sweep.", "hydra_plugins"))]
    assert not found, found
def test_functions_are_short_and_hydra_plugins_are_faces():
    long = []
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)
    plugin_lines = sum(len(p.read_text().splitlines()) for p in (ROOT / "hydra_plugins").rglob("*.py"))
    assert plugin_lines < MAX_PLUGIN_LINES, plugin_lines
