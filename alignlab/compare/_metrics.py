"""How a compared metric is read: the library's one :class:`~alignlab.metrics.Metric` (``alignlab._metric``),
and :func:`metrics_from_column`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from alignlab._metric import Metric
from alignlab._params import InvalidParameterError
from alignlab.data import Judgments

__all__ = ["Metric", "metrics_from_column", "DEFAULT_MIN_CHANGE_RATE"]

#: Default minimum meaningful change of a pass rate or a win rate (absolute, 3 percentage points).
DEFAULT_MIN_CHANGE_RATE = 0.03
#: Default minimum meaningful change of a mean on a bounded scale: this share of the scale's range.
DEFAULT_MIN_CHANGE_RANGE_SHARE = 0.05
#: ... and on an unbounded scale: this many baseline standard deviations (Cohen's "small" effect).
DEFAULT_MIN_CHANGE_SD = 0.2


#: the statistics a version comparison supports (of alignlab._metric.STATISTICS)
COMPARED_STATISTICS = ("mean", "pass_rate", "win_rate", "label_rate")


def check_metric(metric: Metric) -> None:
    """The metric's fields, checked once before any work (one clear error per problem)."""
    if not isinstance(metric, Metric):
        raise InvalidParameterError(
            f"compare_versions compares alignlab.metrics.Metric objects (also alignlab.compare.Metric); got "
            f"{type(metric).__name__}.")
    if not isinstance(metric.name, str) or not metric.name:
        raise InvalidParameterError(f"A Metric needs a non-empty str name. Got {metric.name!r} instead.")
    if metric.statistic not in COMPARED_STATISTICS:
        raise InvalidParameterError(
            f"The 'statistic' of Metric {metric.name!r} must be one of {', '.join(map(repr, COMPARED_STATISTICS))} "
            f"to be compared between versions. Got {metric.statistic!r} instead.")
    if metric.threshold is not None and not (isinstance(metric.threshold, int | float)
                                             and math.isfinite(metric.threshold)):
        raise InvalidParameterError(f"The 'threshold' of Metric {metric.name!r} must be a finite float. Got "
                                    f"{metric.threshold!r} instead.")
    if metric.min_change is not None and not (isinstance(metric.min_change, int | float) and metric.min_change > 0):
        raise InvalidParameterError(f"The 'min_change' of Metric {metric.name!r} must be a float > 0. Got "
                                    f"{metric.min_change!r} instead.")
    if metric.statistic == "label_rate" and metric.label is None:
        raise InvalidParameterError(f"Metric {metric.name!r} is a label_rate and needs label= (the label counted).")


def is_rate(metric: Metric) -> bool:
    return metric.statistic in ("pass_rate", "win_rate", "label_rate")


def row_values(metric: Metric, judgments: Judgments, mask: np.ndarray, candidate: Any) -> np.ndarray:
    """The per-judgment value the metric averages, for the rows in ``mask`` (float array).

    ``mean``: the numeric value (level on ordinal/binary scales); ``pass_rate``: 1 when the value passes
    the threshold (``>=``, or ``<=`` with ``pass_if="<="``; binary scales without a threshold: the second
    label); ``label_rate``: 1 when the judgment is ``label``; ``win_rate`` (pairwise scales): +1 when the
    candidate is preferred, -1 when the baseline is, 0 for a tie, so the mean is the net preference.
    """
    scale = judgments.scale
    statistic = metric.statistic
    if statistic == "win_rate":
        if scale.kind != "pairwise":
            raise InvalidParameterError(
                f"Metric {metric.name!r} is a win_rate, which needs a pairwise scale; this table is "
                f"{scale.describe()}. Use statistic='mean' or 'pass_rate'.")
        codes = judgments.label_codes[mask]
        first_is_candidate = (judgments.frame["system_a"].to_numpy()[mask] == candidate)
        prefer_first = np.where(codes == 0, 1.0, np.where(codes == 1, -1.0, 0.0))
        return np.where(first_is_candidate, prefer_first, -prefer_first)
    if statistic == "label_rate":
        return (judgments.frame["value"].to_numpy()[mask] == metric.label).astype(float)
    if scale.kind == "pairwise":
        raise InvalidParameterError(
            f"Metric {metric.name!r} is a {statistic}, but the table is pairwise (A/B/tie preferences): use "
            "Metric(name, statistic='win_rate').")
    if scale.kind == "categorical" and statistic == "mean":
        raise InvalidParameterError(
            f"Metric {metric.name!r} takes the mean of an unordered categorical scale ({scale.describe()}); "
            "use statistic='pass_rate' with a threshold on an ordered scale, or load the data as ordinal.")
    if statistic == "pass_rate":
        if metric.threshold is None:
            if scale.kind != "binary":
                raise InvalidParameterError(
                    f"Metric {metric.name!r} is a pass_rate on a {scale.kind} scale and needs a threshold "
                    "(pass = value >= threshold), e.g. Metric(name, statistic='pass_rate', threshold=4).")
            return (judgments.label_codes[mask] == 1).astype(float)
        values = judgments.values[mask]
        passed = values <= metric.threshold if metric.pass_if == "<=" else values >= metric.threshold
        return passed.astype(float)
    return judgments.values[mask].astype(float)


