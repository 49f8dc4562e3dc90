"""Representativeness audit: how far is the evaluation mix from production traffic, and what does it cost?"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    Interval,
    check_random_state,
    validate_params,
)
from alignlab.results import TableResult, format_estimate
from alignlab.sampling import _stats
from alignlab.sampling._cells import Cells, build_cells, cross_validated_auc
from alignlab.sampling._inputs import JOINT_SEPARATOR, encode_segments, load_pair, row_weights

__all__ = ["audit_representativeness", "RepresentativenessResult"]

SEGMENT_COLUMNS = [
    "segment", "level", "kind", "production_n", "eval_n", "production_share", "eval_share", "difference",
    "log_ratio", "log_ratio_se", "log_ratio_ci_low", "log_ratio_ci_high", "representation", "p_value",
    "q_value", "significant", "status",
]
GAP_COLUMNS = ["segment", "level", "kind", "production_share", "production_n", "eval_n", "shortfall", "status"]


@dataclass(frozen=True, kw_only=True)
class RepresentativenessResult(TableResult):
    """Result of :func:`audit_representativeness`.

    ``to_frame()`` has one row per segment level (``kind="column"``) and per joint cell of all the
    segment columns (``kind="joint"``): ``production_share`` p, ``eval_share`` q, ``log_ratio`` =
    log(p/q) (> 0: under-represented in the evaluation data) with its delta-method interval,
    ``representation`` = q/p, the two-proportion ``p_value`` and its Benjamini–Hochberg ``q_value``.

    Attributes
    ----------
    coverage_gaps : pandas.DataFrame
        Segments with production share >= ``coverage_threshold`` but fewer than ``n_min`` evaluation
        items: ``status`` is ``"missing"`` (none) or ``"thin"``, ``shortfall`` the items to add.
    global_effects : pandas.DataFrame
        Size-free effects (TVD, Jensen–Shannon, PSI, Wasserstein per numeric column, design effect,
        classifier AUC) with intervals, and the G and Pearson χ² tests.
    bias_bound : float
        Worst-case bias of an unweighted metric in [0, 1] due to the mix alone (= TVD over joint cells).
    deff, effective_n : float
        Kish design effect of post-stratifying to production (1 + χ²(p‖q) over covered cells) and n/deff.
    uncovered_mass : float
        Production share of joint cells with no evaluation item (no reweighting can reach them).
    auc, auc_ci_low, auc_ci_high : float
        Cross-validated AUC of a classifier of "is this row production?" (0.5 = indistinguishable).
    slices : pandas.DataFrame or None
        Most under- and over-represented slices from :func:`alignlab.slices.find_slices` (target
        "is production"), when the slices module is available.
    """

    coverage_gaps: pd.DataFrame = field(repr=False)
    global_effects: pd.DataFrame = field(repr=False)
    segments: tuple[str, ...] = ()
    n_eval: int = 0
    n_production: float = 0.0
    tvd: float = math.nan
    tvd_ci_low: float = math.nan
    tvd_ci_high: float = math.nan
    bias_bound: float = math.nan
    deff: float = math.nan
    deff_ci_low: float = math.nan
    deff_ci_high: float = math.nan
    effective_n: float = math.nan
    uncovered_mass: float = math.nan
    auc: float = math.nan
    auc_ci_low: float = math.nan
    auc_ci_high: float = math.nan
    coverage_threshold: float = 0.01
    n_min: int = 30
    slices: pd.DataFrame | None = field(default=None, repr=False)

    def __str__(self) -> str:
        cl = self.confidence_level
        lines = [
            f"Representativeness of {self.n_eval:,} evaluation rows vs {self.n_production:,.0f} production "
            f"rows over {', '.join(self.segments)}",
            "  total variation distance (worst-case bias of a [0, 1] metric): "
            + format_estimate(self.tvd, self.tvd_ci_low, self.tvd_ci_high, cl),
            "  design effect of post-stratifying: "
            + format_estimate(self.deff, self.deff_ci_low, self.deff_ci_high, cl)
            + f"; effective n {self.effective_n:,.0f}",
            "  classifier two-sample AUC: " + format_estimate(self.auc, self.auc_ci_low, self.auc_ci_high, cl),
            f"  uncovered production mass: {self.uncovered_mass:.3%}; "
            f"{len(self.coverage_gaps)} coverage gaps (share >= {self.coverage_threshold:g}, < {self.n_min} items)",
        ]
        if len(self.coverage_gaps):
            with pd.option_context("display.width", 120, "display.precision", 4):
                lines.append(self.coverage_gaps.head(15).to_string(index=False))
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def shifts(self, kind: str = "column") -> pd.DataFrame:
        """The per-segment rows of one ``kind`` ("column" or "joint"), largest |log ratio| first."""
        table = self.table[self.table["kind"] == kind]
        return table.reindex(table["log_ratio"].abs().sort_values(ascending=False).index)

    def segments_frame(self, rates: pd.Series | None = None, *, kind: str = "joint") -> pd.DataFrame:
        """Input for :func:`plan_sample`: ``segment``, ``production_share``, ``rate``, ``current_n``.

        ``rates`` maps a segment label to the metric's rate in it; unknown rates use 0.5 (the worst
        case for a proportion's variance).
        """
        if len(self.segments) == 1:
            kind = "column"  # one column: its levels are the joint cells
        table = self.table[self.table["kind"] == kind]
        if kind == "column" and len(self.segments) > 1:
            table = table[table["segment"] == self.segments[0]]
        frame = pd.DataFrame({
            "segment": table["level"].to_numpy(),
            "production_share": table["production_share"].to_numpy(),
            "current_n": table["eval_n"].to_numpy().astype(np.int64),
        })
        frame = frame[frame["production_share"] > 0].reset_index(drop=True)
        rate = pd.Series(0.5, index=frame.index)
        if rates is not None:
            mapped = frame["segment"].map(rates)
            rate = mapped.fillna(0.5).clip(0, 1)
        frame["rate"] = rate.to_numpy(dtype=float)
        return frame


def _segment_rows(
    name: str, kind: str, labels: Sequence[str], x_eval: np.ndarray, x_prod: np.ndarray,
    n_eval: float, n_prod: float, z: float,
) -> pd.DataFrame:
    log_ratio, se, low, high = _stats.delta_log_ratio(x_prod, n_prod, x_eval, n_eval, z)
    p, q = x_prod / n_prod, x_eval / n_eval
    with np.errstate(divide="ignore", invalid="ignore"):
        representation = np.where(p > 0, q / np.where(p > 0, p, 1), np.inf)
    return pd.DataFrame({
        "segment": name, "level": list(labels), "kind": kind, "production_n": x_prod, "eval_n": x_eval.astype(np.int64),
        "production_share": p, "eval_share": q, "difference": q - p, "log_ratio": log_ratio,
        "log_ratio_se": se, "log_ratio_ci_low": low, "log_ratio_ci_high": high,
        "representation": representation,
        "p_value": _stats.two_proportion_pvalue(x_prod, n_prod, x_eval, n_eval),
    })


def _bootstrap_shares(
    cells: Cells, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Parametric (multinomial) bootstrap of both mixes: (B, cells) share arrays."""
    n_e = int(round(cells.n_eval))
    n_p = max(int(round(cells.n_prod)), 1)
    q = cells.eval_counts / cells.n_eval
    p = cells.prod_counts / cells.n_prod
    q_star = rng.multinomial(n_e, q, size=n_resamples) / n_e
    p_star = rng.multinomial(n_p, p, size=n_resamples) / n_p
    return p_star, q_star


