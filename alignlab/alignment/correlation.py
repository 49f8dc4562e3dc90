"""Correlation between two evaluation methods at item, item-grouped and system level."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._array.alignment_rank import (
    KendallKernel,
    SpearmanKernel,
    parallel_rows,
    weighted_pearson,
)
from alignlab._array.alignment_rows import rows_statistic, tie_sweep
from alignlab._array.bootstrap import bootstrap, resample_weights
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
from alignlab.alignment._data import Paired, item_weights, pair_up, side_scores, weights_ignored
from alignlab.alignment._results import CorrelationResult
from alignlab.data.judgments import Judgments

__all__ = ["correlate", "STATISTICS", "LEVELS"]

STATISTICS = ("pearson", "spearman", "kendall_b", "kendall_c", "acc_eq", "pairwise_accuracy",
              "soft_pairwise_accuracy")
LEVELS = ("item", "item_grouped", "system")
_MAX_PAIRS_ITEM_ACC_EQ = 3000  # item-level tie calibration enumerates all n(n-1)/2 pairs


# ------------------------------------------------------------------------------------------------
# statistics as functions of unit weights (b, n) -> (b,)
# ------------------------------------------------------------------------------------------------
def _pairs_acc_eq(x: np.ndarray, y: np.ndarray, pair_i: np.ndarray, pair_j: np.ndarray,
                  epsilon: float | None) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """acc_eq over the given pairs with pair weights; epsilon=None calibrates it (max acc_eq)."""
    dx = x[pair_i] - x[pair_j]
    dy = y[pair_i] - y[pair_j]
    human_tie = dy == 0
    sign_agree = np.sign(dx) == np.sign(dy)
    abs_dx = np.abs(dx)

    def evaluate(pair_weight: np.ndarray, extra_correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if epsilon is None:
            eps, acc = tie_sweep(abs_dx, human_tie, sign_agree, pair_weight)
            acc = acc + extra_correct[:, None]
            best = np.argmax(acc, axis=1)
            return acc[np.arange(len(best)), best], eps[best]
        correct = np.where(abs_dx <= epsilon, human_tie, sign_agree)
        return pair_weight @ correct.astype(float) + extra_correct, np.full(pair_weight.shape[0], epsilon)

    return evaluate


def _item_statistic(paired: Paired, statistic: str, epsilon: float | None) -> Callable[[np.ndarray], np.ndarray]:
    x, y = paired.a, paired.b
    if statistic == "pearson":
        return lambda w: parallel_rows(lambda rows: weighted_pearson(x, y, rows), w)
    if statistic == "spearman":  # sort once: every resample re-ranks by cumulative sums in sorted order
        spearman = SpearmanKernel(x, y)
        return lambda w: parallel_rows(spearman, w)
    if statistic in ("kendall_b", "kendall_c") or (statistic == "acc_eq" and epsilon == 0):
        kernel = KendallKernel(x, y)
        finish = {"kendall_b": KendallKernel.tau_b, "kendall_c": KendallKernel.tau_c,
                  "acc_eq": KendallKernel.acc_eq}[statistic]
        return lambda w: finish(kernel.counts(w))
    if statistic == "acc_eq":
        n = len(x)
        if n > _MAX_PAIRS_ITEM_ACC_EQ:
            raise InvalidParameterError(
                f"Item-level acc_eq with tie calibration enumerates all pairs of the {n:,} items (limit "
                f"{_MAX_PAIRS_ITEM_ACC_EQ:,}). Use level='item_grouped' with group=... (Deutsch et al. "
                "compare systems within each input), or epsilon=0 for acc_23 without calibration."
            )
        pi, pj = np.triu_indices(n, 1)
        evaluate = _pairs_acc_eq(x, y, pi, pj, epsilon)

        def acc_item(w: np.ndarray) -> np.ndarray:
            return evaluate(*_pair_shares(w, pi, pj))[0]

        return acc_item
    raise InvalidParameterError(
        f"statistic={statistic!r} is a system-level statistic; use level='system' (pairwise accuracy ranks "
        "systems, Kocmi et al. 2021; soft pairwise accuracy, Thompson et al. 2024)."
    )


def _dense(paired: Paired, values: np.ndarray) -> np.ndarray:
    """Groups x systems array (NaN where a system has no output for the input)."""
    out = np.full((len(paired.groups), len(paired.systems)), np.nan)
    out[paired.group, paired.system] = values
    return out


def _grouped_values(paired: Paired, statistic: str, epsilon: float | None
                    ) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray] | None, float]:
    """Per-group statistic (fixed), or for calibrated acc_eq a function of group weights."""
    xa, yb = _dense(paired, paired.a), _dense(paired, paired.b)
    if statistic in ("pairwise_accuracy", "soft_pairwise_accuracy"):
        raise InvalidParameterError(f"statistic={statistic!r} is a system-level statistic; use level='system'.")
    if statistic != "acc_eq" or epsilon is not None:
        return rows_statistic(xa, yb, statistic, epsilon=epsilon or 0.0), None, math.nan
    # calibrated acc_eq: pairs of systems within each group, one epsilon for all groups
    k = xa.shape[1]
    iu, ju = np.triu_indices(k, 1)
    valid = np.isfinite(xa[:, iu]) & np.isfinite(xa[:, ju]) & np.isfinite(yb[:, iu]) & np.isfinite(yb[:, ju])
    g_idx, p_idx = np.nonzero(valid)
    pairs_per_group = valid.sum(axis=1)
    flat_x = xa.ravel()
    flat_y = yb.ravel()
    pi = g_idx * k + iu[p_idx]
    pj = g_idx * k + ju[p_idx]
    evaluate = _pairs_acc_eq(flat_x, flat_y, pi, pj, None)
    usable = pairs_per_group > 0

    def acc_grouped(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gw = w * usable
        # mean over groups of the per-group acc_eq: pair weight = group weight / pairs in the group
        pair_weight = gw[:, g_idx] / pairs_per_group[g_idx] / gw.sum(axis=1, keepdims=True)
        return evaluate(pair_weight, np.zeros(w.shape[0]))

    values = np.where(usable, 0.0, np.nan)
    return values, acc_grouped, math.nan


def _system_means(paired: Paired, w: np.ndarray, values: np.ndarray) -> np.ndarray:
    n_sys = len(paired.systems)
    onehot = np.zeros((paired.n, n_sys))
    onehot[np.arange(paired.n), paired.system] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * values) @ onehot / (w @ onehot)


def _permutation_pvalues(diffs: np.ndarray, masks: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """One-sided paired sign-flip p-values that the mean of ``diffs`` (groups x pairs) exceeds 0."""
    valid = np.isfinite(diffs)
    d = np.where(valid, diffs, 0.0)
    observed = d.sum(axis=0)
    permuted = masks @ d  # (B, pairs)
    return (1.0 + (permuted >= observed - 1e-12).sum(axis=0)) / (1.0 + masks.shape[0])


def soft_pairwise_accuracy_pvalues(human: np.ndarray, metric: np.ndarray, *, n_permutations: int,
                                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per system pair, one-sided permutation p-values of human and metric (shared sign-flip masks)."""
    k = human.shape[1]
    iu, ju = np.triu_indices(k, 1)
    dh = human[:, iu] - human[:, ju]
    dm = metric[:, iu] - metric[:, ju]
    masks = rng.choice(np.array([-1.0, 1.0]), size=(n_permutations, human.shape[0]))
    return _permutation_pvalues(dh, masks), _permutation_pvalues(dm, masks)


