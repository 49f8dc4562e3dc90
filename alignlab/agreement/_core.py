"""Shared pieces of the agreement module: result types, data extraction and the interval helper."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._array.bootstrap import bootstrap
from alignlab._params import DataError, InvalidParameterError, ci_method_constraint
from alignlab.data.judgments import Judgments
from alignlab.results import EstimateResult, TableResult, format_estimate

__all__ = ["AgreementResult", "AgreementTable", "AGREEMENT_CI_METHODS"]

#: interval methods accepted by every agreement statistic
#: (the library-wide names are alignlab._params.CI_METHODS; agreement supports this subset)
AGREEMENT_CI_METHODS = ("analytic", "bca", "percentile", "none")
BOOTSTRAP_METHODS = ("bca", "percentile", "none")


@dataclass(frozen=True, kw_only=True)
class AgreementResult(EstimateResult):
    """An agreement coefficient with its interval.

    Attributes
    ----------
    statistic : str
        ``"cohen_kappa"``, ``"krippendorff_alpha"``, ``"icc"`` ...
    level : str
        The measurement level (alpha), weight scheme (kappa family) or ICC form.
    observed_agreement, expected_agreement : float
        ``p_o`` and ``p_e`` of the kappa family (NaN for alpha, ICC, W).
    observed_disagreement, expected_disagreement : float
        ``D_o`` and ``D_e`` of Krippendorff's alpha (NaN elsewhere).
    n_judgments : int
        Judgments that entered the computation (after restricting raters and pairing).
    """

    statistic: str = "agreement"
    level: str = ""
    observed_agreement: float = math.nan
    expected_agreement: float = math.nan
    observed_disagreement: float = math.nan
    expected_disagreement: float = math.nan
    n_judgments: int = 0

    def __str__(self) -> str:
        head = f"{self.method}: " + format_estimate(self.estimate, self.ci_low, self.ci_high,
                                                      self.confidence_level)
        lines = [head, f"  interval: {self.ci_method}; n_items={self.n_items}, n_raters={self.n_raters}, "
                       f"n_judgments={self.n_judgments}"]
        if not math.isnan(self.observed_agreement):
            lines.append(f"  observed agreement {self.observed_agreement:.3f}, "
                         f"chance agreement {self.expected_agreement:.3f}")
        if not math.isnan(self.observed_disagreement):
            lines.append(f"  observed disagreement {self.observed_disagreement:.4g}, "
                         f"expected disagreement {self.expected_disagreement:.4g}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class AgreementTable(TableResult):
    """A tidy table of agreement results (pairwise, leave-one-out, by group, summary).

    ``table`` has one row per result with the :class:`AgreementResult` columns (``statistic``,
    ``estimate``, ``ci_low``, ``ci_high`` ...) plus the identifying columns of the breakdown.
    """

    statistic: str = ""
    keys: tuple[str, ...] = field(default_factory=tuple)

    def matrix(self, value: str = "estimate") -> pd.DataFrame:
        """Rater x rater matrix of ``value`` (pairwise tables only), symmetric with NaN diagonal."""
        if set(self.keys) != {"rater_a", "rater_b"}:
            raise DataError("matrix() needs a pairwise table (from agreement.pairwise).")
        t = self.table
        raters = list(dict.fromkeys([*t["rater_a"], *t["rater_b"]]))
        out = pd.DataFrame(np.nan, index=pd.Index(raters, name="rater_a"), columns=pd.Index(raters, name="rater_b"))
        for column_a, column_b in (("rater_a", "rater_b"), ("rater_b", "rater_a")):
            wide = t.pivot(index=column_a, columns=column_b, values=value)
            out = out.combine_first(wide.rename_axis(index="rater_a", columns="rater_b"))
        return out.loc[raters, raters]


# --------------------------------------------------------------------------------------------------
# data extraction
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LongData:
    """One judgment per (item, rater) pair, with compact item and rater codes."""

    judgments: Judgments
    item_codes: np.ndarray
    rater_codes: np.ndarray
    label_codes: np.ndarray | None
    _values: np.ndarray | None  # None: the table's own values (computed on first use)
    items: pd.Index
    raters: pd.Index
    _rows: np.ndarray | None  # positions in judgments.frame; None: every row, in order
    n_duplicates: int
    _memo: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def values(self) -> np.ndarray:
        """Numeric value per judgment (lazy: discrete statistics never need it)."""
        if self._values is not None:
            return self._values
        if "values" not in self._memo:
            values = np.asarray(self.judgments.values, dtype=float)
            self._memo["values"] = values if self._rows is None else values[self._rows]
        return self._memo["values"]

    @property
    def rows(self) -> np.ndarray:
        """Positions of the judgments in ``judgments.frame``."""
        if self._rows is not None:
            return self._rows
        if "rows" not in self._memo:
            self._memo["rows"] = np.arange(len(self.item_codes))
        return self._memo["rows"]

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_raters(self) -> int:
        return len(self.raters)

    @property
    def scale(self) -> Any:
        return self.judgments.scale

    def counts(self) -> np.ndarray:
        """Items x categories counts (memoised: several statistics of one table share them; read-only).

        One bincount over ``item * K + label``; the flat key is built in place in one buffer.
        """
        if "counts" not in self._memo:
            k = self.scale.n_categories
            flat = np.multiply(self.item_codes, k, dtype=np.int64)
            flat += self.label_codes
            counts = np.bincount(flat, minlength=self.n_items * k).reshape(self.n_items, k).astype(float)
            counts.flags.writeable = False
            self._memo["counts"] = counts
        return self._memo["counts"]

    def per_item(self) -> np.ndarray:
        """Judgments per item (memoised, read-only); from the counts when they exist (no pass over rows)."""
        if "per_item" not in self._memo:
            if "counts" in self._memo:
                m = self._memo["counts"].sum(axis=1).astype(np.int64)
            else:
                m = np.bincount(self.item_codes, minlength=self.n_items)
            m.flags.writeable = False
            self._memo["per_item"] = m
        return self._memo["per_item"]


def select(judgments: Judgments, raters: str | Sequence[str] | None) -> Judgments:
    """Restrict to ``raters``: rater ids and/or method names (errors name the available choices)."""
    if raters is None:
        return judgments
    return judgments.subset(raters=judgments.resolve_raters(raters, argument="raters"))


def long_data(judgments: Judgments, caller: str) -> LongData:
    """Deduplicate to the last judgment per (item, rater) and compact the codes."""
    j = judgments
    if j.aggregates is not None and len(j.frame) == 0:  # pragma: no cover - aggregates-only tables
        raise DataError(f"{caller} needs individual judgments; this table only has per-item aggregates.")
    cached = j.__dict__.get(_CACHE_ATTRIBUTE)
    if cached is not None:
        return cached
    item_codes, rater_codes = j.item_codes, j.rater_codes
    labels = j.label_codes if j.scale.is_discrete else None
    values = None
    rows = None  # no copies of the per-row arrays when nothing repeats (the table's cached flag)
    if j._has_repeated_pairs:
        rows = j._last_per_pair()
        item_codes, rater_codes = item_codes[rows], rater_codes[rows]
        values = np.asarray(j.values, dtype=float)[rows]
        labels = labels[rows] if labels is not None else None
    # every (item, rater) pair keeps one row, so the table's compact codes stay compact
    out = LongData(
        judgments=j,
        item_codes=item_codes,
        rater_codes=rater_codes,
        label_codes=labels,
        _values=values,
        items=j.items,
        raters=j.raters,
        _rows=rows,
        n_duplicates=len(j.item_codes) - len(item_codes),
    )
    # cached on the table like its own cached_property views (the j <-> view cycle is collected by gc)
    j.__dict__[_CACHE_ATTRIBUTE] = out
    return out


# Judgments are treated as immutable (like their own cached views): the long view is cached per object.
_CACHE_ATTRIBUTE = "_agreement_long_view"


def cluster_codes(data: LongData, clusters: str | None, caller: str) -> np.ndarray | None:
    """Cluster code per item from an item-level column of the judgments table."""
    if clusters is None:
        return None
    frame = data.judgments.frame
    if clusters not in frame.columns:
        raise InvalidParameterError(
            f"The 'clusters' argument of {caller} names column {clusters!r}, which is not in the judgments "
            f"table; columns are {list(frame.columns)}. Load the table with that column kept as a segment."
        )
    column = frame[clusters].to_numpy()[data.rows]
    if pd.isna(column).any():
        raise DataError(f"The cluster column {clusters!r} has missing values; fill them in or drop those rows.")
    pairs = pd.DataFrame({"item": data.item_codes, "cluster": column}).drop_duplicates()
    if len(pairs) != data.n_items:
        bad = pairs["item"][pairs["item"].duplicated()].iloc[0]
        raise InvalidParameterError(
            f"The cluster column {clusters!r} must be constant within an item; item {data.items[bad]!r} has "
            "several values. Use an item-level column such as a conversation id."
        )
    per_item = np.empty(data.n_items, dtype=object)
    per_item[pairs["item"].to_numpy()] = pairs["cluster"].to_numpy()
    codes, _ = pd.factorize(per_item)
    return codes.astype(np.int64)


# --------------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalEstimate:
    """An interval computed for an agreement statistic (not the ``_params.Interval`` constraint)."""

    low: float
    high: float
    standard_error: float
    label: str
    warnings: tuple[str, ...] = ()


NO_INTERVAL = IntervalEstimate(math.nan, math.nan, math.nan, "none")


def bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    n_units: int,
    estimate: float,
    *,
    ci_method: str,
    confidence_level: float,
    n_resamples: int,
    random_state: Any,
    clusters: np.ndarray | None,
) -> IntervalEstimate:
    if ci_method == "none" or not np.isfinite(estimate):
        return NO_INTERVAL
    outcome = bootstrap(statistic, n_units, estimate=estimate, n_resamples=n_resamples,
                        confidence_level=confidence_level, method=ci_method, random_state=random_state,
                        clusters=clusters, unit_name="items" if clusters is None else "clusters")
    notes = list(outcome.warnings)  # below the minimum data / degenerate resamples: why the interval is NaN
    if outcome.n_failed and not outcome.warnings:
        notes.append(f"{outcome.n_failed} of {n_resamples} bootstrap resamples gave no value (e.g. one "
                     "category only) and were dropped")
    return IntervalEstimate(outcome.low, outcome.high, outcome.standard_error, outcome.ci_method, tuple(notes))


def t_interval(estimate: float, se: float, df: float, confidence_level: float, label: str,
               upper: float = 1.0) -> IntervalEstimate:
    """Wald interval with a t quantile (Gwet's convention), the upper limit capped at ``upper``."""
    if not (np.isfinite(estimate) and np.isfinite(se)):
        return IntervalEstimate(math.nan, math.nan, se, label)
    q = stats.t.ppf(0.5 + confidence_level / 2, df)
    return IntervalEstimate(estimate - q * se, min(upper, estimate + q * se), se, label)


def normal_interval(estimate: float, se: float, confidence_level: float, label: str) -> IntervalEstimate:
    if not (np.isfinite(estimate) and np.isfinite(se)):
        return IntervalEstimate(math.nan, math.nan, se, label)
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    return IntervalEstimate(estimate - q * se, estimate + q * se, se, label)


def ci_options(analytic: bool) -> list[Any]:
    return ci_method_constraint(*(AGREEMENT_CI_METHODS if analytic else BOOTSTRAP_METHODS))


def finish(
    *,
    statistic: str,
    method: str,
    level: str,
    estimate: float,
    interval: IntervalEstimate,
    confidence_level: float,
    n_items: int,
    n_raters: int,
    n_judgments: int,
    warnings: Sequence[str] = (),
    observed_agreement: float = math.nan,
    expected_agreement: float = math.nan,
    observed_disagreement: float = math.nan,
    expected_disagreement: float = math.nan,
) -> AgreementResult:
    return AgreementResult(
        estimate=float(estimate),
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        confidence_level=float(confidence_level),
        method=method,
        ci_method=interval.label,
        n_items=int(n_items),
        n_raters=int(n_raters),
        standard_error=float(interval.standard_error),
        warnings=tuple(warnings) + interval.warnings,
        statistic=statistic,
        level=level,
        observed_agreement=float(observed_agreement),
        expected_agreement=float(expected_agreement),
        observed_disagreement=float(observed_disagreement),
        expected_disagreement=float(expected_disagreement),
        n_judgments=int(n_judgments),
    )
