"""Corrected metric estimates: prediction-powered inference, Rogan-Gladen, label-budget planning."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment._data import consensus_scores, item_weights, per_item_scores, resolve, weights_ignored
from alignlab.alignment._results import LabelBudgetResult, PPIResult, RoganGladenResult
from alignlab.data.judgments import Judgments

__all__ = ["ppi_mean", "ppi_estimate", "ppi_arrays", "rogan_gladen", "label_budget"]


def _normalised(weights: np.ndarray | None, n: int) -> np.ndarray:
    """Weights rescaled to mean 1 (ppi_py's ``construct_weight_vector``); ones when None."""
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum() * n


def _tuned_lambda(y: np.ndarray, f: np.ndarray, f_unlabelled: np.ndarray, w: np.ndarray | None = None,
                  w_unlabelled: np.ndarray | None = None) -> float:
    """PPI++ power tuning for a mean: Cov(g, g_hat) / ((1 + n/N) Var(g_hat)), clipped to [0, 1].

    Same estimator as ppi_py (``_calc_lam_glm`` for the mean, gradients ``w (Y - theta_PPI)`` etc.:
    covariance with 1/n, variance of the judge gradients over labelled and unlabelled items with
    ddof=1), so intervals agree to rounding; with unit weights the shift by theta cancels.
    """
    n, big_n = len(y), len(f_unlabelled)
    w, wu = _normalised(w, n), _normalised(w_unlabelled, big_n)
    point = np.mean(wu * f_unlabelled) + np.mean(w * (y - f))
    grads, grads_hat, grads_unlabelled = w * (y - point), w * (f - point), wu * (f_unlabelled - point)
    cov = np.mean((grads - grads.mean()) * (grads_hat - grads_hat.mean()))
    var = np.var(np.concatenate([grads_hat, grads_unlabelled]), ddof=1)
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
    weights: np.ndarray | None = None,
    weights_unlabelled: np.ndarray | None = None,
) -> dict[str, float]:
    """PPI / PPI++ estimate of E[Y] from labels ``y`` with judge outputs ``f`` on the same items and
    ``f_unlabelled`` on the others. ``lam=None`` power-tunes; ``cross_fit=K`` tunes lambda on the other
    K - 1 folds of the labelled items (no reuse of a fold's labels for its own lambda).

    ``weights`` / ``weights_unlabelled`` are sampling weights of the labelled / unlabelled items, each set
    rescaled to mean 1 as ppi_py does (``ppi_mean_ci(..., w=, w_unlabeled=)``): the estimate is
    ``mean_N(w_u lam f_u) + mean_n(w (Y - lam f))`` with variance ``Var(w_u lam f_u)/N + Var(w (Y - lam f))/n``.

    Returns a dict with ``estimate``, ``ci_low``, ``ci_high``, ``standard_error``, ``lam``.
    """
    y, f, fu = (np.asarray(v, dtype=float) for v in (y, f, f_unlabelled))
    n, big_n = len(y), len(fu)
    w, wu = _normalised(weights, n), _normalised(weights_unlabelled, big_n)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    if cross_fit is None:
        lam_value = _tuned_lambda(y, f, fu, w, wu) if lam is None else float(lam)
        estimate = np.mean(wu * lam_value * fu) + np.mean(w * (y - lam_value * f))
        se = math.sqrt((wu * lam_value * fu).std() ** 2 / big_n + (w * (y - lam_value * f)).std() ** 2 / n)
    else:
        rng = check_random_state(random_state)
        folds = rng.permutation(n) % cross_fit
        lams = np.empty(cross_fit)
        rect = np.empty(n)
        var_rect = 0.0
        for k in range(cross_fit):  # K folds, a handful of iterations
            out = folds != k
            lams[k] = _tuned_lambda(y[out], f[out], fu, w[out], wu) if lam is None else float(lam)
            inside = folds == k
            rect[inside] = w[inside] * (y[inside] - lams[k] * f[inside])
            share = inside.sum() / n
            var_rect += share**2 * rect[inside].var(ddof=1) / inside.sum()
        shares = np.bincount(folds, minlength=cross_fit) / n
        lam_value = float(shares @ lams)
        estimate = lam_value * np.mean(wu * fu) + rect.mean()
        se = math.sqrt(lam_value**2 * (wu * fu).var() / big_n + var_rect)
    return {"estimate": float(estimate), "ci_low": float(estimate - z * se), "ci_high": float(estimate + z * se),
            "standard_error": float(se), "lam": float(lam_value)}


