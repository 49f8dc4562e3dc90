"""Workflows: decision accuracy on seeded simulations, wall time on bundled data and at scale.

1. Decision accuracy (known truth): over seeds, how often validate_judge gives the planted verdict
   (a judge as good as a human -> replace, a lenient judge -> assist, a useless judge -> do_not_use),
   audit_vendors ranks the planted spammer vendor worst, and trust_weights orders the sources by their
   true reliability.
2. Wall time of each workflow on the bundled datasets, and of ``alignlab report --dataset pandalm``
   (every registered section, fresh interpreter).
3. validate_judge / audit_vendors / trust_weights on 50,000 simulated items.

Run: ``.venv/bin/python -m benchmarks.workflows`` (writes benchmarks/results/workflows.md).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

import alignlab
from alignlab.workflows import audit_vendors, trust_weights, validate_judge
from alignlab.workflows.simulate import simulate_judge_study, simulate_signal_study, simulate_vendor_study
from benchmarks._common import timed, write_section

N_SEEDS = 10
PLANTED = {"as_good": "replace", "lenient": "assist", "useless": "do_not_use"}


def decision_accuracy() -> list[str]:
    rows = ["| check | scale | correct / seeds |", "|---|---|---|"]
    rows[0] = "| check | scale, items | correct / seeds |"
    for scale, n_items in (("binary", 300), ("ordinal", 300), ("continuous", 300), ("continuous", 1000)):
        hits = dict.fromkeys(PLANTED, 0)
        for seed in range(N_SEEDS):
            j = simulate_judge_study(n_items=n_items, scale=scale, random_state=seed)
            for judge, verdict in PLANTED.items():
                got = validate_judge(j, raters=judge, find_segments=False, n_resamples=300, random_state=seed).verdict
                hits[judge] += got == verdict
        for judge, verdict in PLANTED.items():
            rows.append(f"| validate_judge: {judge} -> {verdict} | {scale}, {n_items} | {hits[judge]} / {N_SEEDS} |")
    for scale in ("binary", "continuous"):
        worst = sum(audit_vendors(simulate_vendor_study(n_items=300, scale=scale, random_state=s),
                                  random_state=s).worst_vendor == "cheapo" for s in range(N_SEEDS))
        rows.append(f"| audit_vendors: spammer vendor ranked worst | {scale}, 300 | {worst} / {N_SEEDS} |")
    order = 0
    for s in range(N_SEEDS):
        w = trust_weights(simulate_signal_study(n_items=600, random_state=s), random_state=s).weights
        order += bool(w["judge_strong"] > w["thumbs_up"] > w["judge_weak"])
    rows.append(f"| trust_weights: order = true reliability order | continuous, 600 | {order} / {N_SEEDS} |")
    return rows


def bundled_times() -> list[str]:
    rows = ["| call | seconds |", "|---|---|"]
    pandalm, hanna = alignlab.datasets.load("pandalm"), alignlab.datasets.load("hanna")
    validate_judge(pandalm, raters="gpt-3.5-turbo", n_resamples=100, random_state=0)  # imports warm-up
    for label, func in (
        ("validate_judge(pandalm, judge='gpt-3.5-turbo', n_resamples=1000)",
         lambda: validate_judge(pandalm, raters="gpt-3.5-turbo", random_state=0)),
        ("validate_judge(hanna, judge='ChatGPT', n_resamples=1000)",
         lambda: validate_judge(hanna, raters="ChatGPT", random_state=0)),
        ("audit_vendors(pandalm)", lambda: audit_vendors(pandalm, random_state=0)),
        ("trust_weights(hanna) incl. 6 per-criterion refits", lambda: trust_weights(hanna, random_state=0)),
    ):
        seconds, _ = timed(func)
        rows.append(f"| `{label}` | {seconds:.1f} |")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c",
                               "from alignlab.cli import app; app()", "report", "--dataset", "pandalm", "--out", out],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
    status = "" if proc.returncode == 0 else f" (exit {proc.returncode})"
    rows.append(f"| `alignlab report --dataset pandalm` (every section, fresh process){status} | {wall:.1f} |")
    return rows


def scale_times(n_items: int = 50_000) -> list[str]:
    rows = ["| call (50,000 items) | judgments | seconds |", "|---|---|---|"]
    j = simulate_judge_study(n_items=n_items, scale="continuous", random_state=0)
    seconds, _ = timed(lambda: validate_judge(j, raters="as_good", n_resamples=200, random_state=0))
    rows.append(f"| validate_judge (continuous, 3 humans + 3 judges, 200 resamples) | {len(j):,} | {seconds:.1f} |")
    v = simulate_vendor_study(n_items=n_items, random_state=0)
    seconds, _ = timed(lambda: audit_vendors(v, random_state=0))
    rows.append(f"| audit_vendors (binary, 12 raters, gold, timestamps, cost) | {len(v):,} | {seconds:.1f} |")
    s = simulate_signal_study(n_items=n_items, random_state=0)
    seconds, _ = timed(lambda: trust_weights(s, random_state=0))
    rows.append(f"| trust_weights (continuous, 2 judges, 1 online signal, humans on 30%) | {len(s):,} | {seconds:.1f} |")
    return rows


def main() -> None:
    import os

    load_before = os.getloadavg()[0]
    parts = ["## Workflows", "", "### Decision accuracy on seeded simulations (known truth)", "",
             *decision_accuracy(), "", "### Wall time on bundled data", "", *bundled_times(), "",
             "### Scale", "", *scale_times(), "",
             f"Load average (1 min) on the 2-core machine: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} "
             "at the end (other processes were running: wall times above that load are inflated)."]
    path = write_section("workflows", "\n".join(parts), "python -m benchmarks.workflows")
    print(path.read_text())


if __name__ == "__main__":
    main()