def _basic_interval(estimate: float, replicates: np.ndarray, confidence_level: float,
                    floor: float) -> tuple[float, float]:
    """Basic (reverse-percentile) interval: corrects the upward bias of plug-in distances."""
    good = replicates[np.isfinite(replicates)]
    if good.size < 2 or not np.isfinite(estimate):
        return math.nan, math.nan
    alpha = (1 - confidence_level) / 2
    lo_q, hi_q = np.quantile(good, [alpha, 1 - alpha])
    return max(floor, 2 * estimate - hi_q), max(floor, 2 * estimate - lo_q)


def _wasserstein(
    e_val: np.ndarray, p_val: np.ndarray, prod_weights: np.ndarray | None, n_resamples: int,
    rng: np.random.Generator, confidence_level: float,
) -> tuple[float, float, float, float]:
    """W1 between eval and production values (scipy), its interval from a multinomial bootstrap on
    ≤ 512 quantile bins (re-centred at the exact estimate), and W1 / production SD."""
    fe = np.isfinite(e_val)
    fp = np.isfinite(p_val)
    e, pv = e_val[fe], p_val[fp]
    w = None if prod_weights is None else prod_weights[fp]
    if e.size == 0 or pv.size == 0:
        return math.nan, math.nan, math.nan, math.nan
    estimate = float(stats.wasserstein_distance(e, pv, None, w))
    mean = np.average(pv, weights=w)
    sd = float(np.sqrt(np.average((pv - mean) ** 2, weights=w)))
    support = np.unique(np.quantile(np.concatenate([e, pv[: 200_000]]), np.linspace(0, 1, 513)))
    if support.size < 2:
        return estimate, math.nan, math.nan, sd
    e_bin = np.clip(np.searchsorted(support, e, side="right") - 1, 0, support.size - 2)
    p_bin = np.clip(np.searchsorted(support, pv, side="right") - 1, 0, support.size - 2)
    k = support.size - 1
    e_counts = np.bincount(e_bin, minlength=k).astype(float)
    p_counts = np.bincount(p_bin, weights=w, minlength=k).astype(float)
    widths = np.diff(support)

    def binned(pe: np.ndarray, pp: np.ndarray) -> np.ndarray:
        return (np.abs(np.cumsum(pe, axis=-1) - np.cumsum(pp, axis=-1))[..., :-1] * widths[1:]).sum(axis=-1)

    pe, pp = e_counts / e_counts.sum(), p_counts / p_counts.sum()
    n_e, n_p = int(e.size), max(int(round(p_counts.sum())), 1)
    reps = binned(rng.multinomial(n_e, pe, size=n_resamples) / n_e, rng.multinomial(n_p, pp, size=n_resamples) / n_p)
    shift = reps - binned(pe, pp)
    alpha = (1 - confidence_level) / 2
    lo_q, hi_q = np.quantile(shift, [alpha, 1 - alpha])
    return estimate, max(0.0, estimate - hi_q), max(0.0, estimate - lo_q), sd


