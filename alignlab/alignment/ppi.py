"""Corrected metric estimates: prediction-powered inference, Rogan-Gladen, label-budget planning."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._params import CONFIDENCE_LEVEL, RANDOM_STATE, Interval, Options, validate_params
from alignlab.alignment._data import consensus_scores, per_item_scores, resolve
from alignlab.alignment._results import LabelBudgetResult, PPIResult, RoganGladenResult
from alignlab.data.judgments import Judgments

__all__ = ["ppi_mean", "ppi_estimate", "ppi_arrays", "rogan_gladen", "label_budget"]


def _tuned_lambda(y: np.ndarray, f: np.ndarray, f_unlabelled: np.ndarray) -> float:
    """PPI++ power tuning for a mean: Cov(Y, f) / ((1 + n/N) Var(f)), clipped to [0, 1].

    Same estimator as ppi_py (``_calc_lam_glm`` for the mean: covariance with 1/n, variance of f over
    labelled and unlabelled items with ddof=1), so intervals agree to rounding.
    """
    n, big_n = len(y), len(f_unlabelled)
    cov = np.mean((y - y.mean()) * (f - f.mean()))
    var = np.var(np.concatenate([f, f_unlabelled]), ddof=1)
    if var <= 0:
        return 0.0
    return float(np.clip(cov / ((1 + n / big_n) * var), 0.0, 1.0))


def ppi_arrays(
    y: np.ndarray,
    f: np.ndarray,
    f_unlabelled: np.ndarray,
    *,
    lam: float | None = None,
    cross_fit: int | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, float]:
    """PPI / PPI++ estimate of E[Y] from labels ``y`` with judge outputs ``f`` on the same items and
    ``f_unlabelled`` on the others. ``lam=None`` power-tunes; ``cross_fit=K`` tunes lambda on the other
    K - 1 folds of the labelled items (no reuse of a fold's labels for its own lambda).

    Returns a dict with ``estimate``, ``ci_low``, ``ci_high``, ``standard_error``, ``lam``.
    """
    y, f, fu = (np.asarray(v, dtype=float) for v in (y, f, f_unlabelled))
    n, big_n = len(y), len(fu)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    if cross_fit is None:
        lam_value = _tuned_lambda(y, f, fu) if lam is None else float(lam)
        estimate = lam_value * fu.mean() + np.mean(y - lam_value * f)
        se = math.sqrt((lam_value * fu).std() ** 2 / big_n + (y - lam_value * f).std() ** 2 / n)
    else:
        rng = np.random.default_rng(random_state) if not isinstance(random_state, np.random.Generator) \
            else random_state
        folds = rng.permutation(n) % cross_fit
        lams = np.empty(cross_fit)
        rect = np.empty(n)
        var_rect = 0.0
        for k in range(cross_fit):  # K folds, a handful of iterations
            out = folds != k
            lams[k] = _tuned_lambda(y[out], f[out], fu) if lam is None else float(lam)
            inside = folds == k
            rect[inside] = y[inside] - lams[k] * f[inside]
            share = inside.sum() / n
            var_rect += share**2 * (y[inside] - lams[k] * f[inside]).var(ddof=1) / inside.sum()
        shares = np.bincount(folds, minlength=cross_fit) / n
        lam_value = float(shares @ lams)
        estimate = lam_value * fu.mean() + rect.mean()
        se = math.sqrt(lam_value**2 * fu.var() / big_n + var_rect)
    return {"estimate": float(estimate), "ci_low": float(estimate - z * se), "ci_high": float(estimate + z * se),
            "standard_error": float(se), "lam": float(lam_value)}


def _target_values(j: Judgments, raters: list, target: str, threshold: float | None, label: str) -> pd.Series:
    scores = per_item_scores(j, raters, label=label)
    if target == "pass_rate":
        cut = _threshold(j, threshold)
        return (scores >= cut).astype(float)
    return scores


def _threshold(j: Judgments, threshold: float | None) -> float:
    if threshold is not None:
        return float(threshold)
    if j.scale.kind == "binary":
        return float(j.scale.numeric_levels()[1])
    raise ValueError("target='pass_rate' on a non-binary scale needs threshold=... (the lowest passing score).")


@validate_params({
    "j": [Judgments],
    "judge": ["str-or-list"],
    "humans": ["str-or-list"],
    "target": [Options(("mean", "pass_rate", "win_rate"))],
    "lam": [Interval("real", 0, 1), None],
    "cross_fit": [Interval("integral", 2, None), None],
    "threshold": [Interval("real", None, None), None],
    "system": [str, None],
    "consensus": [pd.DataFrame, None],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def ppi_estimate(
    j: Judgments,
    *,
    judge: str | Sequence[str],
    humans: str | Sequence[str] = "human",
    target: Literal["mean", "pass_rate", "win_rate"] = "mean",
    lam: float | None = None,
    cross_fit: int | None = None,
    threshold: float | None = None,
    system: str | None = None,
    consensus: pd.DataFrame | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> PPIResult:
    """Prediction-powered estimate of a human-scale metric from judge outputs on every item and human
    labels on a subset (PPI, and PPI++ with a power-tuned lambda).

    Parameters
    ----------
    judge : str or list of str
        The judge (rater id or method), scoring every item.
    humans : str or list of str, default "human"
        Whose labels are the truth on the labelled items (their per-item mean), or ``consensus``.
    target : {"mean", "pass_rate", "win_rate"}
        Mean score; share of items scoring at least ``threshold`` (binary scales: the positive label);
        win rate of ``system_a`` for pairwise preferences (A = 1, tie = 0.5, B = 0).
    lam : float in [0, 1], optional
        0 is the classical (human-only) estimate, 1 plain PPI; None tunes it (PPI++).
    cross_fit : int, optional
        Number of folds to tune lambda out-of-fold (recommended at small n, Angelopoulos et al. 2023b).
    system : str, optional
        Restrict to the items of one system.

    Returns
    -------
    PPIResult
        With ``lam``, the classical interval for comparison and the effective number of labels.

    Notes
    -----
    theta = lam * mean_N(f) + mean_n(Y - lam f); Var = lam^2 Var(f)/N + Var(Y - lam f)/n; normal interval.
    Equal to ``ppi_py.ppi_mean_ci`` (a test checks it to 1e-6).

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import ppi_mean
    >>> j = alignlab.datasets.load("hanna")
    >>> coherence = [f"{i}:Coherence" for i in range(1056)]
    >>> # human labels on the first 150 stories only: drop the others' human ratings
    >>> keep = j.frame[(j.frame.rater_id != "human_mean") | j.frame.item_id.isin(coherence[:150])]
    >>> small = alignlab.load_judgments(keep[keep.item_id.isin(coherence)], scale=j.scale)
    >>> r = ppi_mean(small, judge="Beluga-13B", humans="human")
    >>> 0 <= r.lam <= 1 and r.ci_low < r.estimate < r.ci_high
    True
    """
    if target == "win_rate" and j.scale.kind != "pairwise":
        raise ValueError("target='win_rate' needs pairwise preferences (scale 'pairwise'); use 'mean' instead.")
    if system is not None:
        if not j.has("system"):
            raise ValueError("system=... needs a 'system' column in the table.")
        items = j.item_info.loc[j.item_info["system"] == system, "item_id"]
        if items.empty:
            raise ValueError(f"system={system!r} has no items; systems are {sorted(j.item_info['system'].unique())}.")
        j = j.subset(items=list(items))
    judge_raters = resolve(j, judge, "judge")
    f_all = _target_values(j, judge_raters, target, threshold, "judge")
    if consensus is None:
        y = _target_values(j, resolve(j, humans, "humans"), target, threshold, "humans")
    else:
        y = consensus_scores(j, humans, consensus)
        if target == "pass_rate":
            y = (y >= _threshold(j, threshold)).astype(float)
    labelled = y.index.intersection(f_all.index)
    unlabelled = f_all.index.difference(y.index)
    if len(labelled) < 10:
        raise ValueError(f"Only {len(labelled)} items have both human labels and judge outputs; PPI needs >= 10.")
    if len(unlabelled) < 1:
        raise ValueError("Every judged item also has human labels: there are no unlabelled items to add. "
                         "The classical mean of the human labels is the estimate.")
    yy, ff, fu = (y.loc[labelled].to_numpy(float), f_all.loc[labelled].to_numpy(float),
                  f_all.loc[unlabelled].to_numpy(float))
    out = ppi_arrays(yy, ff, fu, lam=lam, cross_fit=cross_fit, confidence_level=confidence_level,
                     random_state=random_state)
    classical = ppi_arrays(yy, ff, fu, lam=0.0, confidence_level=confidence_level)
    n, big_n = len(yy), len(fu)
    rho = float(np.corrcoef(yy, ff)[0, 1]) if np.ptp(yy) > 0 and np.ptp(ff) > 0 else 0.0
    effective = n * (n + big_n) / (n + (1 - rho**2) * big_n)
    variant = "classical" if lam == 0 else ("PPI" if lam == 1 else ("PPI++" if lam is None else f"PPI(lam={lam:g})"))
    if cross_fit:
        variant += f", cross-fitted lambda ({cross_fit} folds)"
    return PPIResult(
        estimate=out["estimate"], ci_low=out["ci_low"], ci_high=out["ci_high"],
        standard_error=out["standard_error"], lam=out["lam"], confidence_level=confidence_level,
        method=f"{variant}[{target}]", ci_method="normal(prediction-powered variance)",
        n_items=n + big_n, n_raters=len(judge_raters), n_labelled=n, n_unlabelled=big_n,
        classical_estimate=classical["estimate"], classical_ci_low=classical["ci_low"],
        classical_ci_high=classical["ci_high"], effective_n=effective, target=target,
    )


def ppi_mean(
    j: Judgments,
    *,
    judge: str | Sequence[str],
    humans: str | Sequence[str] = "human",
    lam: float | None = None,
    cross_fit: int | None = None,
    consensus: pd.DataFrame | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> PPIResult:
    """Prediction-powered mean score (``ppi_estimate(..., target="mean")``); see :func:`ppi_estimate`.

    Examples
    --------
    >>> import numpy as np, alignlab
    >>> from alignlab.alignment import ppi_mean
    >>> rng = np.random.default_rng(0)
    >>> quality = rng.normal(size=600)
    >>> rows = [{"item": i, "rater": "judge", "method": "llm_judge", "score": q + rng.normal(0, .5)}
    ...         for i, q in enumerate(quality)]
    >>> rows += [{"item": i, "rater": "h", "method": "human", "score": q} for i, q in enumerate(quality[:80])]
    >>> j = alignlab.load_judgments(__import__("pandas").DataFrame(rows), scale="continuous")
    >>> r = ppi_mean(j, judge="judge")
    >>> r.ci_high - r.ci_low < r.classical_ci_high - r.classical_ci_low
    True
    """
    return ppi_estimate(j, judge=judge, humans=humans, target="mean", lam=lam, cross_fit=cross_fit,
                        consensus=consensus, confidence_level=confidence_level, random_state=random_state)


def _binary_labels(j: Judgments, raters: list, label: str, positive: object | None) -> pd.Series:
    if j.scale.kind != "binary":
        raise ValueError(f"rogan_gladen needs a binary scale (pass/fail); this table is {j.scale.describe()}.")
    scores = per_item_scores(j, raters, label=label)
    pos_value = float(j.scale.numeric_levels()[1]) if positive is None else float(positive)
    # several raters: majority (a mean above the midpoint counts as positive)
    neg_value = float(j.scale.numeric_levels()[0])
    return (scores > (pos_value + neg_value) / 2).astype(float) if pos_value > neg_value else \
        (scores < (pos_value + neg_value) / 2).astype(float)


@validate_params({
    "j": [Judgments],
    "judge": ["str-or-list"],
    "humans": ["str-or-list"],
    "confidence_level": CONFIDENCE_LEVEL,
})
def rogan_gladen(
    j: Judgments,
    *,
    judge: str | Sequence[str],
    humans: str | Sequence[str] = "human",
    confidence_level: float = 0.95,
) -> RoganGladenResult:
    """Prevalence (pass rate) corrected for a binary judge's errors (Rogan & Gladen 1978).

    Sensitivity q1 and specificity q0 are estimated on the items with human labels (the calibration
    set); the judge's apparent rate p on every judged item. theta = (p + q0 - 1) / (q0 + q1 - 1),
    clipped to [0, 1]; delta-method variance [Var p + (1 - theta)^2 Var q0 + theta^2 Var q1] /
    (q0 + q1 - 1)^2, which carries the calibration set's uncertainty.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import rogan_gladen
    >>> j = alignlab.datasets.load("bluebird")
    >>> frame = j.frame.assign(method=j.frame["rater_id"].map(lambda r: "llm_judge" if r == 39 else "human"))
    >>> r = rogan_gladen(alignlab.load_judgments(frame, scale=j.scale), judge="llm_judge")
    >>> 0 <= r.estimate <= 1
    True
    """
    pred = _binary_labels(j, resolve(j, judge, "judge"), "judge", None)
    truth = _binary_labels(j, resolve(j, humans, "humans"), "humans", None)
    calib = truth.index.intersection(pred.index)
    t, p_cal = truth.loc[calib].to_numpy(), pred.loc[calib].to_numpy()
    n_pos, n_neg = int((t == 1).sum()), int((t == 0).sum())
    if n_pos < 5 or n_neg < 5:
        raise ValueError(f"The calibration set (items with human labels and judge outputs) has {n_pos} positives "
                         f"and {n_neg} negatives; sensitivity and specificity need at least 5 of each.")
    q1 = float(p_cal[t == 1].mean())
    q0 = float(1 - p_cal[t == 0].mean())
    apparent = float(pred.mean())
    big_n = len(pred)
    youden = q0 + q1 - 1
    warnings = []
    if youden <= 0.05:
        raise ValueError(f"The judge is no better than chance (sensitivity {q1:.3f} + specificity {q0:.3f} - 1 = "
                         f"{youden:.3f}); the Rogan-Gladen correction is undefined.")
    raw = (apparent + q0 - 1) / youden
    theta = float(np.clip(raw, 0, 1))
    if raw != theta:
        warnings.append(f"corrected prevalence {raw:.3f} clipped to [0, 1]")
    var = (apparent * (1 - apparent) / big_n + (1 - theta) ** 2 * q0 * (1 - q0) / n_neg
           + theta**2 * q1 * (1 - q1) / n_pos) / youden**2
    se = math.sqrt(var)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    return RoganGladenResult(
        estimate=theta, ci_low=max(0.0, theta - z * se), ci_high=min(1.0, theta + z * se), standard_error=se,
        confidence_level=confidence_level, method="rogan_gladen", ci_method="normal(delta method, clipped to [0, 1])",
        n_items=big_n, n_raters=len(resolve(j, judge, "judge")), apparent=apparent, sensitivity=q1,
        specificity=q0, n_calibration=len(calib), warnings=tuple(warnings),
    )


@validate_params({
    "j": [Judgments],
    "judge": ["str-or-list"],
    "humans": ["str-or-list"],
    "target_width": [Interval("real", 0, None, closed="neither")],
    "cost_human": [Interval("real", 0, None, closed="neither")],
    "cost_judge": [Interval("real", 0, None)],
    "max_unlabelled": [Interval("integral", 0, None), None],
    "confidence_level": CONFIDENCE_LEVEL,
})
def label_budget(
    j: Judgments,
    *,
    judge: str | Sequence[str],
    humans: str | Sequence[str] = "human",
    target_width: float,
    cost_human: float = 1.0,
    cost_judge: float = 0.01,
    max_unlabelled: int | None = None,
    confidence_level: float = 0.95,
) -> LabelBudgetResult:
    """Cheapest human/judge split for a target interval width of a PPI++ mean.

    From the pilot data: sigma_Y (human score SD) and rho = corr(Y, judge) on the labelled items. With
    n human labels and N extra judge-only items, PPI++ behaves like ``n_eff = n (n + N) / (n + (1 - rho^2) N)``
    human labels (METHODS.md), so the width is ``2 z sigma_Y / sqrt(n_eff)``. For each n the smallest N
    reaching the width is found in closed form; cost = ``cost_human * n + cost_judge * (n + N)``. The table
    also gives the plan under the pessimistic rho (lower end of its Fisher-z interval).

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import label_budget
    >>> j = alignlab.datasets.load("hanna").subset(items=[f"{i}:Coherence" for i in range(1056)])
    >>> plan = label_budget(j, judge="Beluga-13B", target_width=0.1)
    >>> plan.recommended["n_labelled"] < plan.recommended["n_human_only"]
    True
    """
    f = per_item_scores(j, resolve(j, judge, "judge"), label="judge")
    y = per_item_scores(j, resolve(j, humans, "humans"), label="humans")
    common = y.index.intersection(f.index)
    if len(common) < 10:
        raise ValueError(f"label_budget needs a pilot of at least 10 items with human labels and judge outputs; "
                         f"got {len(common)}.")
    yy, ff = y.loc[common].to_numpy(float), f.loc[common].to_numpy(float)
    sigma = float(yy.std(ddof=1))
    rho = float(np.corrcoef(yy, ff)[0, 1]) if np.ptp(ff) > 0 else 0.0
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    zr = math.atanh(np.clip(rho, -0.999999, 0.999999))
    rho_low = math.tanh(zr - z / math.sqrt(max(len(common) - 3, 1)))
    needed = (2 * z * sigma / target_width) ** 2  # n_eff needed
    rows = []
    for label, r in (("pilot rho", rho), ("pessimistic rho", max(rho_low, 0.0))):
        keep = 1 - r**2
        grid = np.unique(np.clip(np.geomspace(max(2.0, needed * keep * 1.001), needed, 60).round(), 2, None))
        for n in grid:
            if n >= needed:
                extra = 0.0
            else:
                extra = math.ceil(n * (needed - n) / (n - needed * keep))
            if max_unlabelled is not None and extra > max_unlabelled:
                continue
            n_eff = n * (n + extra) / (n + keep * extra)
            rows.append({"scenario": label, "rho": r, "n_labelled": int(n), "n_judge_only": int(extra),
                         "effective_n": n_eff, "width": 2 * z * sigma / math.sqrt(n_eff),
                         "cost": cost_human * n + cost_judge * (n + extra)})
    table = pd.DataFrame(rows)
    best = table[table["scenario"] == "pilot rho"].sort_values("cost").iloc[0]
    recommended = {key: (val.item() if hasattr(val, "item") else val) for key, val in best.items()}
    recommended["n_human_only"] = int(math.ceil(needed))
    recommended["cost_human_only"] = float(math.ceil(needed) * cost_human)
    recommended["rho_ci_low"] = rho_low
    return LabelBudgetResult(table=table, recommended=recommended, confidence_level=confidence_level,
                             method=f"label_budget(PPI++ effective n; target width {target_width:g})")

