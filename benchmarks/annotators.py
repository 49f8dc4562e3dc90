"""Categorical annotator models: accuracy on gold-labelled crowd data and speed at scale.

Run: ``.venv/bin/python -m benchmarks.annotators`` (``--quick`` skips the 1M-judgment speed runs and
PyMC fits). Writes ``benchmarks/results/annotators.md``.

Accuracy: every model is fitted *without* the gold labels (``use_gold=False``) and its consensus
compared with the gold label of every gold item. Majority vote breaks ties at random: the expected
accuracy over tie-breaks is reported (= counting a tie between c labels as 1/c correct), as in
the reference numbers of the dataset READMEs. crowd-kit runs on the same table.

Speed: ``DawidSkene``/``MACE``/``GLAD`` (``engine="em"``) against crowd-kit on synthetic data with
1,000,000 judgments (100,000 items, 1,000 raters, 3 classes), each tool in a fresh interpreter
(wall time and peak RSS of the process).

PyMC (``--part pymc``): time to a converged posterior with the default settings, DawidSkene on
10,000 judgments (flat and hierarchical) and OrdinalRaters on 20,000, each in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import run_isolated, write_section

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "annotators"

SETS = {
    # name: (file, scale, filter on column kind, published/reference figures)
    "snow2008 RTE": ("snow2008_rte", "binary", None, "MV 0.8969 / DS 0.9288 (error 10.31% / 7.12%, Zhang et al. 2014)"),
    "snow2008 TEMP": ("snow2008_temp", "binary", None, "MV 0.9361 / DS 0.9416 (dataset README)"),
    "snow2008 WSD": ("snow2008_wsd", "categorical", None, "MV 0.9944 / DS 0.9944 (dataset README)"),
    "welinder bluebird": ("welinder_bluebird", "binary", None, "MV 0.7593 / DS 0.8889 (crowd-kit) 0.8981 (README)"),
    "zheng2017 Product": ("zheng2017_product", "binary", None, "MV 0.8966 / DS 0.9397 (Zheng et al. 2017)"),
    "zheng2017 Dog": ("zheng2017_dog", "categorical", None, "MV 0.8222 / DS 0.8426"),
    "zheng2017 Face": ("zheng2017_face", "categorical", None, "MV 0.6367 / DS 0.6404"),
    "medical safety queries": ("medical_safety", "categorical", "query", "crowd 2-of-3 majority 0.595 (all texts)"),
    "medical safety responses": ("medical_safety", "categorical", "response", ""),
    "DICES-350": ("dices350", "categorical", None, "crowd majority agrees with the expert on 65.4% (dataset README)"),
}
PYMC_SETS = set(SETS)  # every set (<= 25k judgments): both engines in one table, as the issue asks
CACHE = Path(__file__).resolve().parent / "results"


def load_set(name: str):
    """The judgments (gold in the ``gold`` column) of one benchmark set."""
    import alignlab

    file, scale, kind, _ = SETS[name]
    frame = pd.read_csv(DATA / f"{file}.csv.gz")
    if kind is not None:
        frame = frame[frame["kind"] == kind].drop(columns="kind")
    return alignlab.load_judgments(frame, scale=scale, segments=[])


def majority_vote_accuracy(judgments) -> float:
    """Expected accuracy of majority vote with random tie-breaks."""
    counts = judgments.counts()
    gold = judgments.scale.encode(judgments.item_info["gold"])
    has = gold >= 0
    top = counts.max(axis=1, keepdims=True)
    is_top = counts == top
    return float((is_top[np.arange(len(gold)), np.maximum(gold, 0)] / is_top.sum(axis=1))[has].mean())


def model_correct(model, judgments) -> np.ndarray:
    """Per gold item (in item order): whether the model's consensus equals the gold label."""
    gold = judgments.item_info.set_index("item_id")["gold"]
    prediction = model.predict()
    has = gold.notna()
    return prediction[has.to_numpy()].to_numpy() == gold[has].to_numpy()


def model_accuracy(model, judgments) -> float:
    return float(model_correct(model, judgments).mean())


