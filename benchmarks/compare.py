"""Version comparison at scale: alignlab.compare.compare_versions.

Data (issue 16): 100,000 inputs rated for both versions x 10 metrics (2,000,000 judgments), 50 segments
(locales), 20,000 conversations as clusters; a planted regression of -0.1 on metric m0 for locale L7.
1,000-resample cluster bootstrap for all 510 (metric x segment) rows, CR1 intervals and tests.
Timed in a fresh interpreter (``run_isolated``: import + load + compare, the cold call, then a warm call) so
peak memory is that of the work alone.

Run: ``.venv/bin/python -m benchmarks.compare``.
"""

from __future__ import annotations

import json
import os

from benchmarks._common import run_isolated, write_section

N_INPUTS = 100_000
N_METRICS = 10
N_SEGMENTS = 50
N_CLUSTERS = 20_000
N_RESAMPLES = 1000

CODE = """
import json, time
import numpy as np, pandas as pd
t0 = time.perf_counter()
import alignlab
from alignlab.compare import compare_versions
t_import = time.perf_counter() - t0
rng = np.random.default_rng(0)
n, n_metrics, n_segments, n_clusters = {n}, {n_metrics}, {n_segments}, {n_clusters}
conv = rng.integers(0, n_clusters, n)
locale = np.char.add("L", (conv % n_segments).astype(str))
parts = []
for m in range(n_metrics):
    base = rng.normal(3, 1, n)
    for system in ("v1", "v2"):
        planted = 0.1 * ((system == "v2") & (m == 0)) * (locale == "L7")
        parts.append(pd.DataFrame({{"prompt": np.arange(n), "conv": conv, "locale": locale, "system": system,
                                   "metric": f"m{{m}}", "value": base + rng.normal(0, 0.6, n) - planted}}))
frame = pd.concat(parts, ignore_index=True)
frame["item_id"] = np.arange(len(frame))
frame["rater_id"], frame["method"] = "judge", "llm_judge"
t1 = time.perf_counter()
judgments = alignlab.load_judgments(frame, scale="continuous", system="system",
                                    segments=["prompt", "conv", "locale", "metric"])
t_load = time.perf_counter() - t1
times = []
for _ in range(2):
    t2 = time.perf_counter()
    result = compare_versions(judgments, baseline="v1", candidate="v2", metrics="metric", segments="locale",
                              clusters="conv", pair_on="prompt", n_resamples={n_resamples}, random_state=0)
    times.append(time.perf_counter() - t2)
table = result.to_frame()
regressions = table[table["verdict"] == "regression"]
print("__RESULT__", json.dumps({{"import": t_import, "load": t_load, "times": times, "rows": len(table),
      "paired": bool(result.paired), "ci_method": table["ci_method"].iloc[0],
      "regressions": (regressions["metric"] + " " + regressions["segment"]).tolist(),
      "verdicts": table["verdict"].value_counts().to_dict()}}))
"""


def main() -> None:
    code = CODE.format(n=N_INPUTS, n_metrics=N_METRICS, n_segments=N_SEGMENTS, n_clusters=N_CLUSTERS,
                       n_resamples=N_RESAMPLES)
    load = os.getloadavg()[0]
    out = run_isolated(code, timeout=1800)
    line = next((x for x in out.get("stdout", "").splitlines() if x.startswith("__RESULT__")), None)
    if line is None:
        raise RuntimeError(f"benchmark failed: {out.get('error', '')}")
    res = json.loads(line.split(" ", 1)[1])
    cold = res["import"] + res["load"] + res["times"][0]
    lines = [
        "# Compare: version regressions by segment at scale", "",
        f"{N_INPUTS:,} inputs rated for both versions x {N_METRICS} metrics ({2 * N_INPUTS * N_METRICS:,} judgments), "
        f"{N_SEGMENTS} segments, {N_CLUSTERS:,} clusters; for all {res['rows']} rows (10 metrics x (50 segments + "
        f"overall)): a {N_RESAMPLES:,}-resample cluster bootstrap (effect sizes, ratios, their intervals), the "
        f"difference interval ({res['ci_method']}), cluster-robust tests, BH over all rows, MDE per row. Fresh "
        f"interpreter; load average at start {load:.1f} on 2 cores.", "",
        "| step | seconds |", "|---|---|",
        f"| import alignlab + alignlab.compare | {res['import']:.2f} |",
        f"| load_judgments (2M rows, validation) | {res['load']:.2f} |",
        f"| compare_versions, first call (cold) | {res['times'][0]:.2f} |",
        f"| compare_versions, second call (warm) | {res['times'][1]:.2f} |",
        f"| cold process total (import + load + first call) | {cold:.2f} |",
        f"| whole process wall (incl. data generation) | {out.get('wall', float('nan')):.2f} |", "",
        f"Peak RSS of the process: {out.get('rss_mb', float('nan')):.0f} MB (the 2M-row judgments table included).",
        "",
        f"Planted regression (m0, locale=L7, -0.1 on SD 0.85 differences) found: "
        f"{'yes' if res['regressions'] == ['m0 locale=L7'] else 'NO'}; regressions reported: {res['regressions']}; "
        f"verdicts: {res['verdicts']}.",
    ]
    path = write_section("compare", "\n".join(lines), "python -m benchmarks.compare")
    print(path.read_text())


if __name__ == "__main__":
    main()
