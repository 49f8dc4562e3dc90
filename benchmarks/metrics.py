"""Metrics framework at scale: 20 features x 10 metrics x 30 segments x 12 runs, 100k judgments per run.

Per run, one judgments table of 100,000 judgments: 40,000 items (2,000 per feature, a ``feature`` column
selects them with ``where``), two LLM judges on every item and one human on half of them, a ``segment``
column with 30 levels, an ordinal 1-5 scale; the latent quality drifts between runs (seeded). Each feature
has 10 metrics with ``segments = ["segment"]`` (31 rows each: 6,200 rows per run): PPI means and pass
rates, human and judge means and pass rates, a production-weighted human mean. Judge grades come from
``validations=`` (as from an earlier validation study), so the figures time the metrics, not
``validate_judge`` (see benchmarks/workflows.py for that).

Measured: compute per run, the store write per run (one DuckDB transaction), ``Store.history`` on the full
store, and the dashboard build from the 12-run store, in a fresh interpreter (cold: imports included) and
warm (second build in the same process). One ``trust_weighted`` metric with 30 segments (31 joint-model
fits) is timed apart.

Run: ``.venv/bin/python -m benchmarks.metrics`` (writes benchmarks/results/metrics.md).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alignlab import Scale, load_judgments
from alignlab.metrics import Feature, Metric, Population, Run, Spec, Store, compute
from alignlab.report import build_dashboard
from benchmarks._common import run_isolated, write_section

N_FEATURES, N_SEGMENTS, N_RUNS = 20, 30, 12
ITEMS_PER_FEATURE = 2000


def make_run(run: int) -> pd.DataFrame:
    """100,000 judgments: 40,000 items x 2 judges + 20,000 human labels (seeded, quality drifts by run)."""
    rng = np.random.default_rng(1000 + run)
    n_items = N_FEATURES * ITEMS_PER_FEATURE
    feature = np.repeat(np.arange(N_FEATURES), ITEMS_PER_FEATURE)
    segment = rng.integers(0, N_SEGMENTS, n_items)
    quality = rng.normal(0.05 * run * np.sin(feature + 1), 1.0, n_items) + 0.02 * segment

    def score(noise: float, bias: float) -> np.ndarray:
        return np.clip(np.round(3 + quality + bias + rng.normal(0, noise, n_items)), 1, 5)

    item = np.arange(n_items)
    labelled = rng.random(n_items) < 0.5
    parts = [("judge1", "llm_judge", item, score(0.6, 0.0)), ("judge2", "llm_judge", item, score(1.2, 0.3)),
             ("human1", "human", item[labelled], score(0.5, 0.0)[labelled])]
    frames = []
    for rater, method, items, values in parts:
        frames.append(pd.DataFrame({"item_id": items, "rater_id": rater, "method": method, "value": values,
                                    "feature": [f"f{k:02d}" for k in feature[items]],
                                    "segment": [f"s{s:02d}" for s in segment[items]]}))
    return pd.concat(frames, ignore_index=True)


def make_spec() -> Spec:
    features = []
    for k in range(N_FEATURES):
        where = {"feature": f"f{k:02d}"}
        common = {"segments": ("segment",), "where": where}

        def m(name: str, common: dict = common, **kw: object) -> Metric:
            return Metric(name=name, **{**common, **kw})  # type: ignore[arg-type]

        metrics = [
            m("quality", combine="ppi", humans=("human",), judges=("judge1",), target=3.0, min_change=0.05),
            m("quality (judge 2, PPI)", combine="ppi", humans=("human",), judges=("judge2",)),
            m("quality (both judges, PPI)", combine="ppi", humans=("human",), judges=("llm_judge",)),
            m("quality (humans)", combine="human", humans=("human",)),
            m("quality (judge 1)", combine="judge", judges=("judge1",), humans=("human",)),
            m("pass rate (PPI)", statistic="pass_rate", threshold=4, combine="ppi", humans=("human",),
              judges=("judge1",)),
            m("pass rate (humans)", statistic="pass_rate", threshold=4, combine="human", humans=("human",)),
            m("pass rate (judge 2)", statistic="pass_rate", threshold=4, combine="judge", judges=("judge2",),
              humans=("human",)),
            m("low-score rate", statistic="pass_rate", threshold=2, pass_if="<=", combine="judge",
              judges=("judge1",), humans=("human",), higher_is_better=False),
            m("quality (humans, production mix)", combine="human", humans=("human",),
              population=Population("traffic", ("segment",), weights="n")),
        ]
        features.append(Feature(name=f"feature {k:02d}", owner=f"team {k % 5}", north_star=metrics[0],
                                diagnostics=tuple(metrics[1:8]), guardrails=tuple(metrics[8:])))
    return Spec(name="benchmark", features=tuple(features))


def production() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"segment": [f"s{s:02d}" for s in range(N_SEGMENTS)],
                         "n": rng.integers(100, 5000, N_SEGMENTS)})


def main() -> None:
    load_before = os.getloadavg()[0]
    spec = make_spec()
    traffic = {"traffic": production()}
    validations = {"judge1": "replace", "judge2": "assist"}
    folder = Path(tempfile.mkdtemp())
    store = Store(folder / "bench.duckdb")
    compute_times, write_times, load_times = [], [], []
    n_rows = n_judgments = 0
    for run in range(N_RUNS):
        frame = make_run(run)
        start = time.perf_counter()
        j = load_judgments(frame, scale=Scale.ordinal([1, 2, 3, 4, 5]), segments=["feature", "segment"])
        load_times.append(time.perf_counter() - start)
        n_judgments = len(j.frame)
        start = time.perf_counter()
        result = compute(spec, j, run=Run(f"r{run + 1:02d}", date=f"2025-{run + 1:02d}-01"), production=traffic,
                         validations=validations, random_state=run)
        compute_times.append(time.perf_counter() - start)
        n_rows = len(result.table)
        start = time.perf_counter()
        store.write(result)
        write_times.append(time.perf_counter() - start)
        print(f"run {run + 1}: compute {compute_times[-1]:.2f} s, write {write_times[-1]:.2f} s", flush=True)
    start = time.perf_counter()
    hist = store.history(segment=None)
    history_time = time.perf_counter() - start
    # dashboard: fresh interpreter (imports included) and warm
    code = (f"from alignlab.report import build_dashboard\n"
            f"build_dashboard({str(folder / 'bench.duckdb')!r}, {str(folder / 'dash')!r})\n")
    cold = run_isolated(code)
    start = time.perf_counter()
    build_dashboard(store, folder / "dash")
    first_warm = time.perf_counter() - start
    start = time.perf_counter()
    page = build_dashboard(store, folder / "dash")
    warm = time.perf_counter() - start
    # one trust-weighted metric with 30 segments (a joint annotator model per segment)
    tw_spec = Spec(features=(Feature(name="tw", north_star=Metric(
        name="quality (trust-weighted)", combine="trust_weighted", humans=("human",), judges=("llm_judge",),
        segments=("segment",), where={"feature": "f00"})),))
    start = time.perf_counter()
    tw = compute(tw_spec, j, random_state=0)
    tw_time = time.perf_counter() - start
    size_mb = (folder / "bench.duckdb").stat().st_size / 1e6
    lines = [
        "## Metrics framework", "",
        f"{N_FEATURES} features x 10 metrics x {N_SEGMENTS + 1} rows (overall + {N_SEGMENTS} segments) = "
        f"{n_rows:,} metric rows per run; {N_RUNS} runs of {n_judgments:,} judgments each "
        f"({N_FEATURES * ITEMS_PER_FEATURE:,} items); {len(hist):,} rows in the store ({size_mb:.1f} MB).", "",
        "| step | median | min | max |", "|---|---|---|---|",
        f"| load_judgments (100k rows) | {np.median(load_times):.2f} s | {min(load_times):.2f} s | {max(load_times):.2f} s |",
        f"| compute (6,200 rows) | {np.median(compute_times):.2f} s | {min(compute_times):.2f} s | "
        f"{max(compute_times):.2f} s |",
        f"| Store.write (one transaction) | {np.median(write_times):.3f} s | {min(write_times):.3f} s | "
        f"{max(write_times):.3f} s |", "",
        f"- Store.history (every segment, {len(hist):,} rows): {history_time:.2f} s",
        f"- dashboard from the {N_RUNS}-run store: fresh interpreter {cold.get('wall', float('nan')):.2f} s "
        f"(plus interpreter start; peak RSS {cold.get('rss_mb', float('nan')):.0f} MB), first call in this process "
        f"{first_warm:.2f} s, warm {warm:.2f} s; page {len(page) / 1e6:.2f} MB",
        f"- one trust_weighted metric on 2,000 items with {N_SEGMENTS} segments ({len(tw.table)} rows, "
        f"{len(tw.table)} joint-model fits): {tw_time:.2f} s",
        "", f"Load average (1 min) on the 2-core machine: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} "
        "at the end (other processes were running: wall times at a higher load are inflated).",
    ]
    path = write_section("metrics", "\n".join(lines), "python -m benchmarks.metrics")
    print(path.read_text())


if __name__ == "__main__":
    main()
