"""Calibration of a judge's probabilities against human labels, and recalibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from statsmodels.stats.proportion import proportion_confint

from alignlab._array.bootstrap import resample_weights
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
from alignlab.alignment._data import consensus_scores, item_weights, per_item_scores, resolve, weights_ignored
from alignlab.alignment._results import CalibrationResult
from alignlab.data.judgments import Judgments
from alignlab.results import TableResult

__all__ = ["calibration", "recalibrate", "Recalibrator", "calibration_arrays", "scale_mapping"]

_EPS = 1e-6


def _bin_edges(p: np.ndarray, n_bins: int, binning: str, weights: np.ndarray | None = None) -> np.ndarray:
    if binning == "equal-width":
        return np.linspace(0.0, 1.0, n_bins + 1)
    levels = np.linspace(0, 1, n_bins + 1)
    if weights is None:
        edges = np.unique(np.quantile(p, levels))
    else:  # weighted quantiles: with integer weights, the quantiles of the repeated data
        edges = np.unique(np.quantile(p, levels, weights=weights, method="inverted_cdf"))
    edges[0], edges[-1] = 0.0, 1.0
    return edges


def _metrics(p: np.ndarray, y: np.ndarray, bins: np.ndarray, n_bins: int, w: np.ndarray) -> dict[str, np.ndarray]:
    """Every calibration metric for each row of unit weights ``w`` (b, n); binned sums by bincount."""
    b = w.shape[0]
    flat = (bins[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_bins).ravel()

    def per_bin(values: np.ndarray | None) -> np.ndarray:
        weights = w if values is None else w * values
        return np.bincount(flat, weights=weights.ravel(), minlength=b * n_bins).reshape(b, n_bins)

    count = per_bin(None)
    total = count.sum(axis=1)
    share = count / total[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mp = per_bin(p) / count
        my = per_bin(y) / count
        debias = np.where(count > 1, my * (1 - my) / (count - 1), 0.0)
    gap = np.abs(my - mp)
    rate = (w * y).sum(axis=1) / total
    brier = (w * (p - y) ** 2).sum(axis=1) / total
    reliability = np.nansum(share * (mp - my) ** 2, axis=1)
    resolution = np.nansum(share * (my - rate[:, None]) ** 2, axis=1)
    uncertainty = rate * (1 - rate)
    return {
        "ece": np.nansum(share * gap, axis=1),
        "debiased_l2_ce": np.sqrt(np.maximum(np.nansum(share * ((my - mp) ** 2 - debias), axis=1), 0.0)),
        "mce": np.nanmax(np.where(count > 0, gap, np.nan), axis=1),
        "brier": brier,
        "brier_reliability": reliability,
        "brier_resolution": resolution,
        "brier_uncertainty": uncertainty,
        "brier_within_bin": brier - (reliability - resolution + uncertainty),
    }


def calibration_arrays(
    p: np.ndarray, y: np.ndarray, *, variant: str = "positive-class", binning: str = "equal-width",
    n_bins: int = 15, confidence_level: float = 0.95, n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None, ci_method: str = "percentile",
    weights: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Calibration metrics (one row each, bootstrap intervals over items) and reliability-diagram bins.

    ``p`` are probabilities of the positive class, ``y`` labels in [0, 1] (soft labels allowed).
    ``variant="top-label"`` scores the confidence max(p, 1 - p) against correctness. ``weights`` (per
    item) multiply the bootstrap multiplicities: every metric is its weighted version (an integer weight
    k equals the item repeated k times); equal-mass bin edges are then weighted quantiles, and the
    reliability-diagram Wilson intervals use each bin's Kish effective size.
    """
    unit = None if weights is None else np.asarray(weights, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    y = np.asarray(y, dtype=float)
    if variant == "top-label":
        predicted_positive = p >= 0.5
        y = np.where(predicted_positive, y, 1 - y)
        p = np.where(predicted_positive, p, 1 - p)
    edges = _bin_edges(p, n_bins, binning, unit)
    n_b = len(edges) - 1
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_b - 1)
    rng = check_random_state(random_state)
    full = _metrics(p, y, bins, n_b, np.ones((1, len(p))) if unit is None else unit[None, :])
    # one set of resamples for every metric (percentile or basic intervals, bin edges fixed)
    parts = [_metrics(p, y, bins, n_b, w if unit is None else w * unit)
             for w in resample_weights(len(p), n_resamples, rng)]
    alpha = (1 - confidence_level) / 2
    rows = []
    for name, value in full.items():
        theta = np.concatenate([part[name] for part in parts])
        theta = theta[np.isfinite(theta)]
        estimate = float(value[0])
        q_low, q_high = np.quantile(theta, [alpha, 1 - alpha])
        low, high = (q_low, q_high) if ci_method == "percentile" else (2 * estimate - q_high, 2 * estimate - q_low)
        rows.append({"metric": name, "estimate": estimate, "ci_low": float(low), "ci_high": float(high),
                     "standard_error": float(np.std(theta, ddof=1)),
                     "ci_method": f"bootstrap-{ci_method}(items, {n_resamples})"})
    metrics = pd.DataFrame(rows)
    count = np.bincount(bins, minlength=n_b)
    weight = np.ones(len(p)) if unit is None else unit
    mass = np.bincount(bins, weights=weight, minlength=n_b)
    sum_y = np.bincount(bins, weights=weight * y, minlength=n_b)
    sum_p = np.bincount(bins, weights=weight * p, minlength=n_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Kish effective size per bin (the count itself when unweighted)
        effective = mass**2 / np.bincount(bins, weights=weight**2, minlength=n_b) if unit is not None else count
        rate = sum_y / mass
        low, high = proportion_confint(np.nan_to_num(rate * effective), np.maximum(np.nan_to_num(effective), 1),
                                       alpha=1 - confidence_level, method="wilson")
        table = pd.DataFrame({
            "bin": np.arange(n_b), "bin_low": edges[:-1], "bin_high": edges[1:], "n": count,
            "mean_predicted": sum_p / mass, "observed_rate": rate,
            "ci_low": np.where(count > 0, low, np.nan), "ci_high": np.where(count > 0, high, np.nan),
        })
    return metrics, table


def _judge_probabilities(judgments: Judgments, judge: Any) -> tuple[pd.Series, list[str]]:
    scores = per_item_scores(judgments, resolve(judgments, judge, "judge"), label="judge")
    notes: list[str] = []
    low, high = float(np.nanmin(scores)), float(np.nanmax(scores))
    if low < 0 or high > 1:
        lo = judgments.scale.low if np.isfinite(judgments.scale.low) else (
            float(np.min(judgments.scale.numeric_levels())) if judgments.scale.is_discrete else low)
        hi = judgments.scale.high if np.isfinite(judgments.scale.high) else (
            float(np.max(judgments.scale.numeric_levels())) if judgments.scale.is_discrete else high)
        scores = (scores - lo) / (hi - lo)
        notes.append(f"judge scores rescaled from [{lo:g}, {hi:g}] to [0, 1] as probabilities")
    return scores, notes


def _targets(judgments: Judgments, target: Any) -> pd.Series:
    if isinstance(target, pd.DataFrame):
        for column in ("posterior_positive", "p_positive", "positive_rate"):
            if column in target.columns:
                return pd.Series(target[column].to_numpy(float), index=target["item_id"])
        return consensus_scores(judgments, target, target)
    labels = per_item_scores(judgments, resolve(judgments, target, "target"), label="humans")
    lo, hi = float(labels.min()), float(labels.max())
    if lo < 0 or hi > 1:
        raise DataError(
            f"Calibration needs binary human labels (0/1, or the share of positive votes); the target "
            f"{target!r} has values in [{lo:g}, {hi:g}]. Binarise the human labels or pass a consensus frame "
            "with a 'positive_rate' or 'posterior_positive' column.")
    return labels


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list", pd.DataFrame],
    "variant": [Options(("positive-class", "top-label"))],
    "binning": [Options(("equal-width", "equal-mass"))],
    "n_bins": [Interval("integral", 2, None)],
    "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": [Options(("percentile", "basic"))],
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def calibration(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] | pd.DataFrame = "human",
    variant: Literal["positive-class", "top-label"] = "positive-class",
    binning: Literal["equal-width", "equal-mass"] = "equal-width",
    n_bins: int = 15,
    confidence_level: float = 0.95,
    ci_method: Literal["percentile", "basic"] = "percentile",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> CalibrationResult:
    """Calibration of a judge's probabilities (or scores rescaled to [0, 1]) against human labels.

    Parameters
    ----------
    raters : str or list of str
        The judge emitting P(pass) per item (values in [0, 1]; other bounded scores are rescaled).
    reference : str, list of str or DataFrame, default "human"
        Human raters (their share of positive labels per item: majority-vote soft labels), or a consensus
        frame with ``item_id`` and ``positive_rate``/``posterior_positive`` (an annotator model's posterior).
    variant : {"positive-class", "top-label"}
        Positive-class ECE compares P(pass) with the pass rate; top-label compares the confidence
        max(p, 1 - p) with how often the predicted label is right (Guo et al. 2017).
    binning : {"equal-width", "equal-mass"}
    n_bins : int

    Returns
    -------
    CalibrationResult
        ``estimate`` is the ECE; ``metrics`` (and ``to_frame()``) one row per metric: ECE, debiased l2
        calibration error (Kumar et al. 2019), MCE, Brier score and its Murphy decomposition
        (reliability - resolution + uncertainty + a within-bin term), each with a bootstrap interval over
        items (bin edges fixed); ``bins``: reliability-diagram data with Wilson intervals per bin.

    Notes
    -----
    The table's ``weight`` column gives each item the mean weight of its judgments, which multiplies its
    bootstrap multiplicity: every metric is its weighted version (integer weights equal repeated items).

    Examples
    --------
    >>> import numpy as np, pandas as pd, alignlab
    >>> from alignlab.alignment import calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=400)
    >>> rows = pd.DataFrame({"item": np.r_[np.arange(400), np.arange(400)],
    ...                      "rater": ["judge"] * 400 + ["h"] * 400,
    ...                      "method": ["llm_judge"] * 400 + ["human"] * 400,
    ...                      "value": np.r_[p, (rng.uniform(size=400) < p).astype(float)]})
    >>> res = calibration(alignlab.load_judgments(rows, scale=alignlab.Scale.continuous(0, 1)), raters="judge",
    ...                   n_resamples=200, random_state=0)
    >>> res.estimate < 0.1
    True
    """
    probs, notes = _judge_probabilities(judgments, raters)
    labels = _targets(judgments, reference)
    common = probs.index.intersection(labels.index)
    if len(common) < 20:
        raise DataError(f"Only {len(common)} items have both judge probabilities and human labels; calibration "
                         "needs at least 20.")
    unit_weight = item_weights(judgments, common)
    if unit_weight is not None:
        notes.append("weighted by the mean 'weight' of each item's judgments")
    metrics, bins = calibration_arrays(
        probs.loc[common].to_numpy(float), labels.loc[common].to_numpy(float), variant=variant, binning=binning,
        n_bins=n_bins, confidence_level=confidence_level, n_resamples=n_resamples, random_state=random_state,
        ci_method=ci_method, weights=unit_weight)
    ece = metrics.set_index("metric").loc["ece"]
    return CalibrationResult(
        estimate=float(ece["estimate"]), ci_low=float(ece["ci_low"]), ci_high=float(ece["ci_high"]),
        standard_error=float(ece["standard_error"]), confidence_level=confidence_level,
        method=f"ece[{variant}, {n_bins} {binning} bins]", ci_method=str(ece["ci_method"]) + ", bin edges fixed",
        n_items=len(common), n_raters=len(resolve(judgments, raters, "raters")), variant=variant, binning=binning,
        n_bins=n_bins, metrics=metrics, bins=bins, judge=str(raters), warnings=tuple(notes),
    )


# ------------------------------------------------------------------------------------------------
class Recalibrator(TransformerMixin, BaseEstimator):
    """Map raw judge probabilities to calibrated ones (a scikit-learn transformer).

    Parameters
    ----------
    method : {"platt", "isotonic", "temperature", "beta"}
        Platt scaling (logistic regression on the logit), isotonic regression, temperature scaling
        (one parameter, p' = sigmoid(logit(p) / T)) or beta calibration (logistic regression on
        ln p and -ln(1 - p), Kull, Silva Filho & Flach 2017).

    Notes
    -----
    ``fit(X, y)`` takes probabilities ``X`` (shape (n,) or (n, 1)) and labels ``y`` in [0, 1] (soft
    labels are fitted as weighted positive and negative copies). ``transform(X)`` returns calibrated
    probabilities of shape (n,).
    """

    def __init__(self, method: str = "platt") -> None:
        self.method = method

    @staticmethod
    def _features(p: np.ndarray, method: str) -> np.ndarray:
        p = np.clip(p, _EPS, 1 - _EPS)
        if method == "beta":
            return np.column_stack([np.log(p), -np.log1p(-p)])
        return special.logit(p)[:, None]

    def fit(self, X: Any, y: Any) -> Recalibrator:
        if self.method not in ("platt", "isotonic", "temperature", "beta"):
            raise InvalidParameterError(f"Recalibrator method must be 'platt', 'isotonic', 'temperature' or 'beta'; got "
                             f"{self.method!r}.")
        p = np.asarray(X, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if p.shape != y.shape:
            raise DataError(f"X and y must have the same length; got {p.shape[0]} and {y.shape[0]}.")
        if self.method == "isotonic":
            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        elif self.method == "temperature":
            logit = special.logit(np.clip(p, _EPS, 1 - _EPS))

            def loss(log_t: float) -> float:
                q = np.clip(special.expit(logit / np.exp(log_t)), _EPS, 1 - _EPS)
                return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

            self.temperature_ = float(np.exp(optimize.minimize_scalar(loss, bounds=(-5, 5), method="bounded").x))
        else:
            features = self._features(p, self.method)
            stacked = np.vstack([features, features])
            labels = np.r_[np.ones(len(p)), np.zeros(len(p))]
            weights = np.r_[y, 1 - y]
            self.model_ = LogisticRegression(C=np.inf, max_iter=1000).fit(stacked, labels, sample_weight=weights)
        self.n_features_in_ = 1
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        p = np.asarray(X, dtype=float).reshape(-1)
        if self.method == "isotonic":
            return self.model_.predict(p)
        if self.method == "temperature":
            return special.expit(special.logit(np.clip(p, _EPS, 1 - _EPS)) / self.temperature_)
        return self.model_.predict_proba(self._features(p, self.method))[:, 1]

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_") or hasattr(self, "temperature_")


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list", pd.DataFrame],
    "method": [Options(("platt", "isotonic", "temperature", "beta"))],
    "n_folds": [Interval("integral", 2, None)],
    "n_bins": [Interval("integral", 2, None)],
    "random_state": RANDOM_STATE,
})
def recalibrate(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] | pd.DataFrame = "human",
    method: Literal["platt", "isotonic", "temperature", "beta"] = "platt",
    n_folds: int = 5,
    n_bins: int = 15,
    random_state: int | np.random.Generator | None = None,
) -> Recalibrator:
    """Fit a recalibration map for a judge with cross-fitting; returns a fitted :class:`Recalibrator`.

    The returned transformer is fitted on all labelled items. Its honest performance comes from
    cross-fitting: each fold is recalibrated by a map fitted on the other folds. Attributes set:
    ``cross_fitted_`` (``item_id``, ``raw``, ``calibrated`` out-of-fold, ``label``), ``ece_before_`` and
    ``ece_after_`` (equal-width positive-class ECE of the raw and the out-of-fold probabilities).

    Examples
    --------
    >>> import numpy as np, pandas as pd, alignlab
    >>> from alignlab.alignment import recalibrate
    >>> rng = np.random.default_rng(1)
    >>> truth = rng.uniform(size=600)
    >>> overconfident = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))
    >>> rows = pd.DataFrame({"item": np.r_[np.arange(600), np.arange(600)],
    ...                      "rater": ["judge"] * 600 + ["h"] * 600,
    ...                      "method": ["llm_judge"] * 600 + ["human"] * 600,
    ...                      "value": np.r_[overconfident, (rng.uniform(size=600) < truth).astype(float)]})
    >>> j = alignlab.load_judgments(rows, scale=alignlab.Scale.continuous(0, 1))
    >>> model = recalibrate(j, raters="judge", method="temperature", random_state=0)
    >>> model.ece_after_ < model.ece_before_
    True
    """
    weights_ignored(judgments, "recalibrate", "the recalibration maps are fitted unweighted (scikit-learn's isotonic "
                    "and logistic fits would need sample_weight per fold; not exposed yet)")
    probs, _ = _judge_probabilities(judgments, raters)
    labels = _targets(judgments, reference)
    common = probs.index.intersection(labels.index)
    if len(common) < 5 * n_folds:
        raise DataError(f"Only {len(common)} labelled items for {n_folds}-fold cross-fitting; need at least "
                         f"{5 * n_folds}.")
    p = np.clip(probs.loc[common].to_numpy(float), 0, 1)
    y = labels.loc[common].to_numpy(float)
    rng = check_random_state(random_state)
    folds = rng.permutation(len(p)) % n_folds
    oof = np.empty(len(p))
    for k in range(n_folds):  # a handful of folds
        fitted = Recalibrator(method).fit(p[folds != k], y[folds != k])
        oof[folds == k] = fitted.transform(p[folds == k])
    model = Recalibrator(method).fit(p, y)
    model.cross_fitted_ = pd.DataFrame({"item_id": common, "raw": p, "calibrated": oof, "label": y})
    ones = np.ones((1, len(p)))
    edges = np.linspace(0, 1, n_bins + 1)
    for name, values in (("ece_before_", p), ("ece_after_", oof)):
        bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n_bins - 1)
        setattr(model, name, float(_metrics(values, y, bins, n_bins, ones)["ece"][0]))
    return model


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list"],
    "confidence_level": CONFIDENCE_LEVEL,
})
def scale_mapping(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] = "human",
    confidence_level: float = 0.95,
) -> TableResult:
    """How an ordinal (or discrete-valued) judge's scale maps onto the human scale.

    For every value the judge uses: the number of items, the humans' mean score on them with a t interval,
    the isotonic (monotone) mapping judge value -> human score fitted by scikit-learn, and the signed
    error judge - human. Leniency overall and per segment is in :func:`judge_biases`.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import scale_mapping
    >>> j = alignlab.datasets.load("hanna").subset(items=[f"{i}:Coherence" for i in range(1056)])
    >>> table = scale_mapping(j, raters="ChatGPT").to_frame()
    >>> bool(table["isotonic_human_score"].is_monotonic_increasing)
    True
    """
    from scipy import stats

    judge_scores = per_item_scores(judgments, resolve(judgments, raters, "raters"), label="judge")
    human_scores = per_item_scores(judgments, resolve(judgments, reference, "reference"), label="humans")
    common = judge_scores.index.intersection(human_scores.index)
    if len(common) < 5:
        raise DataError(f"Only {len(common)} items are scored by both the judge and the humans; need >= 5.")
    x, y = judge_scores.loc[common].to_numpy(float), human_scores.loc[common].to_numpy(float)
    levels = np.unique(x)
    if len(levels) > 50:  # continuous judge: map deciles instead of every distinct value
        edges = np.unique(np.quantile(x, np.linspace(0, 1, 11)))
        x_binned = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        labels = [f"[{edges[k]:.3g}, {edges[k + 1]:.3g}]" for k in range(len(edges) - 1)]
    else:
        x_binned = np.searchsorted(levels, x)
        labels = [float(v) for v in levels]
    fitted = IsotonicRegression(out_of_bounds="clip").fit(x, y).predict(x)
    rows = []
    for k, label in enumerate(labels):
        mask = x_binned == k
        n = int(mask.sum())
        if n == 0:
            continue
        mean = float(y[mask].mean())
        half = (stats.t.ppf(0.5 + confidence_level / 2, n - 1) * y[mask].std(ddof=1) / np.sqrt(n)) if n > 1 \
            else np.nan
        rows.append({"judge_value": label, "n": n, "human_mean": mean, "ci_low": mean - half, "ci_high": mean + half,
                     "isotonic_human_score": float(fitted[mask].mean()),
                     "mean_signed_error": float((x[mask] - y[mask]).mean())})
    ignored = weights_ignored(judgments, "scale_mapping", "the per-level means and the isotonic fit are unweighted")
    return TableResult(table=pd.DataFrame(rows), confidence_level=confidence_level,
                       warnings=() if ignored is None else (ignored,),
                       method=f"scale_mapping[{raters} -> humans; t intervals, isotonic fit]")
