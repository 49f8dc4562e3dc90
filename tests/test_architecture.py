"""Import direction: compute modules never import plot, report or the CLI (CONVENTIONS.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alignlab"
COMPUTE = ["_array", "data", "datasets", "agreement", "annotators", "alignment", "slices", "sampling",
           "design", "compare", "online", "metrics", "workflows", "results.py", "_params.py"]
FORBIDDEN = ("alignlab.plot", "alignlab.report", "alignlab.cli")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def _files(entry: str) -> list[Path]:
    target = PACKAGE / entry
    if target.suffix == ".py":
        return [target] if target.exists() else []
    return sorted(target.rglob("*.py")) if target.exists() else []


@pytest.mark.parametrize("entry", COMPUTE)
def test_compute_modules_do_not_import_presentation(entry: str) -> None:
    offenders = []
    for path in _files(entry):
        bad = [n for n in _imports(path) if n.startswith(FORBIDDEN) or n in ("alignlab.plot", "alignlab.report")]
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
