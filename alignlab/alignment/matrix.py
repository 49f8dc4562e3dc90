"""Every method pair's chance-corrected agreement and correlation in one tidy table."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment._data import numeric_values, weights_ignored
from alignlab.alignment._results import MethodMatrixResult
from alignlab.alignment.correlation import correlate
from alignlab.data.consensus import item_consensus
from alignlab.data.judgments import Judgments, load_judgments

__all__ = ["method_matrix"]

_MAX_RATER_UNITS = 12


def _units(judgments: Judgments, units: str) -> list[tuple[str, list[Any]]]:
    """(name, raters) per unit: every rater when few, else every method (its raters' consensus)."""
    if units == "auto":
        units = "raters" if judgments.n_raters <= _MAX_RATER_UNITS else "methods"
    if units == "raters":
        return [(str(r), [r]) for r in judgments.raters]
    info = judgments.rater_info
    return [(str(m), info.loc[info["method"] == m, "rater_id"].tolist()) for m in judgments.methods]


def _unit_labels(judgments: Judgments, raters: list[Any]) -> pd.Series:
    """Per-item label of a unit: the rater's own, or the raters' majority (discrete) / mean (scores)."""
    sub = judgments.subset(raters=raters)
    if len(raters) == 1:
        last = sub.frame.drop_duplicates("item_id", keep="last")  # one rater: its last judgment per item
        return pd.Series(last["value"].to_numpy(), index=last["item_id"].to_numpy())
    cons = item_consensus(sub, raters=None, random_state=0)
    return pd.Series(cons["consensus"].to_numpy(), index=cons["item_id"])


@validate_params({
    "judgments": [Judgments],
    "units": [Options(("auto", "raters", "methods"))],
    "statistic": [Options(("spearman", "pearson", "kendall_b"))],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def method_matrix(
    judgments: Judgments,
    *,
    units: Literal["auto", "raters", "methods"] = "auto",
    statistic: Literal["spearman", "pearson", "kendall_b"] = "spearman",
    confidence_level: float = 0.95,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = 0,
) -> MethodMatrixResult:
    """Chance-corrected agreement and correlation between every pair of methods (or raters).

    Parameters
    ----------
    units : {"auto", "raters", "methods"}
        Compare individual raters (default when there are at most 12) or methods (a method with several
        raters is represented by their per-item majority label or mean score).
    statistic : {"spearman", "pearson", "kendall_b"}
        The correlation reported beside the agreement (item level, bootstrap interval over items); not
        computed for unordered categorical labels.

    Returns
    -------
    MethodMatrixResult
        ``table``: one row per (unit_a, unit_b, statistic) with ``estimate``, ``ci_low``, ``ci_high``,
        ``n_items`` and ``ci_method``. The agreement is Cohen's kappa (unweighted for nominal and pairwise
        labels, quadratic-weighted for ordinal ones) or interval Krippendorff's alpha for continuous
        scores, from :mod:`alignlab.agreement`.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import method_matrix
    >>> m = method_matrix(alignlab.datasets.load("pandalm"), n_resamples=20)
    >>> table = m.to_frame()
    >>> row = table[(table.unit_a == "annotator1") & (table.unit_b == "annotator2")
    ...             & (table.statistic == "cohen_kappa")]
    >>> round(float(row.estimate.iloc[0]), 3)
    0.852
    """
    # imported here: the agreement family is a sibling compute module
    from alignlab.agreement import cohen_kappa, krippendorff_alpha

    rng = check_random_state(random_state)
    unit_list = _units(judgments, units)
    labels = {name: _unit_labels(judgments, raters) for name, raters in unit_list}
    ordered = judgments.scale.kind in ("binary", "ordinal", "continuous", "pairwise")
    rows = []
    for i, (name_a, _) in enumerate(unit_list):
        for name_b, _ in unit_list[i + 1:]:
            common = labels[name_a].index.intersection(labels[name_b].index)
            if len(common) < 3:
                continue
            two = pd.DataFrame({
                "item_id": np.r_[np.asarray(common), np.asarray(common)],
                "rater_id": [name_a] * len(common) + [name_b] * len(common),
                "method": "unit",
                "value": np.r_[labels[name_a].loc[common].to_numpy(), labels[name_b].loc[common].to_numpy()],
            })
            pair = load_judgments(two, scale=judgments.scale)
            if judgments.scale.kind == "continuous":
                agreement = krippendorff_alpha(pair, level="interval", n_resamples=n_resamples,
                                               random_state=rng, ci_method="percentile")
                agree_name = "krippendorff_alpha[interval]"
            else:
                weights = "quadratic" if judgments.scale.kind == "ordinal" else None
                agreement = cohen_kappa(pair, weights=weights)
                agree_name = "cohen_kappa" if weights is None else "cohen_kappa[quadratic]"
            rows.append({"unit_a": name_a, "unit_b": name_b, "statistic": agree_name,
                         "estimate": agreement.estimate, "ci_low": agreement.ci_low, "ci_high": agreement.ci_high,
                         "n_items": len(common), "ci_method": agreement.ci_method})
            if ordered and np.ptp(numeric_values(pair)) > 0:
                try:
                    corr = correlate(pair, raters=name_a, reference=name_b, statistic=statistic, n_resamples=n_resamples,
                                     random_state=rng, ci_method="percentile")
                except ValueError:
                    continue
                rows.append({"unit_a": name_a, "unit_b": name_b, "statistic": statistic,
                             "estimate": corr.estimate, "ci_low": corr.ci_low, "ci_high": corr.ci_high,
                             "n_items": corr.n_items, "ci_method": corr.ci_method})
    table = pd.DataFrame(rows, columns=["unit_a", "unit_b", "statistic", "estimate", "ci_low", "ci_high",
                                        "n_items", "ci_method"])
    ignored = weights_ignored(judgments, "method_matrix", "chance-corrected agreement and the correlations of the "
                              "matrix are computed unweighted, to be comparable across every pair of methods")
    return MethodMatrixResult(warnings=() if ignored is None else (ignored,), table=table, methods=tuple(name for name, _ in unit_list),
                              confidence_level=confidence_level, method=f"method_matrix[{units}; {statistic}]")