def default_min_change(metric: Metric, judgments: Judgments, baseline_sd: float) -> tuple[float, str]:
    """The minimum meaningful change and how it was chosen."""
    if metric.min_change is not None:
        return float(metric.min_change), "given"
    if is_rate(metric):
        return DEFAULT_MIN_CHANGE_RATE, f"default {DEFAULT_MIN_CHANGE_RATE:g} (rate)"
    scale = judgments.scale
    if scale.kind == "continuous" and math.isfinite(scale.low) and math.isfinite(scale.high):
        return DEFAULT_MIN_CHANGE_RANGE_SHARE * (scale.high - scale.low), "default 5% of the scale range"
    if scale.kind in ("ordinal", "binary"):
        levels = scale.numeric_levels()
        return DEFAULT_MIN_CHANGE_RANGE_SHARE * float(levels.max() - levels.min()), "default 5% of the scale range"
    if math.isfinite(baseline_sd) and baseline_sd > 0:
        return DEFAULT_MIN_CHANGE_SD * baseline_sd, "default 0.2 baseline SD"
    return math.nan, "not defined (no spread)"


def filter_mask(metric: Metric, judgments: Judgments) -> np.ndarray:
    """The judgments the metric covers (its ``where``: a column equal to a value, or to one of a list)."""
    frame = judgments.frame
    mask = np.ones(len(frame), dtype=bool)
    for column, value in (metric.where or {}).items():
        if column not in frame.columns:
            raise InvalidParameterError(
                f"Metric {metric.name!r} filters on column {column!r}, which is not in the table; columns are "
                f"{list(frame.columns)}.")
        wanted = list(value) if isinstance(value, list | tuple) else [value]
        mask &= frame[column].isin(wanted).to_numpy()
    if not mask.any():
        raise InvalidParameterError(f"Metric {metric.name!r}: no judgment matches where={dict(metric.where or {})!r}.")
    return mask


def metrics_from_column(
    judgments: Judgments,
    column: str,
    *,
    statistic: str = "mean",
    threshold: float | None = None,
    higher_is_better: bool = True,
    min_change: float | None = None,
) -> list[Metric]:
    """One :class:`Metric` per value of ``column`` (e.g. HANNA's ``criterion``: Coherence, Empathy ...).

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.compare import metrics_from_column
    >>> [m.name for m in metrics_from_column(alignlab.datasets.load("hanna"), "criterion")][:2]
    ['Coherence', 'Complexity']
    """
    if column not in judgments.frame.columns:
        raise InvalidParameterError(
            f"metrics_from_column: column {column!r} is not in the table; columns are {list(judgments.frame.columns)}.")
    values = pd.unique(judgments.frame[column].dropna())
    return [Metric(str(v), statistic=statistic, threshold=threshold, higher_is_better=higher_is_better,
                   min_change=min_change, where={column: v}) for v in sorted(values, key=str)]