def _slice_search(
    cells: Cells, columns: Sequence[str], rng: np.random.Generator, warnings: list[str]
) -> pd.DataFrame | None:
    """Under/over-represented slices from alignlab.slices (target "is production" on stacked rows).

    The stacked rows are every evaluation row plus an equal-sized random sample of production rows
    (drawn from the production cells, so request counts are honoured): the target's base rate is ½
    and a slice's mean says which side it leans to, whatever the production size.
    """
    try:
        from alignlab.slices import find_slices
    except ImportError:  # the slices capability is optional
        return None
    n_eval = int(round(cells.n_eval))
    n_sample = int(min(n_eval, round(cells.n_prod)))
    e_counts = np.round(cells.eval_counts).astype(np.int64)
    p_counts = rng.multinomial(n_sample, cells.prod_counts / cells.n_prod)
    row_cells = np.concatenate([np.repeat(np.arange(cells.n_cells), e_counts),
                                np.repeat(np.arange(cells.n_cells), p_counts)])
    levels = cells.codes.levels
    stacked = pd.DataFrame({c: pd.Categorical.from_codes(cells.digits[row_cells, j], categories=list(levels[j]))
                            for j, c in enumerate(columns)})
    stacked["is_production"] = np.r_[np.zeros(e_counts.sum()), np.ones(p_counts.sum())]
    try:
        with _warnings.catch_warnings():
            # slices 0.1 warns on degenerate (all-production) slices while it handles them as ±inf
            _warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"alignlab\.slices")
            result = find_slices(stacked, "is_production", segments=list(columns),
                                 random_state=int(rng.integers(0, 2**31 - 1)))
    except Exception as exc:  # the slice engine is optional here: report, never fail the audit
        warnings.append(f"slice search skipped: {type(exc).__name__}: {exc}")
        return None
    frame = getattr(result, "slices", None)
    if frame is None:
        return None
    frame = frame.copy()
    # mean_in is the production share of the slice's stacked rows (½ = balanced)
    frame.insert(1, "direction", np.where(frame["effect"] > 0, "under-represented in eval",
                                          "over-represented in eval"))
    return frame