def crowdkit_correct(judgments) -> dict[str, np.ndarray]:
    """Per gold item correctness of crowd-kit's aggregators (NaN row when one crashes)."""
    from crowdkit.aggregation import GLAD, MACE, DawidSkene, OneCoinDawidSkene

    frame = judgments.to_crowdkit()
    gold = judgments.item_info.set_index("item_id")["gold"].dropna()
    out = {}
    for name, aggregator in (("DawidSkene", DawidSkene(n_iter=100)), ("OneCoinDawidSkene", OneCoinDawidSkene(n_iter=100)),
                             ("GLAD", GLAD()), ("MACE", MACE(random_state=0))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                labels = aggregator.fit_predict(frame)
                out[name] = (labels.reindex(gold.index) == gold).to_numpy()
            except Exception as exc:  # noqa: BLE001 - a crashing reference is reported, not fatal
                out[name] = np.full(len(gold), np.nan)
                print(f"crowd-kit {name} failed: {exc}", file=sys.stderr)
    return out


def crowdkit_accuracy(judgments) -> dict[str, float]:
    return {name: float(np.mean(c)) for name, c in crowdkit_correct(judgments).items()}


def paired_gap(ours: np.ndarray, theirs: np.ndarray) -> dict[str, float]:
    """Accuracy difference of two consensus methods on the same gold items, with a 95% item-bootstrap
    interval (percentile, 2,000 resamples, seed 0) and the discordant-item counts."""
    from alignlab._array.bootstrap import bootstrap

    diff = ours.astype(float) - theirs.astype(float)
    outcome = bootstrap(lambda w: (w @ diff) / w.sum(axis=1), len(diff), n_resamples=2000, method="percentile",
                        random_state=0)
    return {"gap": float(diff.mean()), "gap_low": float(outcome.low), "gap_high": float(outcome.high),
            "only_ours": int((diff > 0).sum()), "only_theirs": int((diff < 0).sum())}


def alignlab_models(engine: str):
    from alignlab.annotators import GLAD, MACE, DawidSkene, OneCoin

    common = {"use_gold": False, "ci_method": "none", "random_state": 0, "engine": engine}
    if engine == "pymc":
        common.pop("ci_method")
        common["sampler"] = {"draws": 500, "tune": 500, "chains": 2}
    return {
        "DawidSkene": DawidSkene(**common),
        "DawidSkene (no pooling)": DawidSkene(pooling=(), **common),
        "DawidSkene (MLE)": DawidSkene(prior="flat", pooling=(), prevalence_prior=0, **common),
        "OneCoin": OneCoin(**common),
        "MACE": MACE(**common),
        "GLAD": GLAD(**common),
    }


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_")


def accuracy_table(with_pymc: bool, sets: list[str] | None = None) -> pd.DataFrame:
    """One row per set; each row is also cached in results/.annotators_acc_<set>.json (for parallel runs)."""
    import json

    rows = []
    for name in sets or list(SETS):
        judgments = load_set(name)
        row = {"dataset": name, "judgments": len(judgments), "items": judgments.n_items,
               "raters": judgments.n_raters, "MV": majority_vote_accuracy(judgments)}
        correct = {}
        for label, model in alignlab_models("em").items():
            correct[f"alignlab {label} (em)"] = model_correct(model.fit(judgments), judgments)
        if with_pymc and name in PYMC_SETS:
            for label, model in alignlab_models("pymc").items():
                if label in ("DawidSkene (no pooling)", "DawidSkene (MLE)"):
                    continue
                correct[f"alignlab {label} (pymc)"] = model_correct(model.fit(judgments), judgments)
        for label, value in crowdkit_correct(judgments).items():
            correct[f"crowd-kit {label}"] = value
        row.update({column: float(np.mean(c)) for column, c in correct.items()})
        ours = max((c for c in correct if c.startswith("alignlab")), key=lambda c: row[c])
        theirs = max((c for c in correct if c.startswith("crowd-kit")), key=lambda c: np.nan_to_num(row[c], nan=-1))
        row.update(paired_gap(correct[ours], correct[theirs]))
        row["reference"] = SETS[name][3]
        rows.append(row)
        CACHE.mkdir(exist_ok=True)
        (CACHE / f".annotators_acc_{_slug(name)}.json").write_text(json.dumps(row))
        print(name, "done", row, file=sys.stderr)
    return pd.DataFrame(rows)


def cached_accuracy_table() -> pd.DataFrame:
    import json

    rows = []
    for name in SETS:
        path = CACHE / f".annotators_acc_{_slug(name)}.json"
        if not path.exists():
            continue
        row = json.loads(path.read_text())
        missing = {label: m for label, m in alignlab_models("em").items() if f"alignlab {label} (em)" not in row}
        if missing:  # EM variants added after the row was cached: cheap to fill in
            judgments = load_set(name)
            for label, model in missing.items():
                row[f"alignlab {label} (em)"] = model_accuracy(model.fit(judgments), judgments)
        rows.append(row)
    table = pd.DataFrame(rows)
    ours = [c for c in table.columns if c.startswith("alignlab")]
    front = [c for c in table.columns if not c.startswith("alignlab")]
    crowd = [c for c in front if c.startswith("crowd-kit")]
    first = [c for c in front if c not in crowd]
    return table[first[:5] + sorted(ours, key=lambda c: ("pymc" in c, c)) + crowd + first[5:]]


# -- speed ---------------------------------------------------------------------------------------
SYNTH = """
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
n_items, n_raters, K, per_item = {n_items}, {n_raters}, 3, {per_item}
truth = rng.integers(0, K, n_items)
acc = rng.uniform(0.5, 0.95, n_raters)
item = np.repeat(np.arange(n_items), per_item)
rater = rng.integers(0, n_raters, n_items * per_item)
correct = rng.random(len(item)) < acc[rater]
label = np.where(correct, truth[item], (truth[item] + rng.integers(1, K, len(item))) % K)
"""

ALIGNLAB_RUN = SYNTH + """
import time
import alignlab
from alignlab.annotators import {model}
t0 = time.perf_counter()
frame = pd.DataFrame({{"item_id": item, "rater_id": rater, "value": label}})
j = alignlab.load_judgments(frame, scale=alignlab.Scale.categorical([0, 1, 2]), duplicates="keep_all", segments=[])
codes = j.label_codes; j.item_info; j.rater_info; j.data_hash  # cached views every module shares
t1 = time.perf_counter(); c1 = time.process_time()
m = {model}(ci_method="{ci}", pooling_kw, random_state=0).fit(j)
t2 = time.perf_counter(); c2 = time.process_time()
pred = m.predict().to_numpy()
print("ACC", float((pred == truth[j.items.to_numpy()]).mean()))
print("FIT", t2 - t1, "CPU", c2 - c1, "LOAD", t1 - t0, "ITER", int(m.convergence_["n_iter"][0]))
"""

CROWDKIT_RUN = SYNTH + """
import time, warnings
warnings.simplefilter("ignore")
from crowdkit.aggregation import {model}
frame = pd.DataFrame({{"task": item, "worker": rater, "label": label}})
t1 = time.perf_counter(); c1 = time.process_time()
agg = {model}({kwargs})
res = agg.fit_predict(frame)
t2 = time.perf_counter(); c2 = time.process_time()
print("ACC", float((res.reindex(np.arange(n_items)).to_numpy() == truth).mean()))
print("FIT", t2 - t1, "CPU", c2 - c1, "ITER", {n_iter})
"""


def _parse(out: dict) -> dict:
    result = {"wall": out.get("wall", float("nan")), "rss_mb": out.get("rss_mb", float("nan"))}
    for line in out.get("stdout", "").splitlines():
        parts = line.split()
        if parts and parts[0] == "ACC":
            result["accuracy"] = float(parts[1])
        if parts and parts[0] == "FIT":
            result["fit"] = float(parts[1])
            for key, value in zip(parts[2::2], parts[3::2], strict=False):
                result[key.lower()] = float(value)
    result.setdefault("cpu", float("nan"))
    if "fit" not in result:
        result["error"] = out.get("error", "")[-500:]
    return result


def speed_rows(n_items: int, n_raters: int, per_item: int, models: list[tuple[str, str, str, int]]) -> list[dict]:
    rows = []
    sizes = {"n_items": n_items, "n_raters": n_raters, "per_item": per_item}
    for alignlab_model, crowdkit_model, crowdkit_kwargs, crowdkit_iter in models:
        pooling = "pooling=()" if alignlab_model == "DawidSkene" else "n_restarts=1" if alignlab_model == "MACE" else "tol=1e-7"
        code = ALIGNLAB_RUN.format(model=alignlab_model, ci="none", **sizes).replace("pooling_kw", pooling)
        ours = _parse(run_isolated(code))
        theirs = _parse(run_isolated(CROWDKIT_RUN.format(model=crowdkit_model, kwargs=crowdkit_kwargs,
                                                          n_iter=crowdkit_iter, **sizes), timeout=1800))
        rows.append({"model": alignlab_model, "judgments": n_items * per_item, "alignlab": ours,
                     "crowd-kit": theirs, "crowdkit_model": crowdkit_model})
        print(alignlab_model, ours, theirs, file=sys.stderr)
    return rows


SCALE_RUN = """
import sys, time
sys.path.insert(0, {root!r})
import numpy as np
from benchmarks.annotators_continuous import _synthetic
from alignlab.annotators import {model}
t0 = time.perf_counter()
j, truth = _synthetic({kind!r}, 100_000, 1_000, 10)
j.item_info; j.rater_info; j.data_hash; (j.label_codes if j.scale.is_discrete else j.values)  # shared cached views
t1 = time.perf_counter(); c1 = time.process_time()
m = {model}(engine="em", random_state=0).fit(j)
t2 = time.perf_counter(); c2 = time.process_time()
if {kind!r} == "pairwise":
    est = m.systems_.set_index("system").loc[["s%d" % k for k in range(len(truth))], "score"].to_numpy()
    r = float(np.corrcoef(est, truth)[0, 1])
else:
    r = abs(float(np.corrcoef(m.raters_["bias" if {kind!r} == "continuous" else "severity"], truth)[0, 1]))
print("FIT", t2 - t1, "CPU", c2 - c1, "LOAD", t1 - t0, "ITER", m.n_iter_, "RECOVERY", r, "WARN", len(m.warnings_))
"""


def scale_markdown() -> str:
    """OrdinalRaters, BradleyTerry and ContinuousRaters (EM) on 1,000,000 judgments, each in a fresh interpreter."""
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = []
    for model, kind, what in (("OrdinalRaters", "ordinal", "abs. r(severity, true severity)"),
                              ("BradleyTerry", "pairwise", "r(system score, true score), 20 systems"),
                              ("ContinuousRaters", "continuous", "abs. r(bias, true bias)")):
        out = _parse(run_isolated(SCALE_RUN.format(root=str(ROOT), model=model, kind=kind)))
        print(model, out, file=sys.stderr)
        rows.append({"model": model, "scale": kind, "judgments": "1,000,000",
                     "fit CPU s (wall)": f"{_fmt(out.get('cpu'), 1)} ({_fmt(out.get('fit'), 1)})",
                     "iterations": _fmt(out.get("iter"), 0), "peak RSS (MB)": _fmt(out.get("rss_mb"), 0),
                     "recovery": f"{_fmt(out.get('recovery'), 3)} ({what})",
                     "warnings": _fmt(out.get("warn"), 0) if "error" not in out else out["error"][-200:]})
    end = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return "\n".join([
        "## Ordinal, pairwise and continuous EM engines at 1,000,000 judgments", "",
        "100,000 items x 10 judgments from 1,000 raters (the generator of `benchmarks/annotators_continuous.py`: "
        "rater bias N(0, 0.5), noise exp(N(-0.5, 0.3)); ordinal: 5 levels, logistic thresholds; pairwise: 20 "
        "systems, scores N(0, 0.7), tie band 0.3). Default settings (observed-information intervals included). "
        "Fit time excludes building the table; iterations are L-BFGS iterations over all empirical-Bayes "
        "rounds (ordinal/pairwise) or EM iterations (continuous); peak RSS of the whole process. "
        f"Load average (1, 5, 15 min) {load} at the start, {end} at the end, on 2 cores shared with other jobs.", "",
        pd.DataFrame(rows).to_markdown(index=False)])


PYMC_DS = """
import numpy as np, pandas as pd, time
import alignlab
from alignlab.annotators import DawidSkene
rng = np.random.default_rng(1)
n_items, n_raters, K = 2000, 50, 3
truth = rng.integers(0, K, n_items)
conf = np.stack([0.25 * np.ones((K, K)) + np.diag(rng.uniform(1.0, 4.0, K)) for _ in range(n_raters)])
conf /= conf.sum(-1, keepdims=True)
item = np.repeat(np.arange(n_items), 5)
rater = np.concatenate([rng.choice(n_raters, 5, replace=False) for _ in range(n_items)])
u = rng.random(len(item))[:, None]
label = (u > np.cumsum(conf[rater, truth[item]], axis=1)).sum(1)
frame = pd.DataFrame({{"item_id": item, "rater_id": rater, "value": label}})
j = alignlab.load_judgments(frame, scale=alignlab.Scale.categorical([0, 1, 2]), segments=[])
t = time.perf_counter(); c0 = time.process_time()
m = DawidSkene(engine="pymc", {kwargs}random_state=0).fit(j)
wall, cpu = time.perf_counter() - t, time.process_time() - c0
c = m.convergence_.iloc[0]
print("PYMC", wall, cpu, c["max_r_hat"], c["n_divergent"], c["min_ess_bulk"], c["sampler"], c["seconds"])
print("ACC", float((m.predict().to_numpy() == truth[j.items.to_numpy()]).mean()))
"""

PYMC_ORDINAL = """
import time
import numpy as np
from benchmarks.annotators_continuous import _synthetic
from alignlab.annotators import OrdinalRaters, _arviz
j, truth = _synthetic("ordinal", 4000, 50, 5)
t = time.perf_counter(); c0 = time.process_time()
m = OrdinalRaters(engine="pymc", random_state=0).fit(j)
wall, cpu = time.perf_counter() - t, time.process_time() - c0
c = _arviz.diagnostics(m.idata_, ["thresholds", "severity", "discrimination"])
print("PYMC", wall, cpu, c["max_r_hat"], c["n_divergent"], c["min_ess_bulk"], m.sampler_, float("nan"))
print("ACC", abs(float(np.corrcoef(m.raters_["severity"], truth)[0, 1])))
"""


def pymc_speed(code: str) -> dict:
    """Run one PyMC timing script in a fresh interpreter and parse its PYMC/ACC lines."""
    out = run_isolated(code, timeout=1800)
    result = {"rss_mb": out.get("rss_mb")}
    for line in out.get("stdout", "").splitlines():
        parts = line.split()
        if parts and parts[0] == "PYMC":
            result.update(wall=float(parts[1]), cpu=float(parts[2]), r_hat=float(parts[3]), divergent=int(float(parts[4])),
                          ess=float(parts[5]), sampler=parts[6], sampling_s=float(parts[7]))
        if parts and parts[0] == "ACC":
            result["accuracy"] = float(parts[1])
    if "wall" not in result:
        result["error"] = out.get("error", "")[-800:]
    return result


def _load_average() -> str:
    import os

    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def pymc_markdown() -> str:
    """The PyMC engine's timings: DawidSkene on 10k judgments, OrdinalRaters on 20k (targets 60 s / 120 s)."""
    lines = ["## PyMC engine: time to a converged posterior", "",
             f"Load average at start (1, 5, 15 min): {_load_average()} on the shared 2-core machine. Each fit in a "
             "fresh interpreter; wall and process CPU time of `fit` (model build, EM start, JAX compilation, "
             "sampling, summaries), imports excluded. Default settings, nutpie+JAX, 2 chains on 2 cores: the "
             "categorical models 1500 draws after 500 tune, target_accept 0.8, low-rank mass matrix, chains started "
             "at the EM solution; OrdinalRaters 1000 draws after 500 tune, target_accept 0.8, EM start. "
             "DawidSkene data: 2,000 items x 5 judgments, 50 raters, 3 classes; OrdinalRaters: 4,000 items x 5, "
             "50 raters, 5 levels.", "",
             "| model | judgments | target | wall s | CPU s | max r-hat | divergences | min bulk ESS | accuracy / r | "
             "peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    cases = [("DawidSkene(pooling=())", PYMC_DS.format(kwargs="pooling=(), "), "10,000", "≤ 60 s, r-hat < 1.01"),
             ("DawidSkene() (hierarchical)", PYMC_DS.format(kwargs=""), "10,000", "≤ 60 s, r-hat < 1.01"),
             ("OrdinalRaters", PYMC_ORDINAL, "20,000", "≤ 120 s")]
    for name, code, n, target in cases:
        p = pymc_speed(code)
        print(name, p, file=sys.stderr)
        if "wall" not in p:
            lines.append(f"| {name} | {n} | {target} | failed: {p.get('error', '')[-200:]!r} | | | | | | |")
            continue
        lines.append(f"| {name} | {n} | {target} | {p['wall']:.1f} | {p['cpu']:.1f} | {p['r_hat']:.4f} | "
                     f"{p['divergent']} | {p['ess']:.0f} | {p.get('accuracy', float('nan')):.4f} | {p['rss_mb']:.0f} |")
    lines += ["", f"Load average at the end: {_load_average()}. Accuracy = consensus accuracy against the simulated "
              "truth (DawidSkene, r-hat over every confusion cell and the prevalence); r = |correlation| of the "
              "posterior-mean severities with the simulated ones (OrdinalRaters, r-hat over thresholds, severities "
              "and discriminations)."]
    return "\n".join(lines)


def _fmt(x: float, digits: int = 4) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def accuracy_markdown(with_pymc: bool, table: pd.DataFrame | None = None) -> str:
    table = accuracy_table(with_pymc=with_pymc) if table is None else table
    gap_cols = ["gap", "gap_low", "gap_high", "only_ours", "only_theirs"]
    value_cols = [c for c in table.columns if c not in ("dataset", "judgments", "items", "raters", "reference",
                                                         *gap_cols)]
    ours = [c for c in value_cols if c.startswith("alignlab")]
    theirs = [c for c in value_cols if c.startswith("crowd-kit")]
    table["alignlab best"] = table[ours].max(axis=1)
    table["crowd-kit best"] = table[theirs].max(axis=1)
    table["best ≥ crowd-kit"] = np.where(table["alignlab best"] >= table["crowd-kit best"] - 1e-12, "yes", "NO")
    lines = ["## Annotator models (categorical): accuracy against gold", "",
             "Accuracy of the consensus label against expert gold labels; models fitted without gold "
             "(`use_gold=False`), default settings. MV = majority vote, expected accuracy over random tie-breaks. "
             "PyMC engine (posterior-mean consensus): nutpie+JAX, 2 chains x 500 draws after 500 tune, on every set. crowd-kit "
             "1.4.2 with its defaults (DawidSkene/OneCoin n_iter=100; MACE: 50 variational-Bayes iterations, "
             "Beta(0.5, 0.5) and Dirichlet(10) priors, 10 restarts). alignlab MACE with its defaults: MAP-EM, "
             "5 starts (majority vote + 4 random) keeping the best log-posterior. The last rows compare the best "
             "alignlab column with the best crowd-kit column on the same items: accuracy difference with a 95% "
             "item-bootstrap interval (percentile, 2,000 resamples) and the items only one of them gets right. "
             "No setting is chosen per dataset.", ""]
    shown = table.copy()
    for column in value_cols + ["alignlab best", "crowd-kit best"]:
        shown[column] = shown[column].map(_fmt)
    if "gap" in table.columns:
        shown["best − crowd-kit best (95% CI)"] = [
            f"{g:+.4f} ({lo:+.4f}, {hi:+.4f})" for g, lo, hi in zip(table["gap"], table["gap_low"], table["gap_high"],
                                                                   strict=True)]
        shown["items only alignlab / only crowd-kit gets right"] = [
            f"{int(a)} / {int(b)}" for a, b in zip(table["only_ours"], table["only_theirs"], strict=True)]
    shown = shown.drop(columns=["reference", *[c for c in gap_cols if c in shown.columns]]).set_index("dataset").T
    lines.append(shown.to_markdown())
    lines += ["", "Reference figures:", ""] + [f"- {n}: {r}" for n, r in zip(table["dataset"], table["reference"],
                                                                              strict=True) if r]
    return "\n".join(lines)


def speed_markdown() -> str:
    import os

    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = ["## Speed: 1,000,000 judgments (100,000 items, 1,000 raters, 3 classes)", "",
             "Synthetic one-coin raters (accuracy U(0.5, 0.95)), 10 judgments per item. Each tool in a fresh "
             "interpreter; fit time excludes building the input table (alignlab's load_judgments validation and its "
             "cached data hash are counted as loading); peak RSS of the whole process (imports included). The machine "
             f"was shared with other jobs (load average {load_start} at the start of this part, on 2 cores), so "
             "speed-ups are ratios of *CPU* time (process_time), with wall time in brackets. alignlab without intervals (`ci_method='none'`), DawidSkene without pooling (crowd-kit "
             "has none), MACE with one EM start; crowd-kit with its defaults.", ""]
    big = speed_rows(100_000, 1_000, 10, [("DawidSkene", "DawidSkene", "n_iter=100", 100)])
    # crowd-kit MACE/GLAD take minutes at 1M: run them on 20k judgments and extrapolate linearly
    small = speed_rows(2_000, 1_000, 10, [("MACE", "MACE", "random_state=0", 50), ("GLAD", "GLAD", "", 100)])
    rows = []
    for r in big:
        a, c = r["alignlab"], r["crowd-kit"]
        rows.append({"model": r["model"], "judgments": "1,000,000",
                     "alignlab fit CPU s (wall)": f"{_fmt(a.get('cpu'), 2)} ({_fmt(a.get('fit'), 2)})",
                     "alignlab iterations": a.get("iter"), "alignlab peak RSS (MB)": _fmt(a.get("rss_mb"), 0),
                     "alignlab accuracy": _fmt(a.get("accuracy")),
                     "crowd-kit fit CPU s (wall)": f"{_fmt(c.get('cpu'), 2)} ({_fmt(c.get('fit'), 2)})",
                     "crowd-kit peak RSS (MB)": _fmt(c.get("rss_mb"), 0),
                     "crowd-kit accuracy": _fmt(c.get("accuracy")),
                     "speed-up (CPU)": _fmt(c.get("cpu", np.nan) / a.get("cpu", np.nan), 1)})
    for model in ("MACE", "GLAD"):
        ck = next(r for r in small if r["model"] == model)["crowd-kit"]
        a = _parse(run_isolated(ALIGNLAB_RUN.format(model=model, ci="none", n_items=100_000, n_raters=1_000,
                                                    per_item=10).replace(
            "pooling_kw", "n_restarts=1" if model == "MACE" else "tol=1e-7")))
        extrapolated = ck.get("cpu", np.nan) * 50
        rows.append({"model": model, "judgments": "1,000,000",
                     "alignlab fit CPU s (wall)": f"{_fmt(a.get('cpu'), 2)} ({_fmt(a.get('fit'), 2)})",
                     "alignlab iterations": a.get("iter"), "alignlab peak RSS (MB)": _fmt(a.get("rss_mb"), 0),
                     "alignlab accuracy": _fmt(a.get("accuracy")),
                     "crowd-kit fit CPU s (wall)": f"{_fmt(extrapolated, 1)} (extrapolated from {_fmt(ck.get('cpu'), 1)} "
                                                   f"CPU s on 20k)",
                     "crowd-kit peak RSS (MB)": f"{_fmt(ck.get('rss_mb'), 0)} (on 20k)",
                     "crowd-kit accuracy": f"{_fmt(ck.get('accuracy'))} (on 20k)",
                     "speed-up (CPU)": _fmt(extrapolated / a.get("cpu", np.nan), 1)})
    lines.append(pd.DataFrame(rows).to_markdown(index=False))
    lines += ["", "crowd-kit MACE and GLAD run a fixed number of iterations whatever the input, so their time is "
              "linear in the judgments; the 1M figure is 50x their measured 20k time (the issue measured 224 s "
              "and 156 s directly at 1M)."]
    return "\n".join(lines)


# -- cold (fresh process) vs warm: issue #12 part 3 ------------------------------------------------------
COLD_FRAME = SYNTH + """
frame = pd.DataFrame({{"task": item, "worker": rater, "label": label}})  # one frame, given to both tools
import time
"""

COLD_ALIGNLAB = COLD_FRAME + """
c0, t0 = time.process_time(), time.perf_counter()
import alignlab
from alignlab.annotators import DawidSkene
c1, t1 = time.process_time(), time.perf_counter()
j = alignlab.load_judgments(frame, duplicates="keep_all")
c2, t2 = time.process_time(), time.perf_counter()
m = DawidSkene(engine="em", {kwargs}).fit(j)
c3, t3 = time.process_time(), time.perf_counter()
j2 = alignlab.load_judgments(frame, duplicates="keep_all")
m2 = DawidSkene(engine="em", {kwargs}).fit(j2)
c4, t4 = time.process_time(), time.perf_counter()
print("TIMES", c1 - c0, t1 - t0, c2 - c1, t2 - t1, c3 - c2, t3 - t2, c4 - c3, t4 - t3)
"""

COLD_CROWDKIT = COLD_FRAME + """
import warnings
warnings.simplefilter("ignore")
c0, t0 = time.process_time(), time.perf_counter()
from crowdkit.aggregation import DawidSkene
c1, t1 = time.process_time(), time.perf_counter()
DawidSkene(n_iter=100).fit_predict(frame)
c3, t3 = time.process_time(), time.perf_counter()
DawidSkene(n_iter=100).fit_predict(frame)
c4, t4 = time.process_time(), time.perf_counter()
print("TIMES", c1 - c0, t1 - t0, 0.0, 0.0, c3 - c1, t3 - t1, c4 - c3, t4 - t3)
"""


def _cold_times(code: str) -> dict[str, float]:
    out = run_isolated(code)
    for line in out.get("stdout", "").splitlines():
        if line.startswith("TIMES"):
            v = [float(x) for x in line.split()[1:]]
            keys = ("import", "load", "fit", "warm")
            times = {f"{k}_cpu": v[2 * i] for i, k in enumerate(keys)} | {f"{k}_wall": v[2 * i + 1]
                                                                          for i, k in enumerate(keys)}
            times["process_wall"] = out.get("wall", float("nan"))
            return times
    raise RuntimeError(f"cold run failed: {out.get('error', '')[-800:]}")


def cold_warm_markdown(repeats: int = 3) -> str:
    """load_judgments + first DawidSkene fit from a fresh interpreter against crowd-kit's first fit_predict
    on the same pandas frame (1M judgments), and the warm figures (second load + fit in the same process).
    Each tool is run ``repeats`` times in fresh interpreters; the table shows the median."""
    import os

    sizes = {"n_items": 100_000, "n_raters": 1_000, "per_item": 10}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    runs = {
        "alignlab DawidSkene (defaults)": COLD_ALIGNLAB.format(kwargs="random_state=0", **sizes),
        "alignlab DawidSkene (ci_method='none', prior='flat')": COLD_ALIGNLAB.format(
            kwargs="ci_method='none', prior='flat', random_state=0", **sizes),
        "crowd-kit DawidSkene(n_iter=100)": COLD_CROWDKIT.format(**sizes),
    }
    medians = {}
    for name, code in runs.items():
        samples = pd.DataFrame([_cold_times(code) for _ in range(repeats)])
        medians[name] = samples.median()
        print(name, samples.to_dict("records"), file=sys.stderr)
    ck = medians["crowd-kit DawidSkene(n_iter=100)"]
    rows = []
    for name, t in medians.items():
        cold_cpu = t["import_cpu"] + t["load_cpu"] + t["fit_cpu"]
        cold_wall = t["import_wall"] + t["load_wall"] + t["fit_wall"]
        first_cpu = t["load_cpu"] + t["fit_cpu"]
        rows.append({
            "run": name,
            "import CPU s": _fmt(t["import_cpu"], 2), "load CPU s": _fmt(t["load_cpu"], 2),
            "first fit CPU s": _fmt(t["fit_cpu"], 2),
            "cold: import+load+fit CPU s (wall)": f"{_fmt(cold_cpu, 2)} ({_fmt(cold_wall, 2)})",
            "load+first fit CPU s": _fmt(first_cpu, 2),
            "warm: load+fit CPU s (wall)": f"{_fmt(t['warm_cpu'], 2)} ({_fmt(t['warm_wall'], 2)})",
            "speed-up cold (import+load+fit)": _fmt((ck["import_cpu"] + ck["fit_cpu"]) / cold_cpu, 1),
            "speed-up first call (load+fit)": _fmt(ck["fit_cpu"] / first_cpu, 1),
            "speed-up warm": _fmt(ck["warm_cpu"] / t["warm_cpu"], 1),
        })
    table = pd.DataFrame(rows)
    lines = ["## Cold and warm: load + first fit from a fresh process (1,000,000 judgments)", "",
             "Synthetic one-coin raters as in the speed part (100,000 items, 1,000 raters, 3 classes, 10 "
             "judgments per item). One pandas frame (`task, worker, label`) is built in a fresh interpreter, "
             "then timed: *import* of the tool, alignlab's `load_judgments(frame, duplicates='keep_all')` "
             "(validation and the cached item/rater/label codes, built once by `pandas.factorize`), the "
             "*first* `DawidSkene(engine='em').fit`; *warm* is a second load + fit in the same process "
             "(crowd-kit: first and second `fit_predict`). crowd-kit has no load step and no intervals; "
             "alignlab's defaults include intervals and the data-chosen prior. numpy and pandas are imported "
             f"before timing (both tools need them for the frame). Median of {repeats} fresh interpreters per "
             f"row; CPU seconds (process_time) because the 2-core machine was shared (load average {load} at "
             "the start), wall time in brackets. Speed-ups are crowd-kit's CPU time over alignlab's.", "",
             table.to_markdown(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accuracy table only (EM engines)")
    parser.add_argument("--part", choices=("all", "accuracy", "speed", "coldwarm", "scale", "pymc", "assemble"),
                        default="all",
                        help="run one part (parts are cached in results/.annotators_<part>.md) or assemble them")
    parser.add_argument("--sets", default=None, help="accuracy part: comma-separated set numbers (0-based)")
    args = parser.parse_args(argv)
    if args.sets is not None:
        names = [list(SETS)[int(i)] for i in args.sets.split(",")]
        accuracy_table(with_pymc=not args.quick, sets=names)
        return
    start = time.perf_counter()
    cache = Path(__file__).resolve().parent / "results"
    cache.mkdir(exist_ok=True)
    parts = {}
    if args.part in ("all", "accuracy"):
        parts["accuracy"] = accuracy_markdown(with_pymc=not args.quick)
    if args.part in ("all", "speed") and not args.quick:
        parts["speed"] = speed_markdown()
    if args.part in ("all", "coldwarm") and not args.quick:
        parts["coldwarm"] = cold_warm_markdown()
    if args.part in ("all", "scale") and not args.quick:
        parts["scale"] = scale_markdown()
    if args.part in ("all", "pymc") and not args.quick:
        parts["pymc"] = pymc_markdown()
    for name, text in parts.items():
        (cache / f".annotators_{name}.md").write_text(text)
    if args.part in ("accuracy", "speed", "coldwarm", "scale", "pymc"):
        print(parts[args.part])
        return
    if args.part == "assemble":
        parts = {"accuracy": accuracy_markdown(False, table=cached_accuracy_table())}
        for name in ("speed", "coldwarm", "scale", "pymc"):
            if (cache / f".annotators_{name}.md").exists():
                parts[name] = (cache / f".annotators_{name}.md").read_text()
        if "pymc" in parts and "speed" in parts:
            # speed parts cached before the PyMC timings became their own part carry an older PyMC paragraph
            parts["speed"] = parts["speed"].split("\n## PyMC engine")[0].rstrip()
    text = "\n\n".join(parts.values())
    if args.part != "assemble":
        text += f"\n\nTotal benchmark time {time.perf_counter() - start:.0f} s."
    command = "python -m benchmarks.annotators" + (" --quick" if args.quick else "")
    if args.part == "assemble":
        command = ("python -m benchmarks.annotators --part accuracy; python -m benchmarks.annotators --part speed; "
                   "python -m benchmarks.annotators --part coldwarm; "
                   "python -m benchmarks.annotators --part scale; python -m benchmarks.annotators --part pymc; "
                   "python -m benchmarks.annotators --part assemble")
    path = write_section("annotators", text, command)
    print(path)
    print(text)


if __name__ == "__main__":
    main()