# ------------------------------------------------------------------------------------------------
@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "level": [Options(LEVELS)],
    "statistic": [Options(STATISTICS)],
    "group": [str, None],
    "consensus": [pd.DataFrame, None],
    "epsilon": [Interval("real", 0, None), None],
    "resample": [Options(("items", "items_and_systems"))],
    "n_permutations": [Interval("integral", 10, None)],
    "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": [Options(("bca", "percentile", "basic", "none"))],
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def correlate(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
    level: Literal["item", "item_grouped", "system"] = "item",
    statistic: Literal["pearson", "spearman", "kendall_b", "kendall_c", "acc_eq", "pairwise_accuracy",
                       "soft_pairwise_accuracy"] = "pearson",
    group: str | None = None,
    consensus: pd.DataFrame | None = None,
    epsilon: float | None = None,
    resample: Literal["items", "items_and_systems"] = "items",
    n_permutations: int = 1000,
    confidence_level: float = 0.95,
    ci_method: Literal["bca", "percentile", "basic", "none"] = "bca",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> CorrelationResult:
    """Correlation between two methods (or a method and the human consensus), with a bootstrap interval.

    Parameters
    ----------
    judgments : Judgments
    raters, reference : str or list of str
        A rater id, a method name or a list of rater ids; several raters are averaged per item
        (pairwise preferences as P(A preferred): A = 1, tie = 0.5, B = 0). ``b`` defaults to the humans.
    level : {"item", "item_grouped", "system"}
        ``item``: all items flattened. ``item_grouped``: the statistic across systems within each input
        (``group`` column), averaged over inputs (mt-metrics-eval's "item-grouped"). ``system``: the
        statistic between per-system means (needs a ``system`` column).
    statistic : {"pearson", "spearman", "kendall_b", "kendall_c", "acc_eq", "pairwise_accuracy", \
"soft_pairwise_accuracy"}
        Kendall tau-b and tau-c as scipy; ``acc_eq`` pairwise accuracy with ties (acc_23) and, unless
        ``epsilon`` is given, tie calibration (Deutsch et al. 2023); ``pairwise_accuracy`` (Kocmi et al.
        2021) and ``soft_pairwise_accuracy`` (Thompson et al. 2024) at system level. ``a`` is the method
        assessed (its ties are thresholded), ``b`` the reference.
    group : str, optional
        Column naming the input (prompt, source segment) shared by the systems' outputs; needed for
        ``item_grouped`` and ``soft_pairwise_accuracy``.
    consensus : DataFrame, optional
        Per-item human consensus (``item_id`` and a numeric ``consensus``/``posterior_mean`` column, e.g.
        an annotator model's ``items_``) used for ``b`` instead of the humans' mean.
    epsilon : float, optional
        Fixed tie threshold for ``acc_eq``; None calibrates it.
    resample : {"items", "items_and_systems"}
        Bootstrap over items, or over items and systems together (Deutsch et al. 2021's BOOT-BOTH:
        independent multiplicities for inputs and systems). Not available at ``item_grouped`` level.
    n_permutations : int
        Permutations per system pair for ``soft_pairwise_accuracy``.
    confidence_level, ci_method, n_resamples, random_state
        Bootstrap interval settings (``ci_method="none"`` skips it).

    Returns
    -------
    CorrelationResult

    Notes
    -----
    Item-level bootstrap intervals of rank statistics re-rank every resample: the statistics are written
    as functions of unit multiplicities (:mod:`alignlab._array.alignment_rank`), sorted once.
    ``soft_pairwise_accuracy`` keeps its permutation p-values fixed and bootstraps over systems.
    The table's ``weight`` column gives each item the mean weight of its judgments; at ``item`` level it
    multiplies the bootstrap multiplicities (an integer weight k equals the item repeated k times) and at
    ``system`` level it weights the per-system means. ``item_grouped`` and ``soft_pairwise_accuracy``
    ignore weights with a warning.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import correlate
    >>> j = alignlab.datasets.load("hanna").subset(items=[f"{i}:Coherence" for i in range(300)])
    >>> r = correlate(j, raters="ChatGPT", reference="human", statistic="kendall_b", n_resamples=200, random_state=0)
    >>> round(r.estimate, 3) == round(float(__import__("scipy").stats.kendalltau(
    ...     *[j.matrix("value")[:, list(j.raters).index(x)] for x in ("ChatGPT", "human_mean")],
    ...     nan_policy="omit").statistic), 3)
    True
    """
    rng = check_random_state(random_state)
    a_scores, a_raters = side_scores(judgments, raters, argument="raters")
    b_scores, b_raters = side_scores(judgments, reference, argument="reference", consensus=consensus, human_default=True)
    paired = pair_up(judgments, a_scores, b_scores, group=group)
    _check_level(paired, level, statistic, resample)
    common = {"a": _name(raters), "b": _name(reference), "level": level, "confidence_level": confidence_level,
              "n_items": paired.n, "n_raters": len(set(a_raters) | set(b_raters)),
              "method": f"{statistic}[{level}]"}
    interval = _IntervalSettings(ci_method, n_resamples, confidence_level, rng)
    if level == "item":
        fields = _item_level(judgments, paired, statistic, epsilon, resample, interval)
    elif level == "item_grouped":
        fields = _item_grouped_level(judgments, paired, statistic, epsilon, interval)
    elif statistic == "soft_pairwise_accuracy":
        fields = _soft_pairwise_level(judgments, paired, n_permutations, interval)
    else:
        fields = _system_level(judgments, paired, statistic, epsilon, resample, interval)
    return CorrelationResult(**fields, **common)


# -- the levels of correlate ------------------------------------------------------------------------
@dataclass(frozen=True)
class _IntervalSettings:
    ci_method: str
    n_resamples: int
    confidence_level: float
    rng: np.random.Generator


def _check_level(paired: Paired, level: str, statistic: str, resample: str) -> None:
    """The columns each level and statistic needs, checked before any work."""
    needs_systems = level == "system" or resample == "items_and_systems" or statistic in (
        "pairwise_accuracy", "soft_pairwise_accuracy")
    if needs_systems and paired.system is None:
        raise InvalidParameterError(
            f"level={level!r}, statistic={statistic!r} and resample={resample!r} need a 'system' column "
            "(the model version each item's output comes from); load the table with system=...")
    if statistic in ("pairwise_accuracy", "soft_pairwise_accuracy") and level != "system":
        raise InvalidParameterError(f"statistic={statistic!r} compares systems: use level='system'.")
    if (level == "item_grouped" or statistic == "soft_pairwise_accuracy") and paired.group is None:
        raise InvalidParameterError(
            f"level={level!r} / statistic={statistic!r} needs group=COLUMN naming the input (prompt or source "
            "segment) that the systems' outputs share.")
    if level == "item_grouped" and resample != "items":
        raise InvalidParameterError(
            "resample='items_and_systems' is not available at level='item_grouped'; use resample='items' "
            "(inputs are resampled) or level='system'.")
    if level == "system" and len(paired.systems) < 3:
        raise InvalidParameterError(
            f"System-level statistics need at least 3 systems; the items cover {len(paired.systems)}.")


def _item_level(judgments: Judgments, paired: Paired, statistic: str, epsilon: float | None, resample: str,
                interval: _IntervalSettings) -> dict[str, Any]:
    """All items flattened; item weights multiply the bootstrap multiplicities."""
    unit_weight = item_weights(judgments, paired.item_id)
    stat = _item_statistic(paired, statistic, epsilon)
    tie_epsilon = math.nan
    if statistic == "acc_eq":
        tie_epsilon = _item_epsilon(paired, unit_weight) if epsilon is None else float(epsilon)
    warnings = []
    if unit_weight is None:
        p_value = _scipy_p_value(paired.a, paired.b, statistic)
    else:  # integer weight k = the item repeated k times
        stat = _weighted(stat, unit_weight)
        p_value = math.nan
        warnings.append("weighted by the mean 'weight' of each item's judgments; no p-value (scipy's "
                        "tests are unweighted): use the bootstrap interval")
    out = _interval(stat, paired, resample, interval.ci_method, interval.n_resamples,
                    interval.confidence_level, interval.rng)
    return {**out, "epsilon": tie_epsilon, "p_value": p_value, "warnings": tuple(warnings),
            "n_systems": 0 if paired.systems is None else len(paired.systems)}


def _item_grouped_level(judgments: Judgments, paired: Paired, statistic: str, epsilon: float | None,
                        interval: _IntervalSettings) -> dict[str, Any]:
    """The statistic across systems within each input, averaged over inputs (inputs resampled)."""
    warnings = []
    ignored = weights_ignored(judgments, "correlate(level='item_grouped')", "the statistic is an unweighted mean "
                              "over inputs of within-input rank statistics; use level='item' or 'system' for weights")
    if ignored:
        warnings.append(ignored)
    per_input, calibrated, _ = _grouped_values(paired, statistic, epsilon)
    usable = np.isfinite(per_input)
    if usable.sum() < 2:
        raise DataError("Fewer than 2 inputs have at least two systems scored by both sides.")
    skipped = int((~usable).sum())
    if skipped:
        warnings.append(f"{skipped} inputs skipped (fewer than two systems, or a constant score)")
    if calibrated is None:
        filled = np.where(usable, per_input, 0.0)

        def stat(w: np.ndarray) -> np.ndarray:
            usable_weight = w * usable
            with np.errstate(invalid="ignore", divide="ignore"):
                return (usable_weight @ filled) / usable_weight.sum(axis=1)
        tie_epsilon = float(epsilon) if statistic == "acc_eq" else math.nan
    else:
        def stat(w: np.ndarray) -> np.ndarray:
            return calibrated(w)[0]
        tie_epsilon = float(calibrated(np.ones((1, len(per_input))))[1][0])
    out = _bootstrap_units(stat, len(per_input), interval.ci_method, interval.n_resamples,
                           interval.confidence_level, interval.rng, "inputs")
    return {**out, "epsilon": tie_epsilon, "n_groups": int(usable.sum()), "n_systems": len(paired.systems),
            "warnings": tuple(warnings)}


def _soft_pairwise_level(judgments: Judgments, paired: Paired, n_permutations: int,
                         interval: _IntervalSettings) -> dict[str, Any]:
    """Soft pairwise accuracy (Thompson et al. 2024): permutation p-values held fixed, systems resampled."""
    warnings = []
    ignored = weights_ignored(judgments, "correlate(statistic='soft_pairwise_accuracy')",
                              "its per-pair permutation p-values are unweighted sign-flip tests")
    if ignored:
        warnings.append(ignored)
    n_systems = len(paired.systems)
    p_human, p_metric = soft_pairwise_accuracy_pvalues(_dense(paired, paired.b), _dense(paired, paired.a),
                                                       n_permutations=n_permutations, rng=interval.rng)
    gap = np.abs(p_human - p_metric)
    first, second = np.triu_indices(n_systems, 1)

    def spa(u: np.ndarray) -> np.ndarray:
        pair_weight = u[:, first] * u[:, second]
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - (pair_weight @ gap) / pair_weight.sum(axis=1)
    out = _bootstrap_units(spa, n_systems, interval.ci_method, interval.n_resamples, interval.confidence_level,
                           interval.rng, "systems")
    out["ci_method"] += f"; p-values from {n_permutations} shared sign-flip permutations, held fixed"
    return {**out, "n_systems": n_systems, "n_groups": len(paired.groups), "warnings": tuple(warnings)}


def _system_level(judgments: Judgments, paired: Paired, statistic: str, epsilon: float | None, resample: str,
                  interval: _IntervalSettings) -> dict[str, Any]:
    """The statistic between per-system means; items (or items and systems) resampled."""
    unit_weight = item_weights(judgments, paired.item_id)
    tie_epsilon = epsilon or 0.0
    warnings = []
    if unit_weight is not None:
        warnings.append("system means weighted by the mean 'weight' of each item's judgments")

    def system_stat(w: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        if unit_weight is not None:  # weighted per-system means
            w = w * unit_weight
        means_a = _system_means(paired, w, paired.a)
        means_b = _system_means(paired, w, paired.b)
        if u is None:
            return rows_statistic(means_a, means_b, statistic, epsilon=tie_epsilon)
        # systems resampled: repeat each system by its multiplicity (rows padded with NaN)
        return _repeat_rows_statistic(means_a, means_b, u, statistic, tie_epsilon)

    if resample == "items":
        out = _interval(lambda w: system_stat(w), paired, "items", interval.ci_method, interval.n_resamples,
                        interval.confidence_level, interval.rng)
    else:
        out = _two_way(paired, system_stat, interval.n_resamples, interval.confidence_level, interval.rng,
                       interval.ci_method)
    full = np.ones((1, paired.n)) if unit_weight is None else unit_weight[None, :]
    p_value = _scipy_p_value(_system_means(paired, full, paired.a)[0], _system_means(paired, full, paired.b)[0],
                             statistic)
    return {**out, "n_systems": len(paired.systems), "p_value": p_value,
            "epsilon": tie_epsilon if statistic == "acc_eq" else math.nan, "warnings": tuple(warnings)}


def _name(spec: Any) -> str:
    return spec if isinstance(spec, str) else "+".join(map(str, spec))


def _pair_shares(w: np.ndarray, pi: np.ndarray, pj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of each unit pair among all pairs of a resample with multiplicities ``w`` ``(b, n)``, and the
    share of pairs formed by copies of one unit (a tie in both: always correct)."""
    total = w.sum(axis=1)
    n_pairs = total * (total - 1) / 2
    return (w[:, pi] * w[:, pj]) / n_pairs[:, None], (w * (w - 1) / 2).sum(axis=1) / n_pairs


def _item_epsilon(paired: Paired, unit_weight: np.ndarray | None = None) -> float:
    pi, pj = np.triu_indices(paired.n, 1)
    evaluate = _pairs_acc_eq(paired.a, paired.b, pi, pj, None)
    w = np.ones((1, paired.n)) if unit_weight is None else unit_weight[None, :]
    return float(evaluate(*_pair_shares(w, pi, pj))[1][0])


def _weighted(stat: Callable[[np.ndarray], np.ndarray], unit_weight: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The statistic with every resample's multiplicities multiplied by the item weights."""
    return lambda w: stat(w * unit_weight)


def _scipy_p_value(x: np.ndarray, y: np.ndarray, statistic: str) -> float:
    """p-value of scipy's test of no association (NaN where scipy has none)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    if statistic == "pearson":
        return float(stats.pearsonr(x, y).pvalue)
    if statistic == "spearman":
        return float(stats.spearmanr(x, y).pvalue)
    if statistic in ("kendall_b", "kendall_c"):
        return float(stats.kendalltau(x, y, variant=statistic[-1]).pvalue)
    return math.nan


def _bootstrap_units(stat: Callable[[np.ndarray], np.ndarray], n_units: int, ci_method: str, n_resamples: int,
                     confidence_level: float, rng: np.random.Generator, unit_name: str) -> dict[str, Any]:
    estimate = float(stat(np.ones((1, n_units)))[0])
    if ci_method == "none":
        return {"estimate": estimate, "ci_method": "none"}
    outcome = bootstrap(stat, n_units, estimate=estimate, n_resamples=n_resamples,
                        confidence_level=confidence_level, method=ci_method, random_state=rng,
                        unit_name=unit_name)
    return {"estimate": estimate, "ci_low": outcome.low, "ci_high": outcome.high,
            "standard_error": outcome.standard_error, "ci_method": outcome.ci_method}


def _interval(stat: Callable[[np.ndarray], np.ndarray], paired: Paired, resample: str, ci_method: str,
              n_resamples: int, confidence_level: float, rng: np.random.Generator) -> dict[str, Any]:
    if resample == "items":
        return _bootstrap_units(stat, paired.n, ci_method, n_resamples, confidence_level, rng, "items")
    return _two_way(paired, lambda w, u=None: stat(w), n_resamples, confidence_level, rng, ci_method)


def _two_way(paired: Paired, stat: Callable[..., np.ndarray], n_resamples: int, confidence_level: float,
             rng: np.random.Generator, ci_method: str) -> dict[str, Any]:
    """Bootstrap over systems and inputs together: independent multiplicities of the two (percentile)."""
    estimate = float(stat(np.ones((1, paired.n)))[0])
    if ci_method == "none":
        return {"estimate": estimate, "ci_method": "none"}
    n_sys = len(paired.systems)
    inputs = paired.group if paired.group is not None else np.arange(paired.n)
    n_inputs = int(inputs.max()) + 1
    parts = []
    for v in resample_weights(n_inputs, n_resamples, rng):
        u = next(resample_weights(n_sys, v.shape[0], rng, batch_size=v.shape[0]))
        w = v[:, inputs] * u[:, paired.system]
        parts.append(stat(w, u))
    theta = np.concatenate(parts)
    good = theta[np.isfinite(theta)]
    alpha = (1 - confidence_level) / 2
    if good.size < n_resamples / 2:
        low = high = math.nan
    else:
        low, high = np.quantile(good, [alpha, 1 - alpha])
    return {"estimate": estimate, "ci_low": float(low), "ci_high": float(high),
            "standard_error": float(np.std(good, ddof=1)) if good.size > 1 else math.nan,
            "ci_method": f"bootstrap-percentile(items and systems, {n_resamples})"}


def _repeat_rows_statistic(ma: np.ndarray, mb: np.ndarray, u: np.ndarray, statistic: str,
                           eps: float) -> np.ndarray:
    """Row-wise statistic where system s appears u[r, s] times (a system drawn twice is two points)."""
    counts = u.astype(np.int64)
    width = int(counts.sum(axis=1).max())
    b = ma.shape[0]
    xa = np.full((b, width), np.nan)
    xb = np.full((b, width), np.nan)
    rows = np.repeat(np.arange(b), counts.sum(axis=1))
    cols_sys = np.concatenate([np.repeat(np.arange(counts.shape[1]), c) for c in counts])
    pos = np.concatenate([np.arange(c.sum()) for c in counts])
    xa[rows, pos] = ma[rows, cols_sys]
    xb[rows, pos] = mb[rows, cols_sys]
    return rows_statistic(xa, xb, statistic, epsilon=eps)