def _target_values(judgments: Judgments, raters: list, target: str, threshold: float | None, label: str) -> pd.Series:
    scores = per_item_scores(judgments, raters, label=label)
    if target == "pass_rate":
        cut = _threshold(judgments, threshold)
        return (scores >= cut).astype(float)
    return scores


def _threshold(judgments: Judgments, threshold: float | None) -> float:
    if threshold is not None:
        return float(threshold)
    if judgments.scale.kind == "binary":
        return float(judgments.scale.numeric_levels()[1])
    raise InvalidParameterError("target='pass_rate' on a non-binary scale needs threshold=... (the lowest passing score).")


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "target": [Options(("mean", "pass_rate", "win_rate"))],
    "lam": [Interval("real", 0, 1), None],
    "cross_fit": [Interval("integral", 2, None), None],
    "threshold": [Interval("real", None, None), None],
    "system": [str, None],
    "contrast": [list, tuple, None],
    "group": [str, None],
    "consensus": [pd.DataFrame, None],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def ppi_estimate(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
    target: Literal["mean", "pass_rate", "win_rate"] = "mean",
    lam: float | None = None,
    cross_fit: int | None = None,
    threshold: float | None = None,
    system: str | None = None,
    contrast: Sequence[str] | None = None,
    group: str | None = None,
    consensus: pd.DataFrame | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> PPIResult:
    """Prediction-powered estimate of a human-scale metric from judge outputs on every item and human
    labels on a subset (PPI, and PPI++ with a power-tuned lambda).

    Parameters
    ----------
    raters : str or list of str
        The judge (rater id or method), scoring every item.
    reference : str or list of str, default "human"
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
    contrast : (str, str), optional
        A/B comparison: the difference ``target(system A) - target(system B)`` of two values of the
        ``system`` column. With ``group`` (the column naming the input both systems answered) the design is
        paired: PPI of the per-input difference, on the inputs where the judge scored both outputs,
        labelled where the humans labelled both (equal to ``ppi_py.ppi_mean_ci`` on the differences).
        Without ``group`` the two systems' PPI means are independent: the estimate is their difference,
        the variances add, and lambda is tuned per system (``lam`` for A, ``lam_b`` for B).
    group : str, optional
        Column naming the shared input (prompt), for the paired ``contrast``.

    Returns
    -------
    PPIResult
        With ``lam``, the classical interval for comparison and the effective number of labels.

    Notes
    -----
    theta = lam * mean_N(f) + mean_n(Y - lam f); Var = lam^2 Var(f)/N + Var(Y - lam f)/n; normal interval.
    Equal to ``ppi_py.ppi_mean_ci`` (a test checks it to 1e-6). The table's ``weight`` column enters as
    item sampling weights (the mean weight of each item's judgments; the mean of the two items' weights
    per input in a paired contrast), rescaled to mean 1 within the labelled and the unlabelled items as
    ``ppi_mean_ci(..., w=, w_unlabeled=)`` does.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import ppi_mean
    >>> j = alignlab.datasets.load("hanna")
    >>> coherence = [f"{i}:Coherence" for i in range(1056)]
    >>> # human labels on the first 150 stories only: drop the others' human ratings
    >>> keep = j.frame[(j.frame.rater_id != "human_mean") | j.frame.item_id.isin(coherence[:150])]
    >>> small = alignlab.load_judgments(keep[keep.item_id.isin(coherence)], scale=j.scale)
    >>> r = ppi_mean(small, raters="Beluga-13B", reference="human")
    >>> 0 <= r.lam <= 1 and r.ci_low < r.estimate < r.ci_high
    True
    """
    if target == "win_rate" and judgments.scale.kind != "pairwise":
        raise InvalidParameterError("target='win_rate' needs pairwise preferences (scale 'pairwise'); use 'mean' instead.")
    if contrast is not None and system is not None:
        raise DataError("Give system=... (one system's metric) or contrast=(A, B) (a difference), not both.")
    if group is not None and contrast is None:
        raise DataError("group=... pairs the two systems of contrast=(A, B); pass contrast as well.")
    if (system is not None or contrast is not None) and not judgments.has("system"):
        raise DataError("system=... and contrast=... need a 'system' column in the table.")
    judge_raters = resolve(judgments, raters, "raters")
    if system is not None:
        judgments = judgments.subset(items=list(_system_items(judgments, system)))
    f_all = _target_values(judgments, judge_raters, target, threshold, "judge")
    if consensus is None:
        y = _target_values(judgments, resolve(judgments, reference, "reference"), target, threshold, "humans")
    else:
        y = consensus_scores(judgments, reference, consensus)
        if target == "pass_rate":
            y = (y >= _threshold(judgments, threshold)).astype(float)
    weights = item_weights(judgments, judgments.items)
    weight = None if weights is None else pd.Series(weights, index=judgments.items)
    options = {"lam": lam, "cross_fit": cross_fit, "confidence_level": confidence_level,
               "random_state": random_state}
    variant = "classical" if lam == 0 else ("PPI" if lam == 1 else ("PPI++" if lam is None else f"PPI(lam={lam:g})"))
    if cross_fit:
        variant += f", cross-fitted lambda ({cross_fit} folds)"
    notes = [] if weight is None else ["weighted by the mean 'weight' of each item's judgments (sampling weights)"]
    common = {"confidence_level": confidence_level, "ci_method": "normal(prediction-powered variance)",
              "n_raters": len(judge_raters), "target": target}
    if contrast is None:
        out = _ppi_series(f_all, y, weight, options)
        return PPIResult(method=f"{variant}[{target}]", warnings=tuple(notes), **out, **common)
    if len(contrast) != 2 or contrast[0] == contrast[1]:
        raise DataError(f"contrast must name two different systems (A, B); got {contrast!r}.")
    first, second = (_system_items(judgments, name) for name in contrast)
    label = f"{contrast[0]} - {contrast[1]}"
    if group is None:
        out_a = _ppi_series(f_all.reindex(f_all.index.intersection(first)), y, weight, options)
        out_b = _ppi_series(f_all.reindex(f_all.index.intersection(second)), y, weight, options)
        se = math.hypot(out_a["standard_error"], out_b["standard_error"])
        z = stats.norm.ppf(0.5 + confidence_level / 2)
        estimate = out_a["estimate"] - out_b["estimate"]
        classical = out_a["classical_estimate"] - out_b["classical_estimate"]
        classical_se = math.hypot(*(0.5 * (o["classical_ci_high"] - o["classical_ci_low"]) / z for o in (out_a, out_b)))
        return PPIResult(
            estimate=estimate, ci_low=estimate - z * se, ci_high=estimate + z * se, standard_error=se,
            lam=out_a["lam"], lam_b=out_b["lam"], n_items=out_a["n_items"] + out_b["n_items"],
            n_labelled=out_a["n_labelled"] + out_b["n_labelled"],
            n_unlabelled=out_a["n_unlabelled"] + out_b["n_unlabelled"], classical_estimate=classical,
            classical_ci_low=classical - z * classical_se, classical_ci_high=classical + z * classical_se,
            effective_n=math.nan, contrast=label, method=f"{variant}[{target} difference, independent systems]",
            warnings=tuple(notes), **common)
    if group not in judgments.frame.columns:
        raise InvalidParameterError(f"The 'group' argument names column {group!r}, which is not in the table; columns are "
                         f"{list(judgments.frame.columns)}.")
    inputs = judgments.frame.drop_duplicates("item_id").set_index("item_id")[group]
    by_input = []
    for items in (first, second):
        keys = inputs.loc[items]
        if keys.duplicated().any():
            raise DataError(f"Column {group!r} repeats an input within one system (e.g. {keys[keys.duplicated()].iloc[0]!r}); "
                             "a paired contrast needs one output per system and input.")
        by_input.append(pd.Series(items, index=keys.to_numpy()))
    shared = by_input[0].index.intersection(by_input[1].index)
    item_a, item_b = by_input[0].loc[shared].to_numpy(), by_input[1].loc[shared].to_numpy()
    judged = f_all.index
    both_judged = pd.Index(item_a).isin(judged) & pd.Index(item_b).isin(judged)  # hashed, any id type
    item_a, item_b, shared = item_a[both_judged], item_b[both_judged], shared[both_judged]
    if len(shared) == 0:
        raise DataError(f"No input in column {group!r} has judge outputs for both {contrast[0]!r} and "
                         f"{contrast[1]!r}; drop group=... for independent systems.")
    f_diff = pd.Series(f_all.loc[item_a].to_numpy() - f_all.loc[item_b].to_numpy(), index=shared)
    has_a, has_b = pd.Index(item_a).isin(y.index), pd.Index(item_b).isin(y.index)
    labelled = has_a & has_b
    y_diff = pd.Series(y.reindex(item_a[labelled]).to_numpy() - y.reindex(item_b[labelled]).to_numpy(),
                       index=shared[labelled])
    half = int((has_a ^ has_b).sum())
    if half:
        notes.append(f"{half} inputs with human labels on only one of the two outputs count as unlabelled")
    pair_weight = None if weight is None else pd.Series(
        0.5 * (weight.loc[item_a].to_numpy() + weight.loc[item_b].to_numpy()), index=shared)
    out = _ppi_series(f_diff, y_diff, pair_weight, options)
    return PPIResult(method=f"{variant}[{target} difference, paired by {group}]", contrast=label,
                     warnings=tuple(notes), **out, **common)


def _system_items(judgments: Judgments, system: str) -> pd.Index:
    items = judgments.item_info.loc[judgments.item_info["system"] == system, "item_id"]
    if items.empty:
        raise DataError(f"system {system!r} has no items; systems are {sorted(judgments.item_info['system'].unique())}.")
    return pd.Index(items)


def _ppi_series(f_all: pd.Series, y: pd.Series, weight: pd.Series | None, options: dict) -> dict:
    """PPI on per-item (or per-input) series: labelled = items with a label and a judge output."""
    labelled = y.index.intersection(f_all.index)
    unlabelled = f_all.index.difference(y.index)
    if len(labelled) < 10:
        raise DataError(f"Only {len(labelled)} items have both human labels and judge outputs; PPI needs >= 10.")
    if len(unlabelled) < 1:
        raise DataError("Every judged item also has human labels: there are no unlabelled items to add. "
                         "The classical mean of the human labels is the estimate.")
    yy, ff, fu = (y.loc[labelled].to_numpy(float), f_all.loc[labelled].to_numpy(float),
                  f_all.loc[unlabelled].to_numpy(float))
    w = wu = None
    if weight is not None:
        w, wu = weight.loc[labelled].to_numpy(float), weight.loc[unlabelled].to_numpy(float)
    out = ppi_arrays(yy, ff, fu, weights=w, weights_unlabelled=wu, **options)
    classical = ppi_arrays(yy, ff, fu, lam=0.0, confidence_level=options["confidence_level"], weights=w,
                           weights_unlabelled=wu)
    n, big_n = len(yy), len(fu)
    rho = float(np.corrcoef(yy, ff)[0, 1]) if np.ptp(yy) > 0 and np.ptp(ff) > 0 else 0.0
    return {"estimate": out["estimate"], "ci_low": out["ci_low"], "ci_high": out["ci_high"],
            "standard_error": out["standard_error"], "lam": out["lam"], "n_items": n + big_n, "n_labelled": n,
            "n_unlabelled": big_n, "classical_estimate": classical["estimate"],
            "classical_ci_low": classical["ci_low"], "classical_ci_high": classical["ci_high"],
            "effective_n": n * (n + big_n) / (n + (1 - rho**2) * big_n)}


def ppi_mean(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
    lam: float | None = None,
    cross_fit: int | None = None,
    consensus: pd.DataFrame | None = None,
    contrast: Sequence[str] | None = None,
    group: str | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> PPIResult:
    """Prediction-powered mean score (``ppi_estimate(..., target="mean")``); see :func:`ppi_estimate`.

    ``contrast=(A, B)`` estimates the difference of two systems' mean scores (paired by ``group``).

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
    >>> r = ppi_mean(j, raters="judge")
    >>> r.ci_high - r.ci_low < r.classical_ci_high - r.classical_ci_low
    True
    """
    return ppi_estimate(judgments, raters=raters, reference=reference, target="mean", lam=lam, cross_fit=cross_fit,
                        consensus=consensus, contrast=contrast, group=group, confidence_level=confidence_level,
                        random_state=random_state)


def _binary_labels(judgments: Judgments, raters: list, label: str, positive: object | None) -> pd.Series:
    if judgments.scale.kind != "binary":
        raise DataError(f"rogan_gladen needs a binary scale (pass/fail); this table is {judgments.scale.describe()}.")
    scores = per_item_scores(judgments, raters, label=label)
    pos_value = float(judgments.scale.numeric_levels()[1]) if positive is None else float(positive)
    # several raters: majority (a mean above the midpoint counts as positive)
    neg_value = float(judgments.scale.numeric_levels()[0])
    return (scores > (pos_value + neg_value) / 2).astype(float) if pos_value > neg_value else \
        (scores < (pos_value + neg_value) / 2).astype(float)


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "confidence_level": CONFIDENCE_LEVEL,
})
def rogan_gladen(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
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
    >>> r = rogan_gladen(alignlab.load_judgments(frame, scale=j.scale), raters="llm_judge")
    >>> 0 <= r.estimate <= 1
    True
    """
    pred = _binary_labels(judgments, resolve(judgments, raters, "raters"), "judge", None)
    truth = _binary_labels(judgments, resolve(judgments, reference, "reference"), "humans", None)
    calib = truth.index.intersection(pred.index)
    t, p_cal = truth.loc[calib].to_numpy(), pred.loc[calib].to_numpy()
    n_pos, n_neg = int((t == 1).sum()), int((t == 0).sum())
    if n_pos < 5 or n_neg < 5:
        raise DataError(f"The calibration set (items with human labels and judge outputs) has {n_pos} positives "
                         f"and {n_neg} negatives; sensitivity and specificity need at least 5 of each.")
    q1 = float(p_cal[t == 1].mean())
    q0 = float(1 - p_cal[t == 0].mean())
    apparent = float(pred.mean())
    big_n = len(pred)
    youden = q0 + q1 - 1
    warnings = []
    ignored = weights_ignored(judgments, "rogan_gladen", "sensitivity, specificity and the apparent rate are unweighted "
                              "proportions (use ppi_estimate(target='pass_rate') for weighted items)")
    if ignored:
        warnings.append(ignored)
    if youden <= 0.05:
        raise DataError(f"The judge is no better than chance (sensitivity {q1:.3f} + specificity {q0:.3f} - 1 = "
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
        n_items=big_n, n_raters=len(resolve(judgments, raters, "raters")), apparent=apparent, sensitivity=q1,
        specificity=q0, n_calibration=len(calib), warnings=tuple(warnings),
    )


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "target_width": [Interval("real", 0, None, closed="neither")],
    "cost_human": [Interval("real", 0, None, closed="neither")],
    "cost_judge": [Interval("real", 0, None)],
    "max_unlabelled": [Interval("integral", 0, None), None],
    "confidence_level": CONFIDENCE_LEVEL,
})
def label_budget(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
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
    >>> plan = label_budget(j, raters="Beluga-13B", target_width=0.1)
    >>> plan.recommended["n_labelled"] < plan.recommended["n_human_only"]
    True
    """
    weights_ignored(judgments, "label_budget", "the plan assumes simple random sampling of items")
    f = per_item_scores(judgments, resolve(judgments, raters, "raters"), label="judge")
    y = per_item_scores(judgments, resolve(judgments, reference, "reference"), label="humans")
    common = y.index.intersection(f.index)
    if len(common) < 10:
        raise DataError(f"label_budget needs a pilot of at least 10 items with human labels and judge outputs; "
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

