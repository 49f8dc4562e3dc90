"""A judge against the human ceiling: leave-one-rater-out agreement and the alternative annotator test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment._data import label_numbers, resolve, weights_ignored
from alignlab.alignment._results import AltTestResult, HumanCeilingResult
from alignlab.data.judgments import Judgments

__all__ = ["alt_test", "human_ceiling"]


@dataclass(frozen=True)
class _Panel:
    """Humans (items x humans) and the judge (items) on the items the judge rated."""

    items: pd.Index
    humans: list[Any]
    codes: np.ndarray  # items x humans label codes (-1 missing), discrete scales
    values: np.ndarray  # items x humans numeric (NaN missing)
    judge_code: np.ndarray  # items
    judge_value: np.ndarray  # items
    discrete: bool
    n_categories: int


def _panel(judgments: Judgments, judge: Any, humans: Any) -> _Panel:
    judge_raters = resolve(judgments, judge, "judge")
    if len(judge_raters) != 1:
        raise InvalidParameterError(f"The 'raters' argument must name one rater; {judge!r} resolves to {len(judge_raters)} "
                         f"raters ({judge_raters[:5]}). Pass a rater id.")
    human_raters = [r for r in resolve(judgments, humans, "humans") if r != judge_raters[0]]
    if len(human_raters) < 2:
        raise DataError(f"Comparing a judge with the humans needs at least 2 human raters; {humans!r} gives "
                         f"{len(human_raters)}.")
    raters = list(judgments.raters)
    h_idx = [raters.index(r) for r in human_raters]
    j_idx = raters.index(judge_raters[0])
    discrete = judgments.scale.is_discrete
    if discrete:
        mat = judgments.matrix("code")
        codes = np.where(np.isnan(mat), -1, mat).astype(np.int64)
    else:
        codes = np.full((judgments.n_items, judgments.n_raters), -1, dtype=np.int64)
    if judgments.scale.kind == "continuous":
        vals = judgments.matrix("value")
    else:  # numeric value of each label code (pairwise: A = 1, tie = 0.5, B = 0; categorical: the code)
        code_matrix = judgments.matrix("code")
        if judgments.scale.kind == "categorical":
            lookup = np.arange(judgments.scale.n_categories, dtype=float)
        else:
            lookup = label_numbers(judgments.scale)
        vals = np.where(np.isnan(code_matrix), np.nan, lookup[np.nan_to_num(code_matrix).astype(np.int64)])
    judged = ~np.isnan(vals[:, j_idx])
    return _Panel(
        items=judgments.items[judged], humans=human_raters, codes=codes[judged][:, h_idx], values=vals[judged][:, h_idx],
        judge_code=codes[judged, j_idx], judge_value=vals[judged, j_idx], discrete=discrete,
        n_categories=judgments.scale.n_categories if judgments.scale.is_discrete else 0,
    )


def _scores_vs_others(panel: _Panel, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (item, human) cell: score of the human and of the judge against the other humans.

    Returns ``(s_human, s_judge, usable)`` arrays of shape items x humans; usable cells have the human's
    label and at least one other human.
    """
    present = ~np.isnan(panel.values)
    n_i = present.sum(axis=1, keepdims=True)
    usable = present & (n_i >= 2)
    n_other = np.maximum(n_i - 1, 1)
    if metric == "accuracy":
        k = panel.n_categories
        counts = np.zeros((len(panel.items), k))
        rows, cols = np.nonzero(present)
        np.add.at(counts, (rows, panel.codes[rows, cols]), 1.0)
        own = np.where(present, panel.codes, 0)
        same_as_own = np.take_along_axis(counts, own, axis=1) - 1.0
        judge_label = np.clip(panel.judge_code, 0, None)
        judge_hits = counts[np.arange(len(panel.items)), judge_label][:, None] - (own == judge_label[:, None])
        return same_as_own / n_other, judge_hits / n_other, usable
    # neg_rmse: -sqrt(mean over the other humans of (pred - other)^2)
    v = np.where(present, panel.values, 0.0)
    total, total_sq = v.sum(axis=1, keepdims=True), (v * v).sum(axis=1, keepdims=True)
    other_sum, other_sq = total - v, total_sq - v * v

    def neg_rmse(pred: np.ndarray) -> np.ndarray:
        mse = (n_other * pred**2 - 2 * pred * other_sum + other_sq) / n_other
        return -np.sqrt(np.maximum(mse, 0.0))

    return neg_rmse(v), neg_rmse(np.broadcast_to(panel.judge_value[:, None], v.shape)), usable


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "epsilon": [Interval("real", 0, 1)],
    "q": [Interval("real", 0, 1, closed="neither")],
    "metric": [Options(("auto", "accuracy", "neg_rmse"))],
    "min_items_per_human": [Interval("integral", 2, None)],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def alt_test(
    judgments: Judgments,
    *,
    raters: str,
    reference: str | Sequence[str] = "human",
    epsilon: float = 0.2,
    q: float = 0.05,
    metric: Literal["auto", "accuracy", "neg_rmse"] = "auto",
    min_items_per_human: int = 30,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> AltTestResult:
    """The alternative annotator test: can the judge replace the human annotators?

    For every human judgments with at least ``min_items_per_human`` items (each also rated by the judge and at
    least one other human): on each item, S_f = score(judge, other humans) and S_h = score(judgments, other
    humans); W_f = 1[S_f >= S_h], W_h = 1[S_h >= S_f]; a one-sided t-test of H0: mean(W_h - W_f) >= epsilon;
    Benjamini-Yekutieli at ``q`` over the humans. The winning rate omega is the share of humans rejected;
    the judge passes when omega >= 0.5. The advantage probability rho = mean_j mean_i W_f ranks judges.

    Parameters
    ----------
    raters : str
        The judge's rater id (one rater).
    reference : str or list of str, default "human"
        The human annotators (at least 2, ideally 3 or more per item).
    epsilon : float
        Cost-benefit allowance: 0.2 for experts, 0.15 skilled annotators, 0.1 crowd workers.
    q : float
        False discovery rate of the Benjamini-Yekutieli procedure.
    metric : {"auto", "accuracy", "neg_rmse"}
        Alignment score; ``auto`` is accuracy for categorical/binary/pairwise labels, negative RMSE for
        ordinal and continuous scores.
    min_items_per_human : int
        Humans with fewer usable items are left out (listed in ``warnings``); the t-test needs ~30.

    Returns
    -------
    AltTestResult
        ``estimate`` is the advantage probability rho with a bootstrap interval over items;
        ``winning_rate``, ``passed`` and a ``per_annotator`` table (n, p-value, rejected, rho_j).

    Notes
    -----
    Calderon, Reichart & Dror (2025), ACL. Items with a single human are dropped, as in the authors' code.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import alt_test
    >>> j = alignlab.datasets.load("pandalm")
    >>> res = alt_test(j, raters="gpt-3.5-turbo", epsilon=0.2, n_resamples=200, random_state=0)
    >>> res.passed, 0 <= res.winning_rate <= 1
    (False, True)
    """
    panel = _panel(judgments, raters, reference)
    if metric == "auto":
        metric = "neg_rmse" if judgments.scale.kind in ("ordinal", "continuous") else "accuracy"
    if metric == "neg_rmse" and judgments.scale.kind == "categorical":
        raise InvalidParameterError("metric='neg_rmse' needs ordered scores; unordered categorical labels use 'accuracy'.")
    if metric == "accuracy" and not panel.discrete:
        raise InvalidParameterError("metric='accuracy' needs discrete labels; use metric='neg_rmse' for scores.")
    s_h, s_f, usable = _scores_vs_others(panel, metric)
    w_f = (s_f >= s_h) & usable
    w_h = (s_h >= s_f) & usable
    n_per_human = usable.sum(axis=0)
    keep = n_per_human >= min_items_per_human
    warnings: list[str] = []
    ignored = weights_ignored(judgments, "alt_test", "the per-annotator t-tests of Calderon et al. (2025) are unweighted")
    if ignored:
        warnings.append(ignored)
    if not keep.any():
        raise DataError(
            f"No human annotator has {min_items_per_human} items that the judge and at least one other human "
            f"also rated (most: {int(n_per_human.max())}). The alt-test needs >= 2 humans per item and >= 30 "
            "items per human; annotate more items or lower min_items_per_human (then the t-test is approximate)."
        )
    if (~keep).any():
        skipped = [str(h) for h, k in zip(panel.humans, keep, strict=True) if not k]
        warnings.append(f"{len(skipped)} annotators with < {min_items_per_human} usable items left out: "
                        f"{', '.join(skipped[:10])}")
    p_values, rho_j = [], []
    for col in np.flatnonzero(keep):  # one t-test per annotator (a handful)
        rows = usable[:, col]
        d = w_h[rows, col].astype(float) - w_f[rows, col].astype(float)
        p_values.append(_one_sided_t(d, epsilon))
        rho_j.append(float(w_f[rows, col].mean()))
    reject = multipletests(p_values, alpha=q, method="fdr_by")[0]
    omega = float(reject.mean())
    rho = float(np.mean(rho_j))
    cols = np.flatnonzero(keep)
    wf, us = w_f[:, cols].astype(float), usable[:, cols].astype(float)

    def rho_stat(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nanmean((w @ wf) / (w @ us), axis=1)

    outcome = bootstrap(rho_stat, len(panel.items), estimate=rho, n_resamples=n_resamples,
                        confidence_level=confidence_level, method="percentile", random_state=random_state)
    per = pd.DataFrame({
        "annotator": [panel.humans[c] for c in cols], "n_items": n_per_human[cols], "p_value": p_values,
        "rejected": reject, "advantage_probability": rho_j,
        "human_win_rate": [float(w_h[usable[:, c], c].mean()) for c in cols],
    })
    return AltTestResult(
        estimate=rho, ci_low=outcome.low, ci_high=outcome.high, standard_error=outcome.standard_error,
        confidence_level=confidence_level, method=f"alt_test[{metric}, epsilon={epsilon:g}, BY q={q:g}]",
        ci_method=outcome.ci_method + " for the advantage probability", n_items=int(usable.any(axis=1).sum()),
        n_raters=int(keep.sum()), passed=omega >= 0.5, winning_rate=omega, advantage_probability=rho,
        epsilon=epsilon, q=q, judge=str(raters), per_annotator=per, warnings=tuple(warnings),
    )


def _one_sided_t(d: np.ndarray, epsilon: float) -> float:
    """p-value of H0: mean(d) >= epsilon vs mean(d) < epsilon (scipy ttest_1samp, alternative='less')."""
    if d.size < 2:
        return 1.0
    if np.ptp(d) == 0:  # no variance: the test is decided by the mean alone
        return 0.0 if d[0] < epsilon else 1.0
    return float(stats.ttest_1samp(d, epsilon, alternative="less").pvalue)


def _loo_targets(panel: _Panel, rng: np.random.Generator, *, use_mode: bool) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-rater-out target per (item, human): mode of the others (seeded tie-break) for discrete
    labels, mean of the others for scores. Returns ``(target, usable)``."""
    present = ~np.isnan(panel.values)
    n_i = present.sum(axis=1, keepdims=True)
    usable = present & (n_i >= 2)
    if panel.discrete and use_mode:
        k = panel.n_categories
        counts = np.zeros((len(panel.items), k))
        rows, cols = np.nonzero(present)
        np.add.at(counts, (rows, panel.codes[rows, cols]), 1.0)
        own = np.where(present, panel.codes, 0)
        others = counts[:, None, :] - (np.arange(k)[None, None, :] == own[:, :, None]) * present[:, :, None]
        top = others.max(axis=2, keepdims=True)
        noise = rng.random(others.shape) * (others == top)
        return np.argmax(noise + (others == top) * 2.0, axis=2).astype(float), usable
    v = np.where(present, panel.values, 0.0)
    others_mean = (v.sum(axis=1, keepdims=True) - v) / np.maximum(n_i - 1, 1)
    return others_mean, usable


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def human_ceiling(
    judgments: Judgments,
    *,
    raters: str,
    reference: str | Sequence[str] = "human",
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = 0,
) -> HumanCeilingResult:
    """Judge-vs-human agreement next to human-vs-human agreement, leave one rater out (AlpacaEval-style).

    Each human is scored against the mode of the *other* humans on the item (seeded tie-break); the judge
    is scored against the same leave-one-out modes, so both face the same targets. Scores: pairwise
    preferences on {A = 1, tie = 1.5, B = 2} score 1 - |target - prediction| (AlpacaEval); other discrete
    labels score exact agreement; ordinal/continuous scores use the others' mean and minus the absolute
    error. (AlpacaEval's leaderboard compares the judge with the mode of all humans; using the
    leave-one-out modes for both keeps the comparison fair.)

    Returns
    -------
    HumanCeilingResult
        ``estimate`` (judge), ``ceiling`` (humans) and ``gap`` = judge - ceiling, each with a bootstrap
        interval over items, and ``per_rater``: each human's agreement and the judge's on the same cells.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import human_ceiling
    >>> res = human_ceiling(alignlab.datasets.load("pandalm"), raters="gpt-3.5-turbo", n_resamples=200)
    >>> res.ceiling > res.estimate
    True
    """
    rng = check_random_state(random_state)
    panel = _panel(judgments, raters, reference)
    target, usable = _loo_targets(panel, rng, use_mode=judgments.scale.kind != "ordinal")
    if panel.discrete and judgments.scale.kind != "ordinal":
        if judgments.scale.kind == "pairwise":
            position = np.array([{"A": 1.0, "B": 2.0, "tie": 1.5}[label] for label in judgments.scale.labels])
            tgt = position[target.astype(np.int64)]
            human_score = 1 - np.abs(tgt - position[np.where(usable, panel.codes, 0)])
            judge_score = 1 - np.abs(tgt - position[np.clip(panel.judge_code, 0, None)][:, None])
            metric = "alpacaeval(1 - |target - pred| on A=1, tie=1.5, B=2)"
        else:
            human_score = (target == panel.codes).astype(float)
            judge_score = (target == panel.judge_code[:, None]).astype(float)
            metric = "exact agreement"
    else:
        human_score = -np.abs(panel.values - target)
        judge_score = -np.abs(panel.judge_value[:, None] - target)
        metric = "negative absolute error vs the others' mean"
    if not usable.any():
        raise DataError("No item has two humans and the judge; the ceiling needs >= 2 humans per item.")
    us = usable.astype(float)
    hs, js = np.where(usable, human_score, 0.0), np.where(usable, judge_score, 0.0)
    item_n, item_h, item_j = us.sum(axis=1), hs.sum(axis=1), js.sum(axis=1)

    def ratio(num: np.ndarray) -> Any:
        def stat(w: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return (w @ num) / (w @ item_n)
        return stat

    def gap_stat(w: np.ndarray) -> np.ndarray:
        return ratio(item_j)(w) - ratio(item_h)(w)

    n = len(panel.items)
    kwargs = {"n_resamples": n_resamples, "confidence_level": confidence_level, "method": "percentile"}
    judge_ci = bootstrap(ratio(item_j), n, random_state=rng, **kwargs)
    human_ci = bootstrap(ratio(item_h), n, random_state=rng, **kwargs)
    gap_ci = bootstrap(gap_stat, n, random_state=rng, **kwargs)
    judge_est = float(item_j.sum() / item_n.sum())
    human_est = float(item_h.sum() / item_n.sum())
    per = pd.DataFrame({
        "rater_id": panel.humans, "n_items": usable.sum(axis=0),
        "human_agreement": hs.sum(axis=0) / np.maximum(us.sum(axis=0), 1),
        "judge_agreement": js.sum(axis=0) / np.maximum(us.sum(axis=0), 1),
    })
    ignored = weights_ignored(judgments, "human_ceiling", "leave-one-rater-out agreement counts every item once")
    return HumanCeilingResult(
        warnings=() if ignored is None else (ignored,),
        estimate=judge_est, ci_low=judge_ci.low, ci_high=judge_ci.high, standard_error=judge_ci.standard_error,
        ceiling=human_est, ceiling_low=human_ci.low, ceiling_high=human_ci.high, gap=judge_est - human_est,
        gap_low=gap_ci.low, gap_high=gap_ci.high, judge=str(raters), per_rater=per,
        confidence_level=confidence_level, method=f"human_ceiling[{metric}; leave-one-rater-out]",
        ci_method=judge_ci.ci_method, n_items=int(usable.any(axis=1).sum()), n_raters=len(panel.humans),
    )

