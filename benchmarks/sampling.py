"""Benchmark of alignlab.sampling: audit + raking of 20,000 eval rows against a 1,000,000-row log.

Target (issue 8): the whole audit including diagnostics ≤ 5 s. Meta's ``balance`` is measured in a
separate virtual environment when one is given (it pins numpy < 2), e.g.::

    python3 -m venv /tmp/balvenv && /tmp/balvenv/bin/pip install balance
    BALANCE_PYTHON=/tmp/balvenv/bin/python python -m benchmarks.sampling
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import write_section

# 4 categorical columns, 22 levels in all
LEVELS = {
    "locale": ["en", "de", "fr", "ja", "es", "pt", "zh", "ko"],
    "task": ["qa", "code", "chat", "summarize", "translate", "extract"],
    "length": ["short", "medium", "long", "very_long"],
    "channel": ["web", "api", "mobile", "plugin"],
}


def make_data(n_eval: int = 20_000, n_prod: int = 1_000_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    prod, ev = {}, {}
    for column, levels in LEVELS.items():
        k = len(levels)
        p = rng.dirichlet(np.full(k, 3.0))
        q = rng.dirichlet(np.full(k, 3.0))
        prod[column] = np.asarray(levels, dtype=object)[rng.choice(k, n_prod, p=p)]
        ev[column] = np.asarray(levels, dtype=object)[rng.choice(k, n_eval, p=q)]
    return pd.DataFrame(ev).astype("str"), pd.DataFrame(prod).astype("str")


def run_alignlab(ev: pd.DataFrame, prod: pd.DataFrame) -> dict[str, float]:
    from alignlab.sampling import audit_representativeness, reweight

    columns = list(LEVELS)
    out: dict[str, float] = {}
    start = time.perf_counter()
    audit = audit_representativeness(ev, prod, segments=columns, n_resamples=1000, random_state=0)
    out["audit (shifts, gaps, TVD/JS/PSI/deff + bootstrap, G/χ², classifier AUC 5-fold)"] = time.perf_counter() - start
    t = time.perf_counter()
    raked = reweight(ev, prod, segments=columns, method="rake")
    out["raking (IPF) + ASMD + deff + weight quantiles"] = time.perf_counter() - t
    t = time.perf_counter()
    reweight(ev, prod, segments=columns, method="ipw")
    out["IPW (logistic, main effects)"] = time.perf_counter() - t
    t = time.perf_counter()
    reweight(ev, prod, segments=columns, method="poststratify")
    out["post-stratification"] = time.perf_counter() - t
    out["whole audit: audit + raking"] = out[next(iter(out))] + out["raking (IPF) + ASMD + deff + weight quantiles"]
    out["_tvd"] = audit.tvd
    out["_deff_rake"] = raked.deff
    out["_auc"] = audit.auc
    return out


BALANCE_CODE = """
import time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
import pandas as pd
from balance import Sample
ev = pd.read_parquet({ev!r}); prod = pd.read_parquet({prod!r})
ev["id"] = range(len(ev)); prod["id"] = range(len(prod))
t = time.perf_counter()
s = Sample.from_frame(ev, id_column="id"); tgt = Sample.from_frame(prod, id_column="id")
adj = s.set_target(tgt).adjust(method="rake")
print("RAKE", time.perf_counter() - t)
t = time.perf_counter()
adj.covars().asmd()
print("ASMD", time.perf_counter() - t)
"""


def run_balance(ev: pd.DataFrame, prod: pd.DataFrame) -> dict[str, float] | None:
    python = os.environ.get("BALANCE_PYTHON")
    if not python or not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        ev_path, prod_path = str(Path(tmp) / "ev.parquet"), str(Path(tmp) / "prod.parquet")
        ev.to_parquet(ev_path)
        prod.to_parquet(prod_path)
        proc = subprocess.run([python, "-c", BALANCE_CODE.format(ev=ev_path, prod=prod_path)], capture_output=True,
                              text=True, timeout=1800)
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("RAKE", "ASMD"):
            out[parts[0]] = float(parts[1])
    return out or None


def main() -> None:
    ev, prod = make_data()
    run_alignlab(ev.head(2000), prod.head(20_000))  # warm-up imports
    ours = run_alignlab(ev, prod)
    rows = [f"| {name} | {seconds:.2f} s |" for name, seconds in ours.items() if not name.startswith("_")]
    theirs = run_balance(ev, prod)
    lines = [
        "## sampling",
        "",
        "20,000 evaluation rows vs a 1,000,000-row production log, 4 categorical segment columns (22 levels, "
        "joint cells observed: all combinations). Target: whole audit ≤ 5 s.",
        "",
        "| step (alignlab) | wall time |",
        "|---|---|",
        *rows,
        "",
        f"Results: TVD {ours['_tvd']:.3f}, raking deff {ours['_deff_rake']:.3f}, classifier AUC {ours['_auc']:.3f}.",
    ]
    if theirs:
        lines += ["", "| Meta balance 0.23 (separate venv, numpy 1.26) | wall time |", "|---|---|"]
        if "RAKE" in theirs:
            lines.append(f"| Sample.adjust(method='rake') | {theirs['RAKE']:.2f} s |")
        if "ASMD" in theirs:
            lines.append(f"| covars().asmd() | {theirs['ASMD']:.2f} s |")
    else:
        lines += ["", "balance not measured (set BALANCE_PYTHON to a venv with balance installed)."]
    status = "meets" if ours["whole audit: audit + raking"] <= 5 else "MISSES"
    lines += ["", f"The whole audit + raking takes {ours['whole audit: audit + raking']:.2f} s: {status} the 5 s target."]
    path = write_section("sampling", "\n".join(lines), "python -m benchmarks.sampling")
    print(path.read_text())


if __name__ == "__main__":
    sys.exit(main())
