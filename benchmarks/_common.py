"""Shared helpers of the benchmarks: machine description, timing, peak memory, results files.

Each benchmark module writes its own section to ``benchmarks/results/<name>.md`` with
:func:`write_section`; ``python -m benchmarks.run`` runs them all and assembles ``benchmarks/RESULTS.md``.
Benchmarks may read ``../shared/data``; tests never depend on them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS_DIR = ROOT / "results"
SHARED_DATA = ROOT.parent.parent / "shared" / "data"


def machine() -> str:
    """One line describing the machine and the library versions."""
    import numpy as np

    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return (f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, Python {platform.python_version()}, "
            f"numpy {np.__version__}, {platform.system()} {platform.release()}")


@contextmanager
def timer() -> Any:
    """``with timer() as t: ...``; ``t()`` gives the seconds elapsed."""
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - start
    elapsed.append(time.perf_counter() - start)


def timed(func: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_memory_python(func: Callable[[], Any]) -> tuple[float, Any]:
    """Peak Python-allocated memory (MB, numpy included via tracemalloc) of one call."""
    tracemalloc.start()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6, result


def run_isolated(code: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; returns wall seconds, peak RSS (MB), stdout, returncode.

    Use it for third-party tools so that one tool's memory does not count against another's.
    """
    wrapper = (
        "import resource, time, sys\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "print('__WALL__', time.perf_counter() - start)\n"
        "print('__RSS__', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    try:
        proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"wall": float("nan"), "rss_mb": float("nan"), "stdout": "", "returncode": None,
                "error": f"timed out after {timeout:.0f} s"}
    out: dict[str, Any] = {"stdout": proc.stdout, "returncode": proc.returncode, "error": proc.stderr[-2000:]}
    for line in proc.stdout.splitlines():
        if line.startswith("__WALL__"):
            out["wall"] = float(line.split()[1])
        if line.startswith("__RSS__"):
            out["rss_mb"] = float(line.split()[1])
    return out


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_section(name: str, markdown: str, command: str) -> Path:
    """Write one benchmark's results (Markdown) with the machine line and the command that made it."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    stamp = dt.date.today().isoformat()
    path.write_text(f"{markdown.rstrip()}\n\n_Machine: {machine()}. Date: {stamp}. Command: `{command}`._\n")
    return path
