"""The notebooks in notebooks/ run top to bottom (nbclient, the venv's python3 kernel) so they never rot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# text that must appear in a cell's output: the known answers of each notebook (regression / known truth)
EXPECTED = {
    "validate_judge.ipynb": ["assist", "replace:"],
    "audit_vendors.ipynb": ["cheapo"],
    "trust_weights.ipynb": ["judge_strong"],
    "metrics_framework.ipynb": ["story: quality worse", "chat: win rate vs opt-7b worse", "unknown way to combine"],
}


def _outputs(book) -> str:
    texts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append(output["text"])
            for value in output.get("data", {}).values():
                texts.append(value if isinstance(value, str) else "")
    return "\n".join(texts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    text = _outputs(book)
    for expected in EXPECTED[name]:
        assert expected in text, (name, expected)
    assert elapsed < 120, f"{name} took {elapsed:.0f} s"
