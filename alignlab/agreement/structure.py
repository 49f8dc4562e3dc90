"""Structure of agreement: rater x rater, each rater against the rest, by group, and the summary."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._array import agreement_kernels as kern
from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.agreement._core import (
    AgreementResult,
    AgreementTable,
    LongData,
    bootstrap_interval,
    cluster_codes,
    finish,
    long_data,
    select,
)
from alignlab.agreement.coefficients import (
    _level_values,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from alignlab.agreement.icc import icc, kendall_w
from alignlab.data.judgments import Judgments

__all__ = ["pairwise", "leave_one_out", "by_group", "summary", "STATISTICS", "default_level"]

#: statistics usable in the structure functions, by name
STATISTICS: dict[str, Callable[..., AgreementResult]] = {
    "krippendorff_alpha": krippendorff_alpha,
    "cohen_kappa": cohen_kappa,
    "scott_pi": scott_pi,
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac": gwet_ac,
    "brennan_prediger": brennan_prediger,
    "percent_agreement": percent_agreement,
    "icc": icc,
}
_LEVELS = ("auto", "nominal", "ordinal", "interval", "ratio")
_SELECTION = {"raters": [None, "str-or-list"]}
_INTERVAL = {
    "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": [Options(("bca", "percentile", "analytic", "none"))],
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
    "clusters": [None, str],
}

def _check_clusters(judgments: Judgments, clusters: str | None, ci_method: str, caller: str) -> None:
    """Validate ``clusters=`` once, before the loops (whose cells turn ValueErrors into NaN rows)."""
    if clusters is None:
        return
    if ci_method == "analytic":
        raise InvalidParameterError(f"clusters= needs a bootstrap interval in {caller}; pass ci_method='percentile' "
                         "(or 'bca').")
    cluster_codes(long_data(judgments, caller), clusters, caller)


def default_level(judgments: Judgments) -> str:
    """Krippendorff level matching the scale: nominal for unordered labels and binary data, ordinal
    for ordinal scales, interval for continuous scores."""
    kind = judgments.scale.kind
    return {"ordinal": "ordinal", "continuous": "interval"}.get(kind, "nominal")


def _run(name: str, judgments: Judgments, *, level: str, confidence_level: float, ci_method: str,
         n_resamples: int, random_state: Any, clusters: str | None = None) -> AgreementResult:
    function = STATISTICS[name]
    kwargs: dict[str, Any] = {"confidence_level": confidence_level, "ci_method": ci_method}
    if clusters is not None:
        kwargs["clusters"] = clusters
    if name == "krippendorff_alpha":
        kwargs["level"] = default_level(judgments) if level == "auto" else level
        if ci_method == "analytic":
            kwargs["ci_method"] = "percentile"
    if kwargs["ci_method"].startswith("bootstrap"):
        kwargs.update(n_resamples=n_resamples, random_state=random_state)
    return function(judgments, **kwargs)


def _view(judgments: Judgments, rows: np.ndarray) -> Judgments:
    """A Judgments on some rows of the table, without re-validation (rows are already valid)."""
    return Judgments(judgments.frame.iloc[np.sort(rows)], judgments.scale, segments=judgments.segments)


def _rows_by_rater(judgments: Judgments) -> dict[Any, np.ndarray]:
    codes = judgments.rater_codes
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(judgments.n_raters + 1))
    return {judgments.raters[i]: order[bounds[i]:bounds[i + 1]] for i in range(judgments.n_raters)}


def _nan_row(statistic: str, note: str, confidence_level: float) -> dict[str, Any]:
    return {"statistic": statistic, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
            "confidence_level": confidence_level, "standard_error": math.nan, "method": statistic,
            "ci_method": "none", "n_items": 0, "n_raters": 0, "warnings": note}


def _safe(fn: Callable[[], AgreementResult], statistic: str, confidence_level: float) -> dict[str, Any]:
    try:
        return fn().to_dict()
    except ValueError as exc:  # too few common items for this cell: keep the row, say why
        return _nan_row(statistic, str(exc), confidence_level)


# --------------------------------------------------------------------------------------------------
# pairwise
# --------------------------------------------------------------------------------------------------
@validate_params({**_SELECTION, **_INTERVAL, "statistic": [Options(tuple(STATISTICS))],
                  "level": [Options(_LEVELS)], "min_items": [Interval("integral", 2, None)]})
def pairwise(
    judgments: Judgments,
    *,
    statistic: str = "krippendorff_alpha",
    level: str = "auto",
    raters: str | Sequence[str] | None = None,
    min_items: int = 5,
    confidence_level: float = 0.95,
    ci_method: str = "percentile",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementTable:
    """Agreement of every pair of raters on the items both judged (the rater x rater matrix).

    Parameters
    ----------
    judgments : Judgments
    statistic : str, default "krippendorff_alpha"
        One of ``krippendorff_alpha``, ``cohen_kappa``, ``scott_pi``, ``fleiss_kappa``, ``gwet_ac``,
        ``brennan_prediger``, ``percent_agreement``, ``icc``.
    level : {"auto", "nominal", "ordinal", "interval", "ratio"}
        Alpha's level; ``"auto"`` follows the scale.
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    min_items : int, default 5
        Pairs with fewer common items get NaN and a note.
    confidence_level : float, default 0.95
    ci_method : {"percentile", "bca", "analytic", "none"}
        ``"analytic"`` applies to statistics that have one (alpha falls back to the percentile bootstrap).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) resampled whole by the bootstrap of every cell.

    Returns
    -------
    AgreementTable
        One row per pair: ``rater_a``, ``rater_b``, ``method_a``, ``method_b`` and the result columns.
        ``.matrix()`` gives the rater x rater frame.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 2, 3, 4, 5, 6] * 3, "rater_id": ["a"] * 6 + ["b"] * 6 + ["c"] * 6,
    ...                       "value": [1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1]})
    >>> j = alignlab.load_judgments(table, scale="binary")
    >>> pairs = agreement.pairwise(j, statistic="cohen_kappa", ci_method="none")
    >>> pairs.matrix().round(2).loc["a", "b"]
    np.float64(0.67)
    """
    sub = select(judgments, raters)
    _check_clusters(sub, clusters, ci_method, "pairwise")
    by_rater = _rows_by_rater(sub)
    info = sub.rater_info.set_index("rater_id")["method"]
    item_sets = {r: np.unique(sub.item_codes[rows]) for r, rows in by_rater.items()}
    rng = check_random_state(random_state)
    out = []
    names = list(by_rater)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = np.intersect1d(item_sets[a], item_sets[b], assume_unique=True)
            base = {"rater_a": a, "rater_b": b, "method_a": info[a], "method_b": info[b]}
            if common.size < min_items:
                out.append({**base, **_nan_row(statistic, f"{common.size} common items (< min_items={min_items})",
                                               confidence_level)})
                continue
            rows = np.concatenate([by_rater[a], by_rater[b]])
            rows = rows[np.isin(sub.item_codes[rows], common)]
            view = _view(sub, rows)
            row = _safe(lambda view=view: _run(statistic, view, level=level, confidence_level=confidence_level,
                                               ci_method=ci_method, n_resamples=n_resamples, random_state=rng,
                                               clusters=clusters),
                        statistic, confidence_level)
            out.append({**base, **row})
    table = pd.DataFrame(out)
    return AgreementTable(table=table, method=f"pairwise {statistic}", confidence_level=confidence_level,
                          statistic=statistic, keys=("rater_a", "rater_b"))


# --------------------------------------------------------------------------------------------------
# leave one rater out
# --------------------------------------------------------------------------------------------------
@validate_params({**_SELECTION, **_INTERVAL, "level": [Options(_LEVELS)]})
def leave_one_out(
    judgments: Judgments,
    *,
    level: str = "auto",
    raters: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    ci_method: str = "percentile",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementTable:
    """Each rater against the rest: the basis of a rater audit.

    For every rater r (of the selection): ``estimate`` is Krippendorff's alpha between r and the other
    raters, counting only pairs that involve r (cross-group alpha, see Notes), with an item bootstrap
    interval; ``alpha_without`` is alpha among the others and ``change_if_removed`` how much overall
    alpha moves when r is dropped (positive: the others agree better without r).

    Parameters
    ----------
    judgments : Judgments
    level : {"auto", "nominal", "ordinal", "interval", "ratio"}
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    confidence_level : float, default 0.95
    ci_method : {"percentile", "bca", "none"}
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) resampled whole by the bootstrap.

    Returns
    -------
    AgreementTable
        One row per rater: ``rater_id``, ``method_of_rater``, ``n_items`` and the result columns,
        plus ``alpha_all``, ``alpha_without``, ``change_if_removed``; sorted from the lowest estimate.

    Notes
    -----
    Cross-group alpha: a unit with ``a`` values of group A and ``b`` of group B contributes the
    coincidences ``(a + b)/(2ab) (n^A_c n^B_k + n^B_c n^A_k)``; with one value per group it is
    Krippendorff's alpha of the two.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 2, 3, 4, 5, 6] * 3, "rater_id": ["a"] * 6 + ["b"] * 6 + ["c"] * 6,
    ...                       "value": [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1]})
    >>> j = alignlab.load_judgments(table, scale="binary")
    >>> audit = agreement.leave_one_out(j, ci_method="none").to_frame()
    >>> audit["rater_id"].iloc[0]  # the rater who agrees least with the others
    'c'
    """
    sub = select(judgments, raters)
    if sub.n_raters < 3:
        raise DataError(f"leave_one_out needs at least three raters; the selection has {sub.n_raters}. "
                         "Use pairwise() for two raters.")
    _check_clusters(sub, clusters, ci_method, "leave_one_out")
    lvl = default_level(sub) if level == "auto" else level
    overall = krippendorff_alpha(sub, level=lvl, ci_method="none").estimate
    info = sub.rater_info.set_index("rater_id")["method"]
    rng = check_random_state(random_state)
    data = long_data(sub, "leave_one_out")
    item_clusters = cluster_codes(data, clusters, "leave_one_out")
    all_counts = None
    if data.scale.is_discrete:
        if lvl != "nominal" and data.scale.kind in ("categorical", "pairwise"):
            raise InvalidParameterError(f"level={lvl!r} needs ordered values; the scale is {data.scale.kind}.")
        all_counts = data.counts()
    rows = []
    # one pass over the arrays per rater (no per-rater Judgments): linear in judgments per rater
    for code, rater in enumerate(data.raters):
        in_a = data.rater_codes == code
        try:
            result = _cross_alpha_arrays(data, in_a, lvl, all_counts, label=f"{rater} vs rest",
                                         confidence_level=confidence_level, ci_method=ci_method,
                                         n_resamples=n_resamples, random_state=rng,
                                         item_clusters=item_clusters).to_dict()
        except ValueError as exc:
            result = _nan_row("krippendorff_alpha", str(exc), confidence_level)
        without = _alpha_without(data, in_a, lvl, all_counts)
        rows.append({"rater_id": rater, "method_of_rater": info[rater], **result, "alpha_all": overall,
                     "alpha_without": without, "change_if_removed": without - overall})
    table = pd.DataFrame(rows).sort_values(["estimate", "rater_id"], na_position="last").reset_index(drop=True)
    return AgreementTable(table=table, method=f"leave-one-rater-out krippendorff_alpha[{lvl}]",
                          confidence_level=confidence_level, statistic="krippendorff_alpha", keys=("rater_id",))


def _alpha_levels(scale: Any, level: str) -> np.ndarray:
    return _level_values(scale) if level in ("interval", "ratio") else np.arange(float(scale.n_categories))


def _alpha_without(data: LongData, in_a: np.ndarray, level: str, all_counts: np.ndarray | None) -> float:
    """Alpha of the judgments outside ``in_a`` (NaN when nothing is pairable)."""
    if all_counts is not None:
        rest = all_counts - kern.category_counts(data.item_codes[in_a], data.label_codes[in_a], data.n_items,
                                                 data.scale.n_categories)
        kernel: Any = kern.discrete_alpha_stats(rest, level, _alpha_levels(data.scale, level))
    elif level == "interval":
        kernel = kern.interval_alpha_stats(data.item_codes[~in_a], data.values[~in_a], data.n_items)
    else:
        view = _view(data.judgments, data.rows[~in_a])
        try:
            return krippendorff_alpha(view, level=level, ci_method="none").estimate
        except ValueError:
            return math.nan
    return float(kernel.statistic(np.ones((1, data.n_items)))[0])


def _cross_alpha(
    judgments: Judgments,
    in_a: np.ndarray,
    level: str,
    *,
    label: str,
    confidence_level: float,
    ci_method: str,
    n_resamples: int,
    random_state: Any,
    clusters: str | None = None,
) -> AgreementResult:
    """Alpha of the pairs that cross group A (rows ``in_a``) and group B (the other rows)."""
    data = long_data(judgments, "cross-group alpha")
    scale = data.scale
    if scale.is_discrete and level != "nominal" and scale.kind in ("categorical", "pairwise"):
        raise InvalidParameterError(f"level={level!r} needs ordered values; the scale is {scale.kind}.")
    all_counts = data.counts() if scale.is_discrete else None
    return _cross_alpha_arrays(data, in_a[data.rows], level, all_counts, label=label,
                               confidence_level=confidence_level, ci_method=ci_method, n_resamples=n_resamples,
                               random_state=random_state,
                               item_clusters=cluster_codes(data, clusters, "cross-group alpha"))


def _cross_alpha_arrays(
    data: LongData,
    in_a: np.ndarray,
    level: str,
    all_counts: np.ndarray | None,
    *,
    label: str,
    confidence_level: float,
    ci_method: str,
    n_resamples: int,
    random_state: Any,
    item_clusters: np.ndarray | None = None,
) -> AgreementResult:
    scale = data.scale
    if all_counts is not None:
        k = scale.n_categories
        counts_a = kern.category_counts(data.item_codes[in_a], data.label_codes[in_a], data.n_items, k)
        counts_b = all_counts - counts_a
        kernel: Any = kern.CoincidenceAlphaStats(level, _alpha_levels(scale, level),
                                                 kern.cross_group_coincidence(counts_a, counts_b))
    elif level == "interval":
        kernel = kern.cross_interval_alpha_stats(data.item_codes, data.values, in_a, data.n_items)
    else:
        raise InvalidParameterError(f"cross-group alpha on continuous scores supports level='interval' only, got {level!r}.")
    has_a = np.bincount(data.item_codes[in_a], minlength=data.n_items) > 0
    has_b = np.bincount(data.item_codes[~in_a], minlength=data.n_items) > 0
    shared = has_a & has_b
    if not shared.any():
        raise DataError(f"{label}: the two groups have no item in common.")
    keep = np.flatnonzero(shared)
    full = kernel.statistic(np.ones((1, data.n_items)))
    estimate = float(full[0])

    def statistic(w: np.ndarray) -> np.ndarray:
        big = np.zeros((np.atleast_2d(w).shape[0], data.n_items))
        big[:, keep] = w
        return kernel.statistic(big)

    interval = bootstrap_interval(statistic, keep.size, estimate, ci_method="none" if ci_method == "analytic"
                                  else ci_method, confidence_level=confidence_level, n_resamples=n_resamples,
                                  random_state=random_state,
                                  clusters=None if item_clusters is None else item_clusters[keep])
    d_o, d_e = kernel.disagreements()
    n_raters = len(np.unique(data.rater_codes))
    return finish(statistic="krippendorff_alpha", method=f"cross-group krippendorff_alpha[{level}]: {label}",
                  level=level, estimate=estimate, interval=interval, confidence_level=confidence_level,
                  n_items=keep.size, n_raters=n_raters, n_judgments=int(shared[data.item_codes].sum()),
                  observed_disagreement=d_o, expected_disagreement=d_e)


# --------------------------------------------------------------------------------------------------
# by group
# --------------------------------------------------------------------------------------------------
@validate_params({**_INTERVAL, "by": [str], "level": [Options(_LEVELS)], "reference": [str]})
def by_group(
    judgments: Judgments,
    *,
    by: str = "method_pair",
    level: str = "auto",
    reference: str = "human",
    confidence_level: float = 0.95,
    ci_method: str = "percentile",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementTable:
    """Krippendorff's alpha broken down by method pair, by a segment column, or by human disagreement.

    Parameters
    ----------
    judgments : Judgments
    by : str, default "method_pair"
        ``"method_pair"``: within each method (human–human, judge–judge) and across methods
        (judge–human, cross-group alpha counting only pairs that cross the two methods).
        ``"human_disagreement"``: the method-pair breakdown on items where the ``reference`` raters
        were unanimous vs split (items with at least two reference judgments).
        Any other value names a segment column: alpha among all raters within each of its levels.
    level : {"auto", "nominal", "ordinal", "interval", "ratio"}
    reference : str, default "human"
        The method whose unanimity defines the strata of ``by="human_disagreement"``.
    confidence_level : float, default 0.95
    ci_method : {"percentile", "bca", "none"}
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) resampled whole by the bootstrap of every group.

    Returns
    -------
    AgreementTable
        Columns ``group`` (and ``method_a``/``method_b`` or ``stratum``) and the result columns.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({
    ...     "item_id": [1, 2, 3, 4, 5, 6] * 3, "rater_id": ["h1"] * 6 + ["h2"] * 6 + ["gpt"] * 6,
    ...     "method": ["human"] * 12 + ["llm_judge"] * 6,
    ...     "value": [1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0]})
    >>> j = alignlab.load_judgments(table, scale="binary")
    >>> agreement.by_group(j, ci_method="none").to_frame()["group"].tolist()
    ['human–human', 'human–llm_judge']
    """
    lvl = default_level(judgments) if level == "auto" else level
    _check_clusters(judgments, clusters, "percentile", "by_group")  # by_group always bootstraps
    rng = check_random_state(random_state)
    kwargs = {"confidence_level": confidence_level, "ci_method": ci_method, "n_resamples": n_resamples,
              "random_state": rng, "clusters": clusters}
    if by == "method_pair":
        table = _method_pairs(judgments, lvl, kwargs)
        keys: tuple[str, ...] = ("group",)
    elif by == "human_disagreement":
        table = _by_unanimity(judgments, lvl, reference, kwargs)
        keys = ("stratum", "group")
    else:
        if by not in judgments.frame.columns or by in ("item_id", "rater_id", "value", "weight"):
            raise InvalidParameterError(
                f"The 'by' argument of by_group names {by!r}, which is neither 'method_pair', "
                f"'human_disagreement' nor a segment column; segments are {list(judgments.segments)}."
            )
        column = judgments.frame[by]
        rows = []
        for value in sorted(pd.unique(column.dropna()), key=str):
            positions = np.flatnonzero((column == value).to_numpy())
            view = _view(judgments, positions)
            row = _safe(lambda view=view: krippendorff_alpha(view, level=lvl, **_boot(kwargs)),
                        "krippendorff_alpha", confidence_level)
            rows.append({"group": f"{by}={value}", "segment": by, "segment_level": value, **row})
        table = pd.DataFrame(rows)
        keys = ("group",)
    return AgreementTable(table=table, method=f"krippendorff_alpha[{lvl}] by {by}",
                          confidence_level=confidence_level, statistic="krippendorff_alpha", keys=keys)


def _boot(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    if out["ci_method"] == "analytic":
        out["ci_method"] = "percentile"
    return out


def _method_pairs(judgments: Judgments, level: str, kwargs: dict[str, Any]) -> pd.DataFrame:
    methods = sorted(judgments.methods, key=str)
    method_column = judgments.frame["method"].to_numpy()
    rows = []
    for i, a in enumerate(methods):
        for b in methods[i:]:
            group = f"{a}–{b}"
            if a == b:
                positions = np.flatnonzero(method_column == a)
                view = _view(judgments, positions)
                if view.n_raters < 2:
                    continue
                row = _safe(lambda view=view: krippendorff_alpha(view, level=level, **_boot(kwargs)),
                            "krippendorff_alpha", kwargs["confidence_level"])
            else:
                positions = np.flatnonzero((method_column == a) | (method_column == b))
                view = _view(judgments, positions)
                in_a = (view.frame["method"] == a).to_numpy()
                row = _safe(lambda view=view, in_a=in_a, group=group: _cross_alpha(
                    view, in_a, level, label=group, **_boot(kwargs)), "krippendorff_alpha",
                    kwargs["confidence_level"])
            rows.append({"group": group, "method_a": a, "method_b": b, **row})
    return pd.DataFrame(rows)


def _by_unanimity(judgments: Judgments, level: str, reference: str, kwargs: dict[str, Any]) -> pd.DataFrame:
    if reference not in set(judgments.methods):
        raise DataError(f"The 'reference' method {reference!r} is not in this table; methods are "
                         f"{list(judgments.methods)}.")
    ref = judgments.subset(methods=reference)
    values = ref.label_codes if ref.scale.is_discrete else ref.values
    frame = pd.DataFrame({"item": ref.frame["item_id"].to_numpy(), "value": values})
    spread = frame.groupby("item")["value"].agg(["nunique", "size"])
    spread = spread[spread["size"] >= 2]
    if spread.empty:
        raise InvalidParameterError(f"by_group(by='human_disagreement') needs items with at least two {reference!r} "
                         "judgments; there are none.")
    strata = {"unanimous": spread.index[spread["nunique"] == 1], "split": spread.index[spread["nunique"] > 1]}
    parts = []
    for name, items in strata.items():
        if len(items) == 0:
            continue
        view = judgments.subset(items=list(items))
        part = _method_pairs(view, level, kwargs)
        part.insert(0, "stratum", name)
        part.insert(1, "n_stratum_items", len(items))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------------
@validate_params({**_SELECTION, **_INTERVAL})
def summary(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    ci_method: Literal["bca", "percentile", "analytic", "none"] = "analytic",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementTable:
    """The agreement statistics that suit the scale, in one tidy table.

    Discrete scales: percent agreement, Krippendorff's alpha (nominal; plus ordinal for ordinal
    scales), Fleiss' kappa, Gwet's AC1 (AC2 with quadratic weights for ordinal scales),
    Brennan–Prediger, and Cohen's kappa when there are exactly two raters. Continuous scales:
    Krippendorff's alpha (interval), ICC(2,1), ICC(3,1), ICC(2,k) and Kendall's W.

    Parameters
    ----------
    judgments : Judgments
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"`` uses each statistic's analytic interval and the percentile bootstrap for
        alpha and W (which have none).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) resampled whole; needs a bootstrap ``ci_method``.

    Returns
    -------
    AgreementTable
        One row per statistic (``statistic``, ``level``, ``estimate``, ``ci_low``, ``ci_high`` ...).

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 2, 3, 4, 5, 6] * 2, "rater_id": ["a"] * 6 + ["b"] * 6,
    ...                       "value": [1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0]})
    >>> j = alignlab.load_judgments(table, scale="binary")
    >>> agreement.summary(j, random_state=0).to_frame()["statistic"].tolist()
    ['percent_agreement', 'krippendorff_alpha', 'fleiss_kappa', 'gwet_ac1', 'brennan_prediger', 'cohen_kappa']
    """
    sub = select(judgments, raters)
    _check_clusters(sub, clusters, ci_method, "summary")
    rng = check_random_state(random_state)
    boot = {"confidence_level": confidence_level, "n_resamples": n_resamples, "random_state": rng,
            "ci_method": "percentile" if ci_method == "analytic" else ci_method, "clusters": clusters}
    plain: dict[str, Any] = {"confidence_level": confidence_level, "ci_method": ci_method, "clusters": clusters}
    if ci_method in ("bca", "percentile"):
        plain.update(n_resamples=n_resamples, random_state=rng)
    calls: list[Callable[[], AgreementResult]] = []
    scale = sub.scale
    if scale.is_discrete:
        calls.append(lambda: percent_agreement(sub, **plain))
        calls.append(lambda: krippendorff_alpha(sub, level="nominal", **boot))
        if scale.kind == "ordinal":
            calls.append(lambda: krippendorff_alpha(sub, level="ordinal", **boot))
        calls.append(lambda: fleiss_kappa(sub, **plain))
        calls.append(lambda: gwet_ac(sub, **plain))
        if scale.kind == "ordinal":
            calls.append(lambda: gwet_ac(sub, weights="quadratic", **plain))
        calls.append(lambda: brennan_prediger(sub, **plain))
        if sub.n_raters == 2:
            calls.append(lambda: cohen_kappa(sub, **plain))
            if scale.kind == "ordinal":
                calls.append(lambda: cohen_kappa(sub, weights="quadratic", **plain))
    else:
        calls.append(lambda: krippendorff_alpha(sub, level="interval", **boot))
        for form in ("ICC2", "ICC3", "ICC2k"):
            calls.append(lambda form=form: icc(sub, form=form, **plain))
        calls.append(lambda: kendall_w(sub, **boot))
    rows = []
    for call in calls:
        try:
            rows.append(call().to_dict())
        except ValueError as exc:  # e.g. no item with two judgments for one statistic: say so in the row
            rows.append(_nan_row("unavailable", str(exc), confidence_level))
    table = pd.DataFrame(rows)
    return AgreementTable(table=table, method=f"agreement summary ({scale.describe()})",
                          confidence_level=confidence_level, statistic="summary", keys=("statistic", "level"))
