"""Run every benchmark and assemble benchmarks/RESULTS.md: ``python -m benchmarks.run [name ...]``."""

from __future__ import annotations

import importlib
import sys

from benchmarks._common import RESULTS_DIR, ROOT, machine

BENCHMARKS = ["agreement", "annotators", "annotators_defaults", "annotators_continuous", "alignment", "slices",
              "sampling", "workflows", "judges", "compare", "design", "metrics", "online"]


def assemble() -> None:
    parts = [
        "# Benchmark results\n",
        "Produced by `make bench` (`python -m benchmarks.run`); each section names the command that made it.\n",
        f"Last assembled on: {machine()}\n",
    ]
    for name in BENCHMARKS:
        path = RESULTS_DIR / f"{name}.md"
        if path.exists():
            parts.append(path.read_text())
    (ROOT / "RESULTS.md").write_text("\n".join(parts))


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            print(f"skipping {name}: no benchmarks/{name}.py yet")
            continue
        print(f"running benchmarks/{name}.py ...", flush=True)
        sys.argv = [f"benchmarks/{name}.py"]  # each benchmark parses its own options: run it with its defaults
        module.main()
    assemble()


if __name__ == "__main__":
    main(sys.argv[1:])