@validate_params({
    "production_weights": [str, "array-like", None],
    "eval_weights": [str, "array-like", None],
    "coverage_threshold": [Interval("real", 0, 1, closed="both")],
    "n_min": [Interval("integral", 1, None)],
    "n_bins": [Interval("integral", 2, 50)],
    "fdr": [Interval("real", 0, 1, closed="neither")],
    "classifier": ["boolean"],
    "find_slices": ["boolean"],
    "n_folds": [Interval("integral", 2, 20)],
    "regularization": [Interval("real", 0, None, closed="neither")],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def audit_representativeness(
    eval_data: Any,
    production: Any,
    *,
    segments: str | Sequence[str] | None = None,
    production_weights: str | Sequence[float] | np.ndarray | None = None,
    eval_weights: str | Sequence[float] | np.ndarray | None = None,
    coverage_threshold: float = 0.01,
    n_min: int = 30,
    n_bins: int = 5,
    fdr: float = 0.05,
    classifier: bool = True,
    find_slices: bool = True,
    n_folds: int = 5,
    regularization: float = 1.0,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> RepresentativenessResult:
    """Compare the segment mix of evaluation data with production traffic.

    Parameters
    ----------
    eval_data : Judgments or table
        The evaluation set. A :class:`~alignlab.Judgments` contributes one row per item
        (``Judgments.item_info``); any other table (pandas, polars, pyarrow, path) one row per row.
    production : table
        Real usage: one row per request, or one row per segment with a count column named by
        ``production_weights``.
    segments : str or list of str
        Segment columns present in both tables. Numeric columns with more than 12 distinct values
        are cut into ``n_bins`` production quantile bins (and also compared raw, by Wasserstein).
        Defaults to the segments of a Judgments.
    production_weights : str or array-like, optional
        Request counts (frequency weights) per production row, as a column name or an array.
    eval_weights : str or array-like, optional
        Frequency weights per evaluation row (e.g. rated exposures per cell of an event log); numeric
        segment columns are then compared by their bins only (no Wasserstein distance).
    coverage_threshold, n_min : float, int
        A segment with production share >= ``coverage_threshold`` and fewer than ``n_min``
        evaluation items is a coverage gap.
    n_bins : int
        Quantile bins for numeric columns.
    fdr : float
        Benjamini–Hochberg level for the per-segment tests (``significant``).
    classifier : bool
        Run the classifier two-sample test (cross-validated logistic AUC of "is production?").
    find_slices : bool
        Search under/over-represented slices with :mod:`alignlab.slices` when it is installed.
    n_folds, regularization : int, float
        Folds and inverse L2 strength (scikit-learn's ``C``) of the classifier.
    confidence_level, n_resamples, random_state
        Interval level, multinomial bootstrap replicates for the global effects, seed.

    Returns
    -------
    RepresentativenessResult

    Notes
    -----
    Per segment, log(p/q) has delta variance (1 − p)/(N p) + (1 − q)/(n q) (Agresti 2013); BH over
    every reported row. Global effects on the joint cells: TVD ½Σ|p − q| (also the worst-case
    bias of an unweighted [0, 1] metric, Levin & Peres 2017), Jensen–Shannon (bits), PSI (shares
    floored at 1e-4), Kish deff = Σ p̃²/q = 1 + χ²(p̃‖q) over covered cells (Kish 1992), with basic
    intervals from a multinomial bootstrap of both mixes; G and Pearson χ² via
    ``scipy.stats.chi2_contingency``; the classifier AUC via k-fold CV on cells (exactly row-level CV
    with random folds) with a Hanley–McNeil interval.

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.sampling import audit_representativeness
    >>> eval_set = pd.DataFrame({"locale": ["en"] * 80 + ["ja"] * 20})
    >>> prod = pd.DataFrame({"locale": ["en", "ja", "de"], "n": [6000, 3000, 1000]})
    >>> audit = audit_representativeness(eval_set, prod, segments="locale", production_weights="n",
    ...                                  classifier=False, n_resamples=200, random_state=0)
    >>> round(audit.tvd, 3), round(audit.uncovered_mass, 3)
    (0.2, 0.1)
    >>> audit.coverage_gaps[["level", "status"]].to_dict("records")
    [{'level': 'de', 'status': 'missing'}, {'level': 'ja', 'status': 'thin'}]
    """
    caller = "audit_representativeness"
    eval_table, _, prod_table, weights, columns = load_pair(eval_data, production, segments,
                                                            production_weights, caller)
    rng = check_random_state(random_state)
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    codes = encode_segments(eval_table, prod_table, columns, prod_weights=weights, n_bins=n_bins)
    eval_w = row_weights(eval_table, eval_weights, "eval_data")
    cells = build_cells(codes, weights, eval_w)
    n_eval, n_prod = cells.n_eval, cells.n_prod
    warnings: list[str] = []
    if codes.binned:
        warnings.append(f"numeric column(s) {list(codes.binned)} cut into {n_bins} production-quantile bins")

    # per segment -------------------------------------------------------------------------------
    parts = []
    for j, column in enumerate(columns):
        x_e, x_p = cells.level_counts(j)
        keep = (x_e > 0) | (x_p > 0)
        labels = [lv for lv, k in zip(codes.levels[j], keep, strict=True) if k]
        parts.append(_segment_rows(column, "column", labels, x_e[keep], x_p[keep], n_eval, n_prod, z))
    if len(columns) > 1:
        parts.append(_segment_rows(" × ".join(columns), "joint", cells.labels, cells.eval_counts,
                                   cells.prod_counts, n_eval, n_prod, z))
    table = pd.concat(parts, ignore_index=True)
    table["q_value"] = multipletests(table["p_value"].to_numpy(), alpha=fdr, method="fdr_bh")[1]
    table["significant"] = table["q_value"] <= fdr
    status = np.where(table["log_ratio"] > 0, "under-represented", "over-represented")
    status = np.where(table["significant"], status, "consistent")
    status = np.where((table["eval_n"] < n_min) & (table["production_share"] > 0), "thin", status)
    status = np.where((table["eval_n"] == 0) & (table["production_share"] > 0), "missing", status)
    status = np.where(table["production_share"] == 0, "not in production", status)
    table["status"] = status
    table = table[SEGMENT_COLUMNS]

    # coverage gaps -------------------------------------------------------------------------------
    is_gap = (table["production_share"] >= coverage_threshold) & (table["production_share"] > 0) & (
        table["eval_n"] < n_min)
    gaps = table.loc[is_gap, ["segment", "level", "kind", "production_share", "production_n", "eval_n"]].copy()
    gaps["shortfall"] = n_min - gaps["eval_n"]
    gaps["status"] = np.where(gaps["eval_n"] == 0, "missing", "thin")
    # "column" before "joint", "missing" before "thin", then by production share
    gaps = gaps.sort_values(["kind", "status", "production_share"], ascending=[True, True, False], kind="stable")
    gaps = gaps.reset_index(drop=True)[GAP_COLUMNS]

    # global effects on the joint cells -----------------------------------------------------------
    p = cells.prod_counts / n_prod
    q = cells.eval_counts / n_eval
    p_star, q_star = _bootstrap_shares(cells, n_resamples, rng)
    boot_label = f"bootstrap-basic(multinomial, {n_resamples})"
    rows: list[dict[str, Any]] = []

    def add(statistic: str, estimate: float, low: float, high: float, ci_method: str, *,
            p_value: float = math.nan, dof: float = math.nan, note: str = "") -> None:
        rows.append({"statistic": statistic, "estimate": float(estimate), "ci_low": float(low),
                     "ci_high": float(high), "confidence_level": confidence_level, "ci_method": ci_method,
                     "p_value": p_value, "dof": dof, "note": note})

    estimates: dict[str, tuple[float, float, float]] = {}
    for name, func, floor, note in (
        ("total_variation", _stats.tvd, 0.0, "worst-case bias of an unweighted [0, 1] metric"),
        ("jensen_shannon", _stats.jensen_shannon, 0.0, "bits, in [0, 1]"),
        ("psi", _stats.psi, 0.0, "population stability index (< 0.1 stable, > 0.25 shifted)"),
        ("design_effect", _stats.poststrat_deff, 1.0, "Kish deff of post-stratifying (1 + chi2)"),
    ):
        est = float(func(p, q))
        replicates = func(p_star, q_star)
        if name == "design_effect":
            # Σ p²/q is driven by the smallest cells, whose resampled q has a long right tail: the
            # reflected (basic) interval would fall below the estimate, so use the percentile one
            good = replicates[np.isfinite(replicates)]
            alpha = (1 - confidence_level) / 2
            low, high = (np.quantile(good, [alpha, 1 - alpha]) if good.size > 1 else (math.nan, math.nan))
            label = boot_label.replace("basic", "percentile")
        else:
            low, high = _basic_interval(est, replicates, confidence_level, floor)
            label = boot_label
        estimates[name] = (est, float(low), float(high))
        add(name, est, low, high, label, note=note)
    for column, (e_val, p_val) in ({} if eval_w is not None else codes.numeric).items():
        w1, low, high, sd = _wasserstein(e_val, p_val, weights, n_resamples, rng, confidence_level)
        add(f"wasserstein[{column}]", w1, low, high, f"bootstrap-basic(multinomial, binned, {n_resamples})",
            note="in the column's units")
        add(f"wasserstein_std[{column}]", w1 / sd if sd > 0 else math.nan,
            low / sd if sd > 0 else math.nan, high / sd if sd > 0 else math.nan,
            f"bootstrap-basic(multinomial, binned, {n_resamples})", note="in production standard deviations")
    observed = np.vstack([cells.eval_counts, cells.prod_counts])
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] > 1:
        for name, lam in (("g_test", "log-likelihood"), ("pearson_chi2", "pearson")):
            res = stats.chi2_contingency(observed, correction=False, lambda_=lam)
            add(name, res.statistic, math.nan, math.nan, "none", p_value=float(res.pvalue), dof=float(res.dof),
                note="multinomial homogeneity test over joint cells; grows with n")
        expected = stats.contingency.expected_freq(observed)
        if (expected < 5).mean() > 0.2:
            warnings.append("over 20% of joint cells expect < 5 rows: the chi-square p-values are approximate")
    auc = auc_low = auc_high = math.nan
    if classifier and observed.shape[1] > 1:
        auc = cross_validated_auc(cells, n_folds=n_folds, regularization=regularization, rng=rng)
        se = _stats.hanley_mcneil_se(auc, n_prod, n_eval)
        auc_low, auc_high = max(0.0, auc - z * se), min(1.0, auc + z * se)
        se0 = math.sqrt((n_prod + n_eval + 1) / (12 * n_prod * n_eval))
        add("classifier_auc", auc, auc_low, auc_high, f"hanley-mcneil({n_folds}-fold CV, logistic)",
            p_value=float(stats.norm.sf((auc - 0.5) / se0)), note="0.5 = indistinguishable from production")
    global_effects = pd.DataFrame(rows)

    tvd_est, tvd_low, tvd_high = estimates["total_variation"]
    deff, deff_low, deff_high = estimates["design_effect"]
    uncovered = float(p[cells.eval_counts == 0].sum())
    if uncovered > 0:
        warnings.append(f"{uncovered:.2%} of production traffic falls in joint cells with no evaluation item; "
                        "no reweighting can correct for it")

    slices = None
    if find_slices:
        slices = _slice_search(cells, columns, rng, warnings)

    return RepresentativenessResult(
        table=table.reset_index(drop=True),
        method=f"representativeness[{JOINT_SEPARATOR.join(columns)}]",
        confidence_level=confidence_level,
        warnings=tuple(warnings),
        coverage_gaps=gaps,
        global_effects=global_effects,
        segments=tuple(columns),
        n_eval=int(round(n_eval)),
        n_production=n_prod,
        tvd=tvd_est, tvd_ci_low=tvd_low, tvd_ci_high=tvd_high,
        bias_bound=tvd_est,
        deff=deff, deff_ci_low=deff_low, deff_ci_high=deff_high,
        effective_n=n_eval / deff if np.isfinite(deff) and deff > 0 else math.nan,
        uncovered_mass=uncovered,
        auc=auc, auc_ci_low=auc_low, auc_ci_high=auc_high,
        coverage_threshold=coverage_threshold,
        n_min=n_min,
        slices=slices,
    )
