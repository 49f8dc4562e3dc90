"""How a compared metric is specified: :class:`Metric` and :func:`metrics_from_column`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._params import InvalidParameterError
from alignlab.data import Judgments

__all__ = ["Metric", "metrics_from_column", "DEFAULT_MIN_CHANGE_RATE"]

MetricKind = Literal["mean", "pass_rate", "win_rate"]

#: Default minimum meaningful change of a pass rate or a win rate (absolute, 3 percentage points).
DEFAULT_MIN_CHANGE_RATE = 0.03
#: Default minimum meaningful change of a mean on a bounded scale: this share of the scale's range.
DEFAULT_MIN_CHANGE_RANGE_SHARE = 0.05
#: ... and on an unbounded scale: this many baseline standard deviations (Cohen's "small" effect).
DEFAULT_MIN_CHANGE_SD = 0.2


@dataclass(frozen=True)
class Metric:
    """One metric compared between two versions.

    Parameters
    ----------
    name : str
        Label in every output.
    kind : {"mean", "pass_rate", "win_rate"}
        ``"mean"``: mean of the judgment values (numeric level on ordinal/binary scales);
        ``"pass_rate"``: share of judgments with ``value >= threshold`` (on a binary scale without a
        threshold: share of the second label, e.g. 1 of (0, 1)); ``"win_rate"``: pairwise scales only,
        head-to-head judgments of candidate vs baseline (``system_a``/``system_b``), scored +1 when the
        candidate is preferred, -1 when the baseline is, 0 for a tie: the reported difference is the
        net preference (wins - losses) / judgments.
    threshold : float, optional
        Pass threshold of ``"pass_rate"``.
    higher_is_better : bool
        Direction: a lower candidate value is a *regression* when True.
    min_change : float, optional
        Minimum meaningful change (absolute, metric units; rates as proportions, 0.03 = 3 points).
        A comparison whose minimum detectable effect at 80 % power exceeds it is *underpowered*.
        Default: 0.03 for rates, 5 % of the scale range for means on a bounded scale, else 0.2 baseline
        standard deviations.
    where : mapping, optional
        Only judgments whose columns equal these values (e.g. ``{"criterion": "Coherence"}``).

    Examples
    --------
    >>> Metric("helpfulness", kind="pass_rate", threshold=4, min_change=0.02).kind
    'pass_rate'
    """

    name: str
    kind: MetricKind = "mean"
    threshold: float | None = None
    higher_is_better: bool = True
    min_change: float | None = None
    where: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(f"A Metric needs a non-empty str name. Got {self.name!r} instead.")
        if self.kind not in ("mean", "pass_rate", "win_rate"):
            raise InvalidParameterError(
                f"The 'kind' parameter of Metric must be one of 'mean', 'pass_rate', 'win_rate'. Got {self.kind!r} "
                "instead.")
        if self.threshold is not None and not (isinstance(self.threshold, int | float) and math.isfinite(self.threshold)):
            raise InvalidParameterError(f"The 'threshold' parameter of Metric must be a finite float. Got "
                                        f"{self.threshold!r} instead.")
        if self.min_change is not None and not (isinstance(self.min_change, int | float) and self.min_change > 0):
            raise InvalidParameterError(f"The 'min_change' parameter of Metric must be a float > 0. Got "
                                        f"{self.min_change!r} instead.")
        if self.where is not None and not isinstance(self.where, Mapping):
            raise InvalidParameterError(f"The 'where' parameter of Metric must be a mapping column -> value. Got "
                                        f"{self.where!r} instead.")

    @property
    def is_rate(self) -> bool:
        return self.kind in ("pass_rate", "win_rate")

    def row_values(self, judgments: Judgments, mask: np.ndarray, candidate: Any) -> np.ndarray:
        """The per-judgment value this metric averages, for the rows in ``mask`` (float array)."""
        scale = judgments.scale
        if self.kind == "win_rate":
            if scale.kind != "pairwise":
                raise InvalidParameterError(
                    f"Metric {self.name!r} is a win_rate, which needs a pairwise scale; this table is {scale.describe()}. "
                    "Use kind='mean' or 'pass_rate'.")
            codes = judgments.label_codes[mask]
            first_is_candidate = (judgments.frame["system_a"].to_numpy()[mask] == candidate)
            prefer_first = np.where(codes == 0, 1.0, np.where(codes == 1, -1.0, 0.0))
            return np.where(first_is_candidate, prefer_first, -prefer_first)
        if scale.kind == "pairwise":
            raise InvalidParameterError(
                f"Metric {self.name!r} is a {self.kind}, but the table is pairwise (A/B/tie preferences): use "
                "Metric(name, kind='win_rate').")
        if scale.kind == "categorical" and self.kind == "mean":
            raise InvalidParameterError(
                f"Metric {self.name!r} takes the mean of an unordered categorical scale ({scale.describe()}); "
                "use kind='pass_rate' with a threshold on an ordered scale, or load the data as ordinal.")
        if self.kind == "pass_rate":
            if self.threshold is None:
                if scale.kind != "binary":
                    raise InvalidParameterError(
                        f"Metric {self.name!r} is a pass_rate on a {scale.kind} scale and needs a threshold "
                        "(pass = value >= threshold), e.g. Metric(name, kind='pass_rate', threshold=4).")
                return (judgments.label_codes[mask] == 1).astype(float)
            return (judgments.values[mask] >= self.threshold).astype(float)
        return judgments.values[mask].astype(float)

    def default_min_change(self, judgments: Judgments, baseline_sd: float) -> tuple[float, str]:
        """The minimum meaningful change and how it was chosen."""
        if self.min_change is not None:
            return float(self.min_change), "given"
        if self.is_rate:
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

    def filter_mask(self, judgments: Judgments) -> np.ndarray:
        frame = judgments.frame
        mask = np.ones(len(frame), dtype=bool)
        for column, value in (self.where or {}).items():
            if column not in frame.columns:
                raise InvalidParameterError(
                    f"Metric {self.name!r} filters on column {column!r}, which is not in the table; columns are "
                    f"{list(frame.columns)}.")
            mask &= (frame[column] == value).to_numpy()
        if not mask.any():
            raise InvalidParameterError(f"Metric {self.name!r}: no judgment matches where={dict(self.where or {})!r}.")
        return mask


def metrics_from_column(
    judgments: Judgments,
    column: str,
    *,
    kind: MetricKind = "mean",
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
    return [Metric(str(v), kind=kind, threshold=threshold, higher_is_better=higher_is_better, min_change=min_change,
                   where={column: v}) for v in sorted(values, key=str)]
