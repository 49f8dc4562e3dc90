"""Benchmark of alignlab.alignment.judges: judge configurations against gold, both orders, abstentions.

A seeded pairwise study (``simulate_pairwise_judge_study``: 8 configurations, every comparison in both
orders) at 5,000 and 50,000 comparisons (80k and 800k judgments). Each size runs in a fresh process:
``cold`` includes the imports, the simulation and ``load_judgments``; then ``judge_accuracy`` and
``compare_judge_configs`` are timed twice in that process (first call and warm second call). Also the
recovery of the planted truth: the expected published-convention accuracy inside its interval for how
many configurations, and the inverted ones flagged harmful::

    python -m benchmarks.judges
"""

from __future__ import annotations

import json

from benchmarks._common import run_isolated, write_section

SIZES = (5_000, 50_000)
N_RESAMPLES = 200

_CODE = """
import json, time
t0 = time.perf_counter()
from alignlab.workflows.simulate_pairwise import DEFAULT_JUDGES, expected_accuracy, simulate_pairwise_judge_study
from alignlab.alignment.judges import compare_judge_configs, judge_accuracy
j = simulate_pairwise_judge_study({n}, random_state=0)
load = time.perf_counter() - t0
times = {{}}
for run in ("first", "warm"):
    t = time.perf_counter(); acc = judge_accuracy(j, raters="llm_judge", n_resamples={b}, random_state=0)
    times["accuracy_" + run] = time.perf_counter() - t
    t = time.perf_counter(); cmp = compare_judge_configs(j, raters="llm_judge", n_resamples={b}, random_state=0)
    times["compare_" + run] = time.perf_counter() - t
w = acc.wide().set_index("rater_id")
covered = sum(int(w.loc[r, "accuracy_low"] <= expected_accuracy(s) <= w.loc[r, "accuracy_high"])
              for r, s in DEFAULT_JUDGES.items())
print("__JSON__" + json.dumps({{"n_judgments": int(len(j.frame) + len(j.abstentions)), "load": load, **times,
                               "covered": covered, "harmful": sorted(acc.harmful)}}))
"""


def main() -> None:
    rows = []
    for n in SIZES:
        out = run_isolated(_CODE.format(n=n, b=N_RESAMPLES))
        line = next((x for x in out["stdout"].splitlines() if x.startswith("__JSON__")), None)
        if line is None:
            raise RuntimeError(out.get("error", "benchmark failed"))
        rec = json.loads(line[len("__JSON__"):])
        rows.append(
            f"| {n:,} | {rec['n_judgments']:,} | {rec['load']:.1f} | {rec['accuracy_first']:.1f} / "
            f"{rec['accuracy_warm']:.1f} | {rec['compare_first']:.1f} / {rec['compare_warm']:.1f} | "
            f"{out.get('rss_mb', float('nan')):.0f} | {rec['covered']}/8 | {', '.join(rec['harmful'])} |")
    markdown = "\n".join([
        "## Judges against gold (`benchmarks/judges.py`)",
        "",
        f"Seeded pairwise study, 8 configurations, both orders, `n_resamples={N_RESAMPLES}`; one fresh process "
        "per size (seconds; first call / warm second call; peak RSS of the process).",
        "",
        "| comparisons | judgments | imports + simulate + load | judge_accuracy | compare_judge_configs | "
        "peak RSS (MB) | expected accuracy inside the interval | flagged harmful |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    print(write_section("judges", markdown, "python -m benchmarks.judges"))


if __name__ == "__main__":
    main()
