"""Import direction: compute modules never import plot, report or the CLI (CONVENTIONS.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alignlab"
COMPUTE = ["_array", "data", "datasets", "agreement", "annotators", "alignment", "slices", "sampling",
           "design", "compare", "online", "metrics", "workflows", "results.py", "_params.py"]
FORBIDDEN = ("alignlab.plot", "alignlab.report", "alignlab.cli")


# The one sanctioned upward import: a result's ``to_html(path)`` is a thin call of alignlab.report.write,
# imported inside that function only (never at module level), as Display objects import matplotlib.
RENDER_ENTRY = "alignlab.report.write"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    lazy_render = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                   for node in ast.walk(fn) if isinstance(node, ast.ImportFrom) and node.module == RENDER_ENTRY}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and id(node) not in lazy_render:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            # importlib.import_module("alignlab.report") / __import__("alignlab.plot"): a string import
            # dodges the layer rule just as well as a plain one, so it counts as one
            first = node.args[0] if node.args else None
            names.append(first.value if isinstance(first, ast.Constant) and isinstance(first.value, str)
                         else "<dynamic import>")
    return names


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_dynamic_and_lazy_imports_are_seen(tmp_path: Path) -> None:
    """The layer rule reads importlib.import_module and __import__ calls, and function-level imports
    (only the lazy ``alignlab.report.write`` of a ``to_html`` is allowed)."""
    path = tmp_path / "m.py"
    path.write_text("import importlib\nimportlib.import_module('alignlab.report')\n__import__(name)\n"
                    "def f():\n    from alignlab.plot import x\n"
                    "def to_html():\n    from alignlab.report.write import write\n")
    assert _imports(path) == ["importlib", "alignlab.report", "<dynamic import>", "alignlab.plot",
                              "alignlab.plot.x"]


def _files(entry: str) -> list[Path]:
    target = PACKAGE / entry
    if target.suffix == ".py":
        return [target] if target.exists() else []
    return sorted(target.rglob("*.py")) if target.exists() else []


@pytest.mark.parametrize("entry", COMPUTE)
def test_compute_modules_do_not_import_presentation(entry: str) -> None:
    offenders = []
    for path in _files(entry):
        bad = [n for n in _imports(path)
               if n.startswith(FORBIDDEN) or n in ("alignlab.plot", "alignlab.report", "<dynamic import>")]
        if bad:
            offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(set(bad))}")
    assert not offenders, "\n".join(offenders)


def test_array_kernels_do_not_use_pandas() -> None:
    offenders = [str(p) for p in _files("_array") if any(n.startswith("pandas") for n in _imports(p))]
    assert not offenders


def test_plot_does_not_import_report_or_cli() -> None:
    offenders = [str(p) for p in _files("plot") if any(n.startswith(("alignlab.report", "alignlab.cli"))
                                                      for n in _imports(p))]
    assert not offenders


def test_arviz_is_called_from_one_place() -> None:
    """ArviZ calls live in alignlab/annotators/_arviz.py only (eases the ArviZ 1.x upgrade)."""
    offenders = [
        str(p.relative_to(PACKAGE.parent)) for p in sorted(PACKAGE.rglob("*.py"))
        if p.name != "_arviz.py" and any(n == "arviz" or n.startswith("arviz.") for n in _imports(p))
    ]
    assert not offenders, offenders
