"""``compare_versions``: did the candidate model get worse than the baseline, on which metric, for whom?"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from alignlab._array.bootstrap import jackknife_weights, replicate_intervals, resample_weights
from alignlab._array.compare_kernels import (
    LevelLayout,
    cluster_sum_squares,
    level_moments,
)
from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    InvalidParameterError,
    Options,
    check_random_state,
    ci_method_constraint,
    validate_params,
)
from alignlab._progress import report
from alignlab.compare._metrics import (
    Metric,
    check_metric,
    default_min_change,
    filter_mask,
    metrics_from_column,
    row_values,
)
from alignlab.data import Judgments
from alignlab.results import Summary, TableResult

__all__ = ["compare_versions", "VersionComparison", "VERDICTS"]

VERDICTS = ("regression", "improvement", "no detectable change", "underpowered")
OVERALL = "(all)"
MISSING_LEVEL = "(missing)"
_POWER = 0.8
# Below this many units per arm the minimum detectable effect uses statsmodels' t-test power (noncentral
# t); above it the closed-form normal power (what statsmodels' NormalIndPower solves, less the negligible
# opposite tail) - same answer to < 1 %, and 500 rows do not pay 12 ms of root-finding each.
_T_POWER_BELOW = 100
# Numeric segment columns with more distinct values than this are cut into quartiles.
_MAX_NUMERIC_LEVELS = 10
_PAIR_COLUMNS = ("input_id", "prompt_id", "prompt", "source_id", "input", "source")
_FEW_CLUSTERS = 5
_BATCH_ELEMENTS = 4_000_000  # weights per batch (32 MB)
_MAX_SENTENCES = 8  # per verdict in the summary; the table has every row
_N_MOMENTS = 7  # I_b, y_b, y_b^2, I_c, y_c, y_c^2, y_b*y_c per unit


@dataclass(frozen=True, kw_only=True)
class VersionComparison(TableResult):
    """Result of :func:`compare_versions`: one row per (metric, rater, segment).

    Attributes
    ----------
    table : DataFrame
        ``metric``, ``rater``, ``segment`` (``"(all)"`` or ``column=level``), ``segment_column``,
        ``segment_level``, ``n_baseline``, ``n_candidate`` (units: inputs, or pairs when paired),
        ``n_clusters``, ``baseline_value``, ``candidate_value``, ``difference`` (candidate - baseline),
        ``ci_low``, ``ci_high``, ``standard_error``, ``ci_method``, ``ratio`` (candidate / baseline where
        both are positive rates or means of a non-negative scale) with ``ratio_ci_low``/``ratio_ci_high``,
        ``effect_size`` (Cohen's h for rates, Cohen's d for means, d_z for win rates), ``effect_size_name``,
        ``effect_ci_low``/``effect_ci_high``, ``cliffs_delta`` with ``cliffs_ci_low``/``cliffs_ci_high``
        (unpaired, unclustered scores: 2 P(candidate > baseline) + P(tie) - 1, Brunner-Munzel interval via
        statsmodels ``rank_compare_2indep``; NaN elsewhere), ``test``, ``test_statistic``, ``p_value``, ``q_value``
        (adjusted over every row), ``mde`` (minimum detectable effect at 80 % power), ``min_change``,
        ``verdict``, ``higher_is_better``, ``paired``.
    mix_shift : DataFrame
        Per (metric, rater, segment column): the overall difference split into ``within`` (segment means
        changed) and ``composition`` (segment shares changed), each with an interval, the share shift
        (total variation distance), a chi-square test of equal shares and ``simpson_reversal``.
    method_disagreement : DataFrame
        Per (metric, segment) and rater other than the reference: both differences, ``gap`` (rater -
        reference) with its interval, ``gap_significant`` and ``conflict`` (one says regression, the
        other improvement).
    """

    baseline: Any = None
    candidate: Any = None
    paired: bool = False
    correction: str = "bh"
    cluster: str | None = None
    n_resamples: int = 0
    mix_shift: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    method_disagreement: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reference_rater: str | None = None
    n_excluded: int = 0
    notes: tuple[str, ...] = ()

    # -- views -----------------------------------------------------------------------------------
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"].reset_index(drop=True)

    def sentences(self) -> list[str]:
        """The decision in plain sentences (regressions first, then improvements, then the rest)."""
        t = self.table
        level = f"{self.confidence_level:.0%}"
        out: list[str] = []
        multi_rater = t["rater"].nunique() > 1
        for verdict, verb in (("regression", "regresses"), ("improvement", "improves")):
            rows = t[t["verdict"] == verdict].sort_values(["q_value", "metric", "rater", "segment"])
            for row in rows.head(_MAX_SENTENCES).itertuples(index=False):
                where = "overall" if row.segment == OVERALL else f"for {row.segment}"
                who = f" (according to {row.rater})" if multi_rater else ""
                out.append(f"Candidate {self.candidate} {verb} {row.metric}{who} {where} "
                           f"({_fmt_change(row.difference, row.metric_kind)}, {level} CI "
                           f"{_fmt_change(row.ci_low, row.metric_kind, sign=False)} to "
                           f"{_fmt_change(row.ci_high, row.metric_kind, sign=False)}, q {_fmt_q(row.q_value)}).")
            if len(rows) > _MAX_SENTENCES:
                out.append(f"... and {len(rows) - _MAX_SENTENCES} more {verdict} rows (see the table).")
        n_none = int((t["verdict"] == "no detectable change").sum())
        n_under = int((t["verdict"] == "underpowered").sum())
        changed = bool(out)
        if n_none:
            out.append(f"{'No other' if changed else 'No'} change is detectable in {n_none} comparison"
                       f"{'s' if n_none != 1 else ''} (each powered to see its minimum meaningful change).")
        if n_under:
            out.append(f"{n_under} comparison{'s are' if n_under != 1 else ' is'} underpowered: the minimum "
                       "detectable effect at 80% power exceeds the minimum meaningful change, so the absence of a "
                       "change cannot be claimed there.")
        if not self.mix_shift.empty and self.mix_shift["simpson_reversal"].any():
            for row in self.mix_shift[self.mix_shift["simpson_reversal"]].itertuples(index=False):
                out.append(f"Simpson reversal in {row.metric} ({row.rater}) across {row.segment_column}: the "
                           f"overall change is {row.overall_difference:+.3g} but within segments it is "
                           f"{row.within:+.3g}; the segment mix shifted (composition {row.composition:+.3g}).")
        if not self.method_disagreement.empty:
            conflicts = self.method_disagreement[self.method_disagreement["conflict"]
                                                 | self.method_disagreement["gap_significant"]]
            conflicts = conflicts.sort_values(["conflict", "gap_ci_low"], ascending=[False, True], kind="stable")
            for row in conflicts.head(5).itertuples(index=False):
                where = "overall" if row.segment == OVERALL else f"for {row.segment}"
                how = "disagree about the direction of" if row.conflict else "differ on the size of"
                out.append(f"{row.rater} and {row.reference} {how} the change in {row.metric} {where} "
                           f"({row.rater} {row.difference_rater:+.3g}, {row.reference} "
                           f"{row.difference_reference:+.3g}; gap {row.gap:+.3g}, {level} CI {row.gap_ci_low:+.3g} "
                           f"to {row.gap_ci_high:+.3g}); alignlab.slices.find_slices on "
                           f"alignlab.slices.divergence(judgments, a={row.rater!r}, b={row.reference!r}) shows where.")
        return out

    def summary(self) -> Summary:
        """Decision-ready sentences plus the significant rows, the mix-shift and the method gaps."""
        tables: list[tuple[str, pd.DataFrame]] = []
        shown = ["metric", "rater", "segment", "difference", "ci_low", "ci_high", "q_value", "verdict", "mde"]
        changed = self.table[self.table["verdict"].isin(["regression", "improvement"])]
        if not changed.empty:
            tables.append(("Detected changes", changed[shown].reset_index(drop=True)))
        tables.append(("All comparisons", self.table[shown]))
        if not self.mix_shift.empty:
            tables.append(("Mix shift", self.mix_shift))
        if not self.method_disagreement.empty:
            tables.append(("Disagreement between methods", self.method_disagreement))
        title = (f"{self.candidate} vs {self.baseline} ({'paired' if self.paired else 'unpaired'}"
                 f"{', clustered by ' + self.cluster if self.cluster else ''}; {self.correction.upper()} over "
                 f"{int(self.table['p_value'].notna().sum())} comparisons)")
        return Summary(title, lines=tuple(self.sentences()) + self.notes, tables=tuple(tables),
                       warnings=self.warnings)


def _kind(metric: Metric) -> str:
    """How the comparison treats the metric: a label rate is a pass rate (1 when the label is given)."""
    return "pass_rate" if metric.statistic == "label_rate" else metric.statistic


def _fmt_change(value: float, kind: str, *, sign: bool = True) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if kind in ("pass_rate", "win_rate"):
        return f"{100 * value:+.1f} points" if sign else f"{100 * value:.1f}"
    return f"{value:+.3g}" if sign else f"{value:.3g}"


def _fmt_q(q: float) -> str:
    return "= n/a" if not np.isfinite(q) else (f"= {q:.2g}" if q >= 0.001 else "< 0.001")


# -------------------------------------------------------------------------------------------------
# data preparation
def _dense_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative integer codes in O(n + max): a presence
    table instead of a sort (np.unique's argsort took 0.7 s per call on 2M judgment rows)."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return values, values
    upper = int(values.max()) + 1
    if upper > max(4 * values.size, 1_000_000):  # sparse codes (unit x cluster keys): sort instead
        uniques, inverse = np.unique(values, return_inverse=True)
        return uniques, inverse.reshape(-1)
    present = np.zeros(upper, dtype=bool)
    present[values] = True
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[values]


# -------------------------------------------------------------------------------------------------
@dataclass
class _Block:
    """One (metric, rater group): per-unit values for both systems."""

    metric: Metric
    rater: str
    y_b: np.ndarray  # per unit, NaN where absent
    y_c: np.ndarray
    count_b: np.ndarray  # judgments per unit
    count_c: np.ndarray
    n_excluded_unpaired: int
    nonnegative: bool
    shares: bool = False  # per-input values are rates of many trials (online): never one 0/1 outcome


def _match_system(frame: pd.DataFrame, column: str, value: Any, argument: str) -> Any:
    present = pd.unique(frame[column].dropna())
    if value in set(present):
        return value
    by_text = {str(v): v for v in present}
    if str(value) in by_text:
        return by_text[str(value)]
    shown = ", ".join(map(repr, sorted(map(str, present))[:20]))
    raise InvalidParameterError(f"The {argument!r} parameter of compare_versions names system {value!r}, which is "
                                f"not in the {column!r} column; systems are {shown}.")


def _rater_groups(judgments: Judgments, raters: Any, skip: set[Any] = frozenset()) -> list[tuple[str, list[Any]]]:
    """Default: humans pooled, each LLM judge on its own, every other method pooled.

    Specs in ``skip`` (online aggregate signals) that name no judgment rater or method are left to the caller.
    """
    if raters is None:
        info = judgments.rater_info
        groups: list[tuple[str, list[Any]]] = []
        for method in judgments.methods:
            ids = info.loc[info["method"] == method, "rater_id"].tolist()
            if method == "llm_judge":
                groups += [(str(r), [r]) for r in ids]
            else:
                groups.append((str(method), ids))
        groups.sort(key=lambda g: (g[0] != "human", g[0]))
        return groups
    specs = [raters] if isinstance(raters, str) else list(raters)
    known = set(judgments.methods) | set(judgments.rater_info["rater_id"])
    return [(str(s), judgments.resolve_raters(s, argument="raters")) for s in specs
            if s in known or s not in skip]


def _resolve_metrics(judgments: Judgments, metrics: Any) -> list[Metric]:
    if metrics is None:
        kind = {"binary": "pass_rate", "pairwise": "win_rate"}.get(judgments.scale.kind, "mean")
        return [Metric({"pass_rate": "pass rate", "win_rate": "win rate"}.get(kind, "score"), statistic=kind)]
    if isinstance(metrics, Metric):
        check_metric(metrics)
        return [metrics]
    if isinstance(metrics, str):
        return metrics_from_column(judgments, metrics)
    out = [m if isinstance(m, Metric) else None for m in metrics]
    if any(m is None for m in out):
        bad = next(m for m in metrics if not isinstance(m, Metric))
        raise InvalidParameterError(f"The 'metrics' parameter of compare_versions must be a column name, a Metric or "
                                    f"a list of Metric. Got an element {bad!r} instead.")
    for metric in out:
        check_metric(metric)  # type: ignore[arg-type]
    names = [m.name for m in out]  # type: ignore[union-attr]
    if len(set(names)) != len(names):
        raise InvalidParameterError(f"The metrics of compare_versions need distinct names; got {names}.")
    return out  # type: ignore[return-value]


def _unit_level_codes(column: pd.Series, row_units: np.ndarray, n_units: int, name: str,
                      unit_labels: np.ndarray, *, bin_numeric: bool = True) -> tuple[np.ndarray, list[str], str | None]:
    """Level code of each unit for one segment (or cluster) column; raises when a unit has several."""
    note = None
    values = column
    if bin_numeric and pd.api.types.is_numeric_dtype(values) and values.nunique() > _MAX_NUMERIC_LEVELS:
        values = pd.qcut(values, 4, duplicates="drop").astype(str).where(values.notna())
        note = f"numeric segment {name!r} cut into quartiles"
    codes, uniques = pd.factorize(values, sort=True)
    labels = [str(u) for u in uniques]
    if (codes < 0).any():
        labels.append(MISSING_LEVEL)
        codes = np.where(codes < 0, len(labels) - 1, codes)
    n_lev = max(len(labels), 1)
    pair_keys, _ = _dense_unique(row_units.astype(np.int64) * n_lev + codes)
    pair_units = pair_keys // n_lev
    if pair_keys.size != _dense_unique(row_units)[0].size:
        counts = np.bincount(pair_units, minlength=n_units)
        bad = int(np.flatnonzero(counts > 1)[0])
        seen = sorted({labels[c] for c in (pair_keys % n_lev)[pair_units == bad]})
        raise InvalidParameterError(
            f"Column {name!r} takes several values ({', '.join(map(repr, seen[:5]))}) for one compared input "
            f"({unit_labels[bad]!r}). A segment or cluster column must describe the input, with one value per input "
            "and system; choose another column or fix the table.")
    unit_codes = np.zeros(n_units, dtype=np.int64)
    unit_codes[row_units] = codes
    return unit_codes, labels, note


# -------------------------------------------------------------------------------------------------
# statistics from moments (vectorised over resamples and rows)
# -------------------------------------------------------------------------------------------------
def _moment_stats(m: np.ndarray) -> dict[str, np.ndarray]:
    """Means, variances (ddof 1) and counts from the 7 moments on the last axis."""
    with np.errstate(invalid="ignore", divide="ignore"):
        n_b, s_b, q_b, n_c, s_c, q_c, cross = (m[..., k] for k in range(_N_MOMENTS))
        mean_b, mean_c = s_b / n_b, s_c / n_c
        var_b = (q_b - n_b * mean_b**2) / (n_b - 1)
        var_c = (q_c - n_c * mean_c**2) / (n_c - 1)
        cov = (cross - n_b * mean_b * mean_c) / (n_b - 1)
    return {"n_b": n_b, "n_c": n_c, "mean_b": mean_b, "mean_c": mean_c, "var_b": np.maximum(var_b, 0),
            "var_c": np.maximum(var_c, 0), "cov": cov}


def _effects(st: dict[str, np.ndarray], kinds: np.ndarray, ratio_ok: np.ndarray) -> tuple[np.ndarray, ...]:
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = st["mean_c"] - st["mean_b"]
        pooled = ((st["n_b"] - 1) * st["var_b"] + (st["n_c"] - 1) * st["var_c"]) / (st["n_b"] + st["n_c"] - 2)
        d = diff / np.sqrt(pooled)
        h = 2 * np.arcsin(np.sqrt(np.clip(st["mean_c"], 0, 1))) - 2 * np.arcsin(np.sqrt(np.clip(st["mean_b"], 0, 1)))
        dz = st["mean_c"] / np.sqrt(st["var_c"])  # win rate: the baseline slot is identically 0
        effect = np.where(kinds == 1, h, np.where(kinds == 2, dz, d))
        ratio = np.where(ratio_ok & (st["mean_b"] > 0), st["mean_c"] / st["mean_b"], np.nan)
    return diff, effect, ratio


# -------------------------------------------------------------------------------------------------
@validate_params({
    "judgments": [Judgments],
    "baseline": [object],
    "candidate": [object],
    "metrics": [None, str, Metric, list, tuple],
    "segments": [None, "str-or-list"],
    "raters": [None, "str-or-list"],
    "paired": [Options(("auto", True, False))],
    "pair_on": [None, str],
    "clusters": [None, str],
    "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": ci_method_constraint("auto", "percentile", "basic", "bca", "analytic", "newcombe", "none"),
    "n_resamples": N_RESAMPLES,
    "correction": [Options(("bh", "holm", "by"))],
    "paired_test": [Options(("wilcoxon", "t", "permutation"))],
    "random_state": RANDOM_STATE,
})
def compare_versions(
    judgments: Judgments,
    *,
    baseline: Any,
    candidate: Any,
    metrics: str | Metric | Sequence[Metric] | None = None,
    segments: str | Sequence[str] | None = None,
    raters: str | Sequence[str] | None = None,
    paired: Literal["auto"] | bool = "auto",
    pair_on: str | None = None,
    clusters: str | None = None,
    confidence_level: float = 0.95,
    ci_method: str = "auto",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    correction: Literal["bh", "holm", "by"] = "bh",
    paired_test: Literal["wilcoxon", "t", "permutation"] = "wilcoxon",
    random_state: int | np.random.Generator | None = None,
) -> VersionComparison:
    """Compare a candidate version with the baseline on every metric, rater group and segment.

    Parameters
    ----------
    judgments : Judgments
        With a ``system`` column (``system_a``/``system_b`` for pairwise head-to-head tables).
    baseline, candidate : str
        Values of the ``system`` column: the version in production and the one proposed.
    metrics : str, Metric or list of Metric, optional
        A column name (one mean metric per value of it, e.g. ``"criterion"``; see
        :func:`metrics_from_column`), :class:`Metric` objects, or None: the mean score (pass rate on a binary
        scale, win rate on a pairwise one).
    segments : str or list of str, optional
        Segment columns; every level of each is compared (and the overall ``"(all)"``). Default: the
        table's segment columns not used by a metric filter. Numeric columns with > 10 values are cut in
        quartiles. A segment must be constant within an input.
    raters : str or list of str, optional
        Rater groups, each compared separately: a rater id, a method name or a list of them. Default:
        humans pooled, each ``llm_judge`` rater on its own, every other method pooled.
    paired : {"auto", True, False}
        Paired by input (``pair_on``) when both versions were rated on the same inputs. ``"auto"``: paired
        when at least half of the smaller version's inputs were also rated for the other; in paired mode,
        inputs rated for only one version are excluded and counted.
    pair_on : str, optional
        Column identifying the input (prompt, source segment) shared by the versions; it must be loaded
        as a segment column (an item has one system, so item ids never pair). Default: the first of
        ``input_id``, ``prompt_id``, ``prompt``, ``source_id``, ``input``, ``source`` present, else
        ``item_id`` (unpaired).
    clusters : str, optional
        Column of the cluster (conversation, prompt, user): intervals resample whole clusters and
        p-values use cluster-robust (CR1) standard errors.
    confidence_level : float
    ci_method : {"auto", "percentile", "basic", "bca", "analytic", "newcombe", "none"}
        Interval of the difference. ``"auto"``: clustered -> the cluster-robust (CR1) t interval with
        G - 1 df (it covers 95.5 % with 30 clusters where the percentile cluster bootstrap gives 93.5 %);
        paired -> percentile bootstrap over pairs; unpaired: Newcombe's hybrid score interval for
        one-judgment-per-input rates, Welch's t interval for means. ``"newcombe"`` applies to such rates (others as ``"auto"``).
        Effect sizes, ratios, the mix-shift and the method gaps always use the bootstrap (percentile
        unless ``"basic"``/``"bca"`` is asked).
    n_resamples : int
    correction : {"bh", "holm", "by"}
        Adjustment of the p-values over every row (statsmodels ``multipletests``).
    paired_test : {"wilcoxon", "t", "permutation"}
        Test of paired scores: Wilcoxon signed-rank (scipy), the paired t-test, or the sign-flip permutation
        test of the mean difference (``n_resamples`` flips; exact enumeration when 2^n <= n_resamples).
    random_state : int, Generator or None

    Returns
    -------
    VersionComparison

    Notes
    -----
    Units are inputs (``pair_on`` values): a unit's value is the mean of its judgments by the rater group
    (a pass share for pass rates); a version's metric is the mean over its units. Tests per row: clustered
    -> Wald t with CR1 cluster-robust SE and G-1 df (statsmodels' OLS ``cov_type="cluster"``); paired
    one-judgment rates -> exact McNemar; paired scores -> Wilcoxon signed-rank (zero differences dropped,
    Wilcoxon 1945), paired t or the sign-flip permutation test; unpaired one-judgment rates -> score test (``test_proportions_2indep``);
    unpaired scores -> Welch's t; win rates -> sign test (exact binomial on wins vs losses). Verdict:
    q <= 1 - confidence_level -> regression / improvement by the metric's direction; otherwise
    *underpowered* when the minimum detectable effect at 80 % power (two-sided, unadjusted alpha;
    statsmodels ``TTestIndPower``/``TTestPower``/``NormalIndPower``, normal approximation with the
    cluster-robust SE when clustered) exceeds the metric's minimum meaningful change, else *no
    detectable change*.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.compare import compare_versions
    >>> j = alignlab.datasets.load("hanna")
    >>> result = compare_versions(j, baseline="GPT-2", candidate="CTRL", metrics="criterion", raters="human",
    ...                           n_resamples=200, random_state=0)
    >>> row = result.to_frame().set_index("metric").loc["Coherence"]
    >>> round(float(row["difference"]), 3), row["verdict"]
    (-0.361, 'regression')
    """
    caller = "compare_versions"
    frame = judgments.frame
    metric_list = _resolve_metrics(judgments, metrics)
    is_pairwise = judgments.scale.kind == "pairwise"
    sys_col = "system"
    if is_pairwise:
        if not (judgments.has("system_a") and judgments.has("system_b")):
            raise InvalidParameterError(f"{caller} on a pairwise table needs system_a and system_b columns.")
        both_sides = pd.DataFrame({"system": pd.concat([frame["system_a"], frame["system_b"]], ignore_index=True)})
        baseline = _match_system(both_sides, "system", baseline, "baseline")
        candidate = _match_system(both_sides, "system", candidate, "candidate")
    else:
        if not judgments.has(sys_col):
            raise InvalidParameterError(
                f"{caller} needs a 'system' column naming the model version of each judgment; map it at load "
                "with load_judgments(..., system='your_column').")
        baseline = _match_system(frame, sys_col, baseline, "baseline")
        candidate = _match_system(frame, sys_col, candidate, "candidate")
    if baseline == candidate:
        raise InvalidParameterError(f"The 'baseline' and 'candidate' parameters of {caller} name the same system "
                                    f"{baseline!r}.")
    if pair_on is None:
        pair_on = next((c for c in _PAIR_COLUMNS if c in frame.columns), "item_id")
    for name, col in (("pair_on", pair_on), ("clusters", clusters)):
        if col is not None and col not in frame.columns:
            raise InvalidParameterError(f"The {name!r} parameter of {caller} names column {col!r}, which is not in "
                                        f"the table; columns are {list(frame.columns)}.")
    notes: list[str] = []
    warn: list[str] = []
    agg_signals = set() if judgments.aggregates is None else set(pd.unique(judgments.aggregates["rater_id"]))
    groups = _rater_groups(judgments, raters, skip=agg_signals | {"online"})
    used_columns = {c for m in metric_list for c in (m.where or {})}
    if segments is None:
        seg_cols = [s for s in judgments.segments if s not in used_columns and s not in (pair_on, clusters)]
        # id-like columns (more levels than a fifth of the judgments, or > 200) are not segments to compare
        id_like = [s for s in seg_cols if frame[s].nunique() > min(200, len(frame) / 5)]
        if id_like:
            notes.append(f"Columns {id_like} not compared as segments (id-like: too many levels); name them in "
                         "segments= to compare them.")
        seg_cols = [s for s in seg_cols if s not in id_like]
    else:
        seg_cols = [segments] if isinstance(segments, str) else list(segments)
        for s in seg_cols:
            if s not in frame.columns:
                raise InvalidParameterError(f"The 'segments' parameter of {caller} names column {s!r}, which is not "
                                            f"in the table; columns are {list(frame.columns)}.")

    # -- online per-item aggregates (successes / trials) join as extra rows of one "online" group ------
    agg = judgments.aggregates
    online_signals: list[Any] = []
    if agg is not None and len(agg) and not is_pairwise and sys_col in agg.columns and pair_on in agg.columns:
        wanted = None if raters is None else ([raters] if isinstance(raters, str) else list(raters))
        online_signals = [sig for sig in sorted(pd.unique(agg["rater_id"]), key=str)
                          if wanted is None or "online" in wanted or sig in wanted
                          or str(agg.loc[agg["rater_id"] == sig, "method"].iloc[0]) in wanted]
    elif agg is not None and len(agg) and not is_pairwise:
        notes.append(f"Online aggregates not compared: they lack a {sys_col!r} or {pair_on!r} column.")
    n_frame = len(frame)
    needed = [c for c in dict.fromkeys([sys_col, pair_on, *seg_cols, *([clusters] if clusters else [])])
              if c in frame.columns]
    if online_signals:
        missing = [c for c in needed if c not in agg.columns]
        if missing:
            raise InvalidParameterError(f"{caller}: the online aggregates lack columns {missing}; add them or leave "
                                        "those segments out.")
        rows_table = pd.concat([frame[needed], agg[needed]], ignore_index=True)
    else:
        rows_table = frame[needed] if needed else frame
    n_all = len(rows_table)

    # -- which rows, which units ------------------------------------------------------------------
    if is_pairwise:
        head_to_head = (((frame["system_a"] == baseline) & (frame["system_b"] == candidate))
                        | ((frame["system_a"] == candidate) & (frame["system_b"] == baseline))).to_numpy()
        row_system = np.where(head_to_head, 1, -1)
    else:
        system_values = rows_table[sys_col].to_numpy()
        row_system = np.where(system_values == candidate, 1, np.where(system_values == baseline, 0, -1))
    pair_codes, pair_labels = pd.factorize(rows_table[pair_on], sort=False)
    in_scope = row_system >= 0
    if not in_scope.any():
        raise InvalidParameterError(f"{caller}: no judgments of {baseline!r} or {candidate!r}.")
    if not is_pairwise:
        keys_b = _dense_unique(pair_codes[in_scope & (row_system == 0)])[0]
        keys_c = _dense_unique(pair_codes[in_scope & (row_system == 1)])[0]
        if keys_b.size == 0 or keys_c.size == 0:
            missing = baseline if keys_b.size == 0 else candidate
            raise InvalidParameterError(f"{caller}: no judgments of system {missing!r} in the table.")
        overlap = np.intersect1d(keys_b, keys_c).size / min(keys_b.size, keys_c.size)
        if paired == "auto":
            is_paired = overlap >= 0.5
            notes.append(f"{'Paired' if is_paired else 'Unpaired'}: {overlap:.0%} of the smaller version's inputs "
                         f"({pair_on}) were rated for both versions.")
        else:
            is_paired = bool(paired)
            if is_paired and overlap == 0:
                raise InvalidParameterError(
                    f"{caller}: paired=True but no {pair_on!r} value was rated for both versions; pair on another "
                    "column (pair_on=...) or use paired=False.")
    else:
        is_paired = True
        notes.append("Pairwise head-to-head judgments: each judgment compares the two versions on one input.")
    # unit code of each in-scope row
    if is_paired:
        row_unit_raw = pair_codes
    else:
        row_unit_raw = pair_codes * 2 + np.maximum(row_system, 0)
    scope_idx = np.flatnonzero(in_scope)
    unit_ids, row_unit_scoped = _dense_unique(row_unit_raw[scope_idx])
    n_units = unit_ids.size
    row_unit = np.full(n_all, -1, dtype=np.int64)
    row_unit[scope_idx] = row_unit_scoped.reshape(-1)
    unit_labels = np.asarray(pair_labels)[(unit_ids if is_paired else unit_ids // 2)]

    # -- blocks: per (metric, rater group), per unit values of both systems --------------------------
    rater_of_row = frame["rater_id"].to_numpy()
    blocks: list[_Block] = []
    n_excluded = 0
    used_rows = np.zeros(n_all, dtype=bool)
    scope_frame = in_scope[:n_frame]
    tasks: list[tuple[Metric, str, np.ndarray, np.ndarray, np.ndarray | None]] = []
    for metric in metric_list:
        metric_mask = filter_mask(metric, judgments) & scope_frame
        for label, ids in groups:
            mask = metric_mask & np.isin(rater_of_row, np.asarray(ids, dtype=object))
            if mask.any():
                full_mask = np.concatenate([mask, np.zeros(n_all - n_frame, dtype=bool)])
                tasks.append((metric, label, full_mask, row_values(metric, judgments, mask, candidate), None))
    for signal in online_signals:
        mask = np.concatenate([np.zeros(n_frame, dtype=bool), (agg["rater_id"] == signal).to_numpy()])
        mask &= in_scope
        if mask.any():
            picked = agg.loc[mask[n_frame:]]
            tasks.append((Metric(str(signal), statistic="pass_rate"), "online", mask,
                          picked["successes"].to_numpy(dtype=float), picked["trials"].to_numpy(dtype=float)))
    for metric, label, mask, values, trials in tasks:
        units = row_unit[mask]
        slot = row_system[mask] if not is_pairwise else np.ones(units.size, dtype=np.int64)
        key = units * 2 + slot
        counts = np.bincount(key, minlength=2 * n_units).reshape(n_units, 2).astype(float)
        sums = np.bincount(key, weights=values, minlength=2 * n_units).reshape(n_units, 2)
        # online: an input's rate is its successes over its trials (counts stay rows, so never "binary")
        denominator = counts if trials is None else np.bincount(
            key, weights=trials, minlength=2 * n_units).reshape(n_units, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(denominator > 0, sums / np.where(denominator > 0, denominator, 1.0), np.nan)
        y_b, y_c = means[:, 0], means[:, 1]
        c_b, c_c = counts[:, 0], counts[:, 1]
        if is_pairwise:
            y_b = np.where(c_c > 0, 0.0, np.nan)
            c_b = c_c.copy()
        excluded = 0
        if is_paired and not is_pairwise:
            both = (c_b > 0) & (c_c > 0)
            lone = ((c_b > 0) | (c_c > 0)) & ~both
            excluded = int(lone.sum())
            y_b, y_c = np.where(both, y_b, np.nan), np.where(both, y_c, np.nan)
            c_b, c_c = np.where(both, c_b, 0), np.where(both, c_c, 0)
        n_excluded += excluded
        used_rows |= mask
        blocks.append(_Block(metric, label, y_b, y_c, c_b, c_c, excluded,
                             bool(np.nanmin(values) >= 0) if values.size else False, shares=trials is not None))
    if not blocks:
        raise InvalidParameterError(f"{caller}: no judgments of the chosen raters and metrics for either version.")
    if n_excluded:
        warn.append(f"Paired comparison: {n_excluded:,} (metric, rater, input) units rated for only one version were "
                    "excluded.")
    if judgments.frame.get("weight") is not None and not np.allclose(frame["weight"].to_numpy(dtype=float), 1.0):
        notes.append("Row weights are not used: every input counts once.")

    # -- segment codes and clusters per unit -------------------------------------------------------
    used_idx = np.flatnonzero(used_rows)
    seg_info: list[tuple[str, np.ndarray, list[str]]] = []
    for col in seg_cols:
        codes, labels, note = _unit_level_codes(rows_table[col].iloc[used_idx].reset_index(drop=True),
                                                row_unit[used_idx], n_units, col, unit_labels)
        if note:
            notes.append(note)
        seg_info.append((col, codes, labels))
    cluster_codes = None
    if clusters is not None:
        cluster_codes, cluster_labels, _ = _unit_level_codes(rows_table[clusters].iloc[used_idx].reset_index(drop=True),
                                                             row_unit[used_idx], n_units, clusters, unit_labels,
                                                             bin_numeric=False)

    # -- column matrix of the moments -------------------------------------------------------------
    n_blocks = len(blocks)
    columns = np.zeros((n_units, n_blocks * _N_MOMENTS))
    for j, blk in enumerate(blocks):
        pb, pc = blk.count_b > 0, blk.count_c > 0
        yb, yc = np.where(pb, blk.y_b, 0.0), np.where(pc, blk.y_c, 0.0)
        columns[:, j * _N_MOMENTS:(j + 1) * _N_MOMENTS] = np.stack(
            [pb, yb, yb**2, pc, yc, yc**2, yb * yc], axis=1)
    # Resampling atoms: clusters when clustered (every unit of a cluster shares its weight), else units.
    # Units are summed into (atom, level) cells once, so a resample costs a product over cells, not units.
    atom_of_unit = cluster_codes if cluster_codes is not None else np.arange(n_units)
    n_atoms = int(atom_of_unit.max()) + 1 if n_units else 0
    cell_plans = []  # per segment column: (atom of each sorted cell, sorted cell sums, level bounds)
    for _, codes, labels in seg_info or [(None, np.zeros(n_units, dtype=np.int64), ["all"])]:
        n_lev = len(labels)
        cell_key = atom_of_unit.astype(np.int64) * n_lev + codes
        cells, cell_of_unit = _dense_unique(cell_key)
        sums = np.zeros((cells.size, columns.shape[1]))
        np.add.at(sums, cell_of_unit.reshape(-1), columns)
        layout = LevelLayout(cells % n_lev, n_lev)
        cell_plans.append(((cells // n_lev)[layout.order], sums[layout.order], layout))
    n_levels_total = sum(len(labels) for _, _, labels in seg_info)
    n_slots = 1 + n_levels_total

    def row_moments(weights: np.ndarray) -> np.ndarray:
        """(b, n_blocks, n_slots, 7) from atom weights: slot 0 the overall, then every level of every column."""
        parts = [level_moments(weights[:, cell_atom], cell_sums, layout)  # (b, L, J*7)
                 for cell_atom, cell_sums, layout in cell_plans]
        overall = parts[0].sum(axis=1, keepdims=True)
        full = np.concatenate([overall, *parts[: len(seg_info)]], axis=1)  # (b, slots, J*7)
        return full.reshape(weights.shape[0], n_slots, n_blocks, _N_MOMENTS).transpose(0, 2, 1, 3)

    # -- rows present in the full sample --------------------------------------------------------------
    full = row_moments(np.ones((1, n_atoms)))[0]  # (J, slots, 7)
    slot_column = [None] + [col for col, _, labels in seg_info for _ in labels]
    slot_level = [None] + [lab for _, _, labels in seg_info for lab in labels]
    slot_code = [-1] + [k for _, _, labels in seg_info for k in range(len(labels))]
    slot_seg_index = [-1] + [i for i, (_, _, labels) in enumerate(seg_info) for _ in labels]
    present = (full[..., 0] + full[..., 3]) > 0  # (J, slots)
    row_block, row_slot = np.nonzero(present)
    n_rows = row_block.size
    kinds = np.array([{"mean": 0, "pass_rate": 1, "win_rate": 2}[_kind(blocks[j].metric)] for j in row_block])
    ratio_ok = np.array([_kind(blocks[j].metric) == "pass_rate" or (_kind(blocks[j].metric) == "mean"
                                                                  and blocks[j].nonnegative) for j in row_block])

    # -- mix-shift entries: (block, segment column) with >= 2 levels --------------------------------
    mix_entries = [(j, i) for j in range(n_blocks) for i, (_, _, labels) in enumerate(seg_info)
                   if len(labels) >= 2 and not is_paired and _kind(blocks[j].metric) != "win_rate"]
    seg_slot_ranges = []
    start = 1
    for _, _, labels in seg_info:
        seg_slot_ranges.append((start, start + len(labels)))
        start += len(labels)

    # -- disagreement pairs: same metric and slot, rater vs the reference group ----------------------
    reference = next((g for g, _ in groups if g == "human"), groups[0][0]) if len(groups) > 1 else None
    row_index = {(int(j), int(s)): r for r, (j, s) in enumerate(zip(row_block, row_slot, strict=True))}
    gap_pairs: list[tuple[int, int]] = []
    if reference is not None:
        for j, blk in enumerate(blocks):
            if blk.rater == reference:
                continue
            ref_j = next((k for k, b in enumerate(blocks) if b.rater == reference and b.metric is blk.metric), None)
            if ref_j is None:
                continue
            for s in range(n_slots):
                if (j, s) in row_index and (ref_j, s) in row_index:
                    gap_pairs.append((row_index[(ref_j, s)], row_index[(j, s)]))
    gap_ref = np.array([p[0] for p in gap_pairs], dtype=np.int64)
    gap_other = np.array([p[1] for p in gap_pairs], dtype=np.int64)

    def all_statistics(weights: np.ndarray) -> np.ndarray:
        mom = row_moments(weights)  # (b, J, slots, 7)
        rows = mom[:, row_block, row_slot, :]  # (b, R, 7)
        st = _moment_stats(rows)
        diff, effect, ratio = _effects(st, kinds, ratio_ok)
        out = [diff, effect, ratio]
        if mix_entries:
            within, comp = [], []
            for j, i in mix_entries:
                lo, hi = seg_slot_ranges[i]
                lev = mom[:, j, lo:hi, :]
                n_b, n_c = lev[..., 0], lev[..., 3]
                with np.errstate(invalid="ignore", divide="ignore"):
                    share_b = n_b / n_b.sum(axis=1, keepdims=True)
                    share_c = n_c / n_c.sum(axis=1, keepdims=True)
                    mean_b, mean_c = lev[..., 1] / n_b, lev[..., 4] / n_c
                both = (n_b > 0) & (n_c > 0)
                only = np.where(n_b > 0, mean_b, mean_c)
                mid_mean = np.where(both, (mean_b + mean_c) / 2, only)
                mid_mean = np.where((n_b > 0) | (n_c > 0), mid_mean, 0.0)
                within.append(np.sum(np.where(both, (share_b + share_c) / 2 * (mean_c - mean_b), 0.0), axis=1))
                comp.append(np.sum(mid_mean * (share_c - share_b), axis=1))
            out += [np.stack(within, axis=1), np.stack(comp, axis=1)]
        if gap_pairs:
            out.append(diff[:, gap_other] - diff[:, gap_ref])
        return np.concatenate(out, axis=1)

    estimate = all_statistics(np.ones((1, n_atoms)))[0]
    boot_method = ci_method if ci_method in ("percentile", "basic", "bca") else "percentile"
    do_bootstrap = ci_method != "none"
    if do_bootstrap:
        rng = check_random_state(random_state)
        parts, done = [], 0
        # larger batches than the engine's default: the product is bound by reading the cell sums once per
        # batch, so 40 resamples per pass over 100k cells run ~2x faster than 20 (benchmarks/compare.py)
        n_cells = max(plan[1].shape[0] for plan in cell_plans)
        rows = max(1, min(n_resamples, _BATCH_ELEMENTS // max(n_cells, 1)))
        from threadpoolctl import threadpool_limits

        # One BLAS thread: the per-level products are small, and OpenBLAS' threads cost more to wake than
        # they save (a 100k-unit level pass: 0.70 s with 2 threads on a loaded 2-core machine, 0.05 s with 1).
        with threadpool_limits(limits=1, user_api="blas"):
            # atom-level multiplicities from the engine: the same draws as resampling units with clusters=
            for w in resample_weights(n_atoms, n_resamples, rng, batch_size=rows):
                parts.append(all_statistics(w))
                done += w.shape[0]
                report("bootstrap", done, n_resamples)
            jack = None
            if boot_method == "bca":
                jack = np.concatenate([all_statistics(w) for w, _ in jackknife_weights(n_atoms)], axis=0)
        replicates = np.concatenate(parts, axis=0)
        b_low, b_high, b_se = replicate_intervals(replicates, estimate, method=boot_method,
                                                  confidence_level=confidence_level, jackknife=jack)
        # a statistic with more than half its replicates degenerate gets no interval
        too_few = np.isfinite(replicates).sum(axis=0) <= replicates.shape[0] / 2
        b_low, b_high, b_se = (np.where(too_few, np.nan, x) for x in (b_low, b_high, b_se))
        boot_label = (f"bootstrap-{boot_method}({'clusters' if clusters else 'pairs' if is_paired else 'inputs'}"
                      f"{', clustered by ' + clusters if clusters else ''}, {n_resamples})")
    else:
        b_low = b_high = b_se = np.full(estimate.shape, np.nan)
        boot_label = "none"

    # -- per-row tests, analytic intervals, power ------------------------------------------------------
    # the permutation test draws from its own stream (spawned), so choosing it leaves the bootstrap unchanged
    test_rng = check_random_state(random_state).spawn(1)[0]
    st_full = _moment_stats(full[row_block, row_slot, :])
    alpha = 1.0 - confidence_level
    z_alpha, z_power = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(_POWER)
    unit_seg_codes = [codes for _, codes, _ in seg_info]
    records: list[dict[str, Any]] = []
    for r in range(n_rows):
        j, s = int(row_block[r]), int(row_slot[r])
        blk = blocks[j]
        in_row = (blk.count_b > 0) | (blk.count_c > 0)
        if s > 0:
            in_row &= unit_seg_codes[slot_seg_index[s]] == slot_code[s]
        rec = _row_test(blk, in_row, is_paired, is_pairwise, cluster_codes, paired_test, confidence_level,
                        test_rng, n_resamples)
        n_b, n_c = float(st_full["n_b"][r]), float(st_full["n_c"][r])
        diff = float(estimate[r])
        if ci_method == "none":
            low = high = se = math.nan
            label = "none"
        elif ci_method in ("percentile", "basic", "bca") or (ci_method in ("auto", "newcombe") and is_paired
                                                               and clusters is None):
            low, high, se, label = b_low[r], b_high[r], b_se[r], boot_label
        else:  # analytic / newcombe / auto unpaired unclustered
            low, high, se, label = rec["ci_low"], rec["ci_high"], rec["se"], rec["ci_label"]
        # one minimum meaningful change per metric: from the overall baseline spread, not each segment's
        overall_r = row_index.get((j, 0), r)
        sd_b = math.sqrt(st_full["var_b"][overall_r]) if st_full["n_b"][overall_r] > 1 else math.nan
        min_change, min_change_how = default_min_change(blk.metric, judgments, sd_b)
        if rec["test"].startswith("not computable"):
            # a zero-width bootstrap interval of one cluster / one input says nothing: no interval at all
            low = high = se = math.nan
            b_low[[n_rows + r, 2 * n_rows + r]] = np.nan
            b_high[[n_rows + r, 2 * n_rows + r]] = np.nan
        mde = _mde(rec, st_full, r, is_paired, clusters is not None, blk.metric, alpha, z_alpha, z_power)
        records.append({
            "metric": blk.metric.name,
            "metric_kind": _kind(blk.metric),
            "rater": blk.rater,
            "segment": OVERALL if s == 0 else f"{slot_column[s]}={slot_level[s]}",
            "segment_column": slot_column[s],
            "segment_level": slot_level[s],
            "n_baseline": int(round(n_b)),
            "n_candidate": int(round(n_c)),
            "n_clusters": rec["n_clusters"],
            "baseline_value": float(st_full["mean_b"][r]) if not is_pairwise else math.nan,
            "candidate_value": float(st_full["mean_c"][r]) if not is_pairwise else rec["win_share"],
            "difference": diff,
            "ci_low": float(low),
            "ci_high": float(high),
            "standard_error": float(se),
            "ci_method": label,
            "ratio": float(estimate[n_rows + n_rows + r]) if not is_pairwise else rec["win_ratio"],
            "ratio_ci_low": float(b_low[2 * n_rows + r]) if not is_pairwise else math.nan,
            "ratio_ci_high": float(b_high[2 * n_rows + r]) if not is_pairwise else math.nan,
            "effect_size": float(estimate[n_rows + r]),
            "effect_size_name": {"mean": "cohen_d", "pass_rate": "cohen_h", "win_rate": "cohen_dz"}[_kind(blk.metric)],
            "effect_ci_low": float(b_low[n_rows + r]),
            "effect_ci_high": float(b_high[n_rows + r]),
            "cliffs_delta": rec["cliffs_delta"],
            "cliffs_ci_low": rec["cliffs_ci_low"],
            "cliffs_ci_high": rec["cliffs_ci_high"],
            "test": rec["test"],
            "test_statistic": rec["statistic"],
            "p_value": rec["p_value"],
            "mde": mde,
            "min_change": min_change,
            "min_change_source": min_change_how,
            "higher_is_better": blk.metric.higher_is_better,
            "paired": is_paired,
        })
    table = pd.DataFrame.from_records(records)
    if clusters is not None:
        few = int(((table["n_clusters"] > 1) & (table["n_clusters"] < _FEW_CLUSTERS)).sum())
        if few:
            warn.append(f"{few} comparison(s) rest on fewer than {_FEW_CLUSTERS} clusters of {clusters!r}: their "
                        "tests and t intervals (G - 1 df) stay valid but are wide, and their bootstrap intervals "
                        "(effect sizes, ratios) are unreliable.")
    table["q_value"] = _adjust(table["p_value"].to_numpy(dtype=float), correction)
    table["verdict"] = _verdicts(table, alpha)
    order = ["metric", "rater", "segment", "difference", "ci_low", "ci_high", "p_value", "q_value", "verdict"]
    table = table[order + [c for c in table.columns if c not in order]]

    # -- mix shift -----------------------------------------------------------------------------------
    offset = 3 * n_rows
    mix_rows = []
    n_mix = len(mix_entries)
    for k, (j, i) in enumerate(mix_entries):
        lo, hi = seg_slot_ranges[i]
        counts_b, counts_c = full[j, lo:hi, 0], full[j, lo:hi, 3]
        keep = (counts_b + counts_c) > 0
        if keep.sum() < 2:
            continue
        cb, cc = counts_b[keep], counts_c[keep]
        share_shift = 0.5 * float(np.abs(cb / cb.sum() - cc / cc.sum()).sum()) if cb.sum() and cc.sum() else math.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # expected-count warnings on empty levels
            chi_p = float(stats.chi2_contingency(np.stack([cb, cc]) + 0.0, correction=False).pvalue) \
                if (cb > 0).any() and (cc > 0).any() and (np.stack([cb, cc]).sum(axis=0) > 0).all() else math.nan
        overall_r = row_index.get((j, 0))
        overall = float(estimate[overall_r]) if overall_r is not None else math.nan
        w_est, c_est = float(estimate[offset + k]), float(estimate[offset + n_mix + k])
        w_lo, w_hi = float(b_low[offset + k]), float(b_high[offset + k])
        o_lo = float(b_low[overall_r]) if overall_r is not None else math.nan
        o_hi = float(b_high[overall_r]) if overall_r is not None else math.nan
        reversal = (np.sign(overall) != np.sign(w_est) and overall != 0 and w_est != 0
                    and ((w_lo > 0 or w_hi < 0) or (o_lo > 0 or o_hi < 0)))
        mix_rows.append({
            "metric": blocks[j].metric.name, "rater": blocks[j].rater, "segment_column": seg_info[i][0],
            "overall_difference": overall, "within": w_est, "within_ci_low": w_lo, "within_ci_high": w_hi,
            "composition": c_est, "composition_ci_low": float(b_low[offset + n_mix + k]),
            "composition_ci_high": float(b_high[offset + n_mix + k]), "share_shift": share_shift,
            "share_test_p": chi_p, "simpson_reversal": bool(reversal),
        })
    mix_shift = pd.DataFrame(mix_rows, columns=[
        "metric", "rater", "segment_column", "overall_difference", "within", "within_ci_low", "within_ci_high",
        "composition", "composition_ci_low", "composition_ci_high", "share_shift", "share_test_p",
        "simpson_reversal"])
    if clusters is not None and not mix_shift.empty:
        notes.append("Mix shift: the chi-square share test treats inputs as independent (clusters ignored there).")

    # -- method disagreement ---------------------------------------------------------------------------
    gap_offset = offset + 2 * n_mix
    dis_rows = []
    for k, (ref_r, oth_r) in enumerate(gap_pairs):
        ref_row, oth_row = table.iloc[ref_r], table.iloc[oth_r]
        g_lo, g_hi = float(b_low[gap_offset + k]), float(b_high[gap_offset + k])
        verdicts = {ref_row["verdict"], oth_row["verdict"]}
        dis_rows.append({
            "metric": oth_row["metric"], "segment": oth_row["segment"], "reference": reference,
            "rater": oth_row["rater"], "difference_reference": ref_row["difference"],
            "difference_rater": oth_row["difference"], "gap": float(estimate[gap_offset + k]),
            "gap_ci_low": g_lo, "gap_ci_high": g_hi, "gap_significant": bool(g_lo > 0 or g_hi < 0),
            "conflict": verdicts == {"regression", "improvement"},
            "verdict_reference": ref_row["verdict"], "verdict_rater": oth_row["verdict"],
        })
    disagreement = pd.DataFrame(dis_rows, columns=[
        "metric", "segment", "reference", "rater", "difference_reference", "difference_rater", "gap", "gap_ci_low",
        "gap_ci_high", "gap_significant", "conflict", "verdict_reference", "verdict_rater"])
    if do_bootstrap and not np.all(np.isfinite(replicates[:, :n_rows]) | ~np.isfinite(estimate[:n_rows])):
        n_bad = int((~np.isfinite(replicates[:, :n_rows])).any(axis=0).sum())
        warn.append(f"{n_bad} comparison(s) had resamples without one version in the segment (dropped from their "
                    "bootstrap distribution); their intervals rest on fewer resamples.")
    return VersionComparison(
        table=table, method=f"compare_versions({candidate} vs {baseline})", confidence_level=confidence_level,
        warnings=tuple(warn), baseline=baseline, candidate=candidate, paired=is_paired, correction=correction,
        cluster=clusters, n_resamples=n_resamples if do_bootstrap else 0, mix_shift=mix_shift,
        method_disagreement=disagreement, reference_rater=reference, n_excluded=n_excluded, notes=tuple(notes))


def _row_test(blk: _Block, in_row: np.ndarray, is_paired: bool, is_pairwise: bool, cluster_codes: np.ndarray | None,
              paired_test: str, confidence_level: float, rng: np.random.Generator,
              n_resamples: int) -> dict[str, Any]:
    """The hypothesis test (and analytic interval) of one row, from its units."""
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    kind = _kind(blk.metric)
    present_b = in_row & (blk.count_b > 0)
    present_c = in_row & (blk.count_c > 0)
    y_b, y_c = blk.y_b[present_b], blk.y_c[present_c]
    n_b, n_c = y_b.size, y_c.size
    binary = kind == "pass_rate" and not blk.shares and bool(np.all(blk.count_b[present_b] == 1)
                                                             and np.all(blk.count_c[present_c] == 1))
    out: dict[str, Any] = {"ci_low": math.nan, "ci_high": math.nan, "se": math.nan, "ci_label": "none",
                           "statistic": math.nan, "p_value": math.nan, "n_clusters": 0, "binary_unpaired": False,
                           "win_share": math.nan, "win_ratio": math.nan, "se_test": math.nan, "df": math.inf,
                           "cliffs_delta": math.nan, "cliffs_ci_low": math.nan, "cliffs_ci_high": math.nan}
    if is_pairwise:
        d = y_c
        wins, losses = int(np.sum(d > 0)), int(np.sum(d < 0))
        out["win_share"] = wins / (wins + losses) if wins + losses else math.nan
        out["win_ratio"] = wins / losses if losses else math.nan
    t_level = confidence_level
    if min(n_b, n_c) < 2:
        out["test"] = "not computable (fewer than 2 inputs in a version)"
        return out
    if cluster_codes is not None:
        if is_paired:
            d = y_c - y_b if not is_pairwise else y_c
            units = np.flatnonzero(present_c)
            influence = (d - d.mean()) / d.size
            meat, g = cluster_sum_squares(influence, cluster_codes[units])
            estimate = float(d.mean())
            k = 1
            n_total = d.size
        else:
            units = np.concatenate([np.flatnonzero(present_b), np.flatnonzero(present_c)])
            influence = np.concatenate([-(y_b - y_b.mean()) / n_b, (y_c - y_c.mean()) / n_c])
            meat, g = cluster_sum_squares(influence, cluster_codes[units])
            estimate = float(y_c.mean() - y_b.mean())
            k = 2
            n_total = n_b + n_c
        out["n_clusters"] = g
        if g < 2:
            out["test"] = "not computable (fewer than 2 clusters)"
            return out
        # CR1 with statsmodels' small-sample factor G/(G-1) * (N-1)/(N-K)
        var = meat * g / (g - 1) * (n_total - 1) / (n_total - k)
        se = math.sqrt(var)
        df = g - 1
        t_stat = estimate / se if se > 0 else (0.0 if estimate == 0 else math.copysign(math.inf, estimate))
        out.update(test=f"cluster-robust Wald t (CR1, {g} clusters, df {df})", statistic=t_stat,
                   p_value=float(2 * special.stdtr(df, -abs(t_stat))), se=se, se_test=se, df=df)
        q = special.stdtrit(df, 0.5 + t_level / 2)  # scipy.special: stats.t's per-call overhead x 500 rows
        out.update(ci_low=estimate - q * se, ci_high=estimate + q * se, ci_label=f"analytic(cluster-robust CR1, t{df})")
        return out
    if is_pairwise:
        d = y_c
        wins, losses = int(np.sum(d > 0)), int(np.sum(d < 0))
        one_each = bool(np.all(blk.count_c[present_c] == 1))
        res1 = stats.ttest_1samp(d, 0.0) if np.std(d) > 0 else None
        se = float(np.std(d, ddof=1) / math.sqrt(d.size))
        out["se_test"] = se
        if res1 is not None:
            ci = res1.confidence_interval(t_level)
            out.update(ci_low=float(ci.low), ci_high=float(ci.high), se=se, ci_label="analytic(t)")
        if one_each:
            p = float(stats.binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
            out.update(test="sign test (exact binomial, ties dropped)", statistic=float(wins), p_value=p)
        else:
            out.update(_paired_score_test(d, paired_test, rng, n_resamples))
        return out
    if is_paired:
        d = blk.y_c[present_c] - blk.y_b[present_c]
        se = float(np.std(d, ddof=1) / math.sqrt(d.size))
        out["se_test"] = se
        if np.std(d) > 0:
            ci = stats.ttest_1samp(d, 0.0).confidence_interval(t_level)
            out.update(ci_low=float(ci.low), ci_high=float(ci.high), se=se, ci_label="analytic(paired t)")
        if binary:
            yb, yc = blk.y_b[present_c], blk.y_c[present_c]
            n10 = int(np.sum((yb == 1) & (yc == 0)))
            n01 = int(np.sum((yb == 0) & (yc == 1)))
            n11 = int(np.sum((yb == 1) & (yc == 1)))
            n00 = d.size - n10 - n01 - n11
            res = mcnemar(np.array([[n11, n10], [n01, n00]]), exact=True)
            out.update(test="McNemar exact (binomial on discordant pairs)", statistic=float(res.statistic),
                       p_value=float(res.pvalue) if n10 + n01 else 1.0)
        else:
            out.update(_paired_score_test(d, paired_test, rng, n_resamples))
        return out
    se = math.sqrt(np.var(y_b, ddof=1) / n_b + np.var(y_c, ddof=1) / n_c)
    out["se_test"] = se
    if binary:
        count_b, count_c = float(y_b.sum()), float(y_c.sum())
        res = test_proportions_2indep(count_c, n_c, count_b, n_b, method="score", compare="diff",
                                      return_results=True)
        low, high = confint_proportions_2indep(count_c, n_c, count_b, n_b, method="newcombe",
                                               compare="diff", alpha=1 - t_level)
        p = float(res.pvalue)
        if not np.isfinite(p):  # both proportions 0 or both 1: no evidence of a change
            p = 1.0
        out.update(test="score test of two proportions (Miettinen-Nurminen)", statistic=float(res.statistic),
                   p_value=p, ci_low=float(low), ci_high=float(high), se=se, ci_label="newcombe",
                   binary_unpaired=True)
        return out
    if se == 0:
        out.update(test="Welch t (no variance: not computable)")
        return out
    res = stats.ttest_ind(y_c, y_b, equal_var=False)
    ci = res.confidence_interval(t_level)
    # Cliff's delta = 2 P(Y_c > Y_b) + P(=) - 1, with the Brunner-Munzel interval of that probability
    from statsmodels.stats.nonparametric import rank_compare_2indep

    ranks = rank_compare_2indep(y_c, y_b)
    p_low, p_high = ranks.conf_int(alpha=1 - t_level)
    out.update(cliffs_delta=2 * float(ranks.prob1) - 1, cliffs_ci_low=2 * float(p_low) - 1,
               cliffs_ci_high=2 * float(p_high) - 1)
    out.update(test="Welch t", statistic=float(res.statistic), p_value=float(res.pvalue), ci_low=float(ci.low),
               ci_high=float(ci.high), se=se, ci_label="analytic(Welch t)", df=float(res.df))
    return out


def _paired_score_test(d: np.ndarray, paired_test: str, rng: np.random.Generator, n_resamples: int) -> dict[str, Any]:
    names = {"wilcoxon": "Wilcoxon signed-rank", "t": "paired t", "permutation": "paired permutation (sign flips)"}
    if not np.any(d != 0):
        return {"test": names[paired_test], "statistic": 0.0, "p_value": 1.0}
    if paired_test == "permutation":
        return {"test": names[paired_test], "statistic": float(d.mean()),
                "p_value": _sign_flip_p_value(d, rng, n_resamples)}
    if paired_test == "t":
        res = stats.ttest_1samp(d, 0.0)
        return {"test": "paired t", "statistic": float(res.statistic), "p_value": float(res.pvalue)}
    res = stats.wilcoxon(d)
    return {"test": "Wilcoxon signed-rank", "statistic": float(res.statistic), "p_value": float(res.pvalue)}


def _sign_flip_p_value(d: np.ndarray, rng: np.random.Generator, n_resamples: int) -> float:
    """Two-sided sign-flip permutation p of the mean difference: exact (all 2^n flips, as scipy's
    ``permutation_test(..., permutation_type="samples")``) when 2^n <= n_resamples, else Monte Carlo with the
    (1 + count) / (1 + B) correction (Phipson & Smyth 2010). Batched to bound memory."""
    n = d.size
    observed = abs(d.sum())
    tolerance = 1e-12 * max(1.0, float(np.abs(d).sum()))
    if n <= 20 and 2**n <= n_resamples:
        signs = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1)
        return float(np.mean(np.abs(signs @ d) >= observed - tolerance))
    count, done = 0, 0
    rows = max(1, min(n_resamples, 2_000_000 // n))
    while done < n_resamples:
        b = min(rows, n_resamples - done)
        signs = rng.integers(0, 2, size=(b, n)) * 2.0 - 1.0
        count += int(np.sum(np.abs(signs @ d) >= observed - tolerance))
        done += b
    return (1 + count) / (1 + n_resamples)


def _mde(rec: dict[str, Any], st: dict[str, np.ndarray], r: int, is_paired: bool, clustered: bool, metric: Metric,
         alpha: float, z_alpha: float, z_power: float) -> float:
    """Minimum detectable |difference| at 80 % power, two-sided ``alpha``."""
    se = rec["se_test"]
    if rec["p_value"] is None or not np.isfinite(rec["p_value"]):
        return math.inf
    if clustered:
        # t quantiles with the G - 1 df of the cluster-robust test: few clusters detect only large effects
        df = rec["df"]
        return float((special.stdtrit(df, 1 - alpha / 2) + special.stdtrit(df, _POWER)) * se)
    if metric.statistic == "win_rate":
        return float((z_alpha + z_power) * se)
    n_b, n_c = float(st["n_b"][r]), float(st["n_c"][r])
    if rec.get("binary_unpaired"):
        p_b = float(st["mean_b"][r])
        if n_b < _T_POWER_BELOW or n_c < _T_POWER_BELOW:
            h = _solved_effect("normal_ind", n_b, n_c, alpha)
        else:
            h = float((z_alpha + z_power) * math.sqrt(1 / n_b + 1 / n_c))
        phi = math.asin(math.sqrt(min(max(p_b, 0.0), 1.0)))
        # the detectable change in the regression direction (the one that matters)
        shifted = phi - h / 2 if metric.higher_is_better else phi + h / 2
        shifted = min(max(shifted, 0.0), math.pi / 2)
        return abs(math.sin(shifted) ** 2 - p_b)
    if is_paired:
        sd_d = se * math.sqrt(n_c)
        if n_c < _T_POWER_BELOW:
            es = _solved_effect("t_paired", n_c, n_c, alpha)
        else:
            es = (z_alpha + z_power) / math.sqrt(n_c)
        return float(es * sd_d)
    pooled = math.sqrt(((n_b - 1) * st["var_b"][r] + (n_c - 1) * st["var_c"][r]) / (n_b + n_c - 2))
    if n_b < _T_POWER_BELOW or n_c < _T_POWER_BELOW:
        es = _solved_effect("t_ind", n_b, n_c, alpha)
    else:
        es = (z_alpha + z_power) * math.sqrt(1 / n_b + 1 / n_c)
    return float(es * pooled)


@functools.lru_cache(maxsize=4096)
def _solved_effect(kind: str, n_b: float, n_c: float, alpha: float) -> float:
    """Standardised effect detectable at 80 % power (statsmodels' solve_power; cached: rows share sizes)."""
    from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

    if kind == "t_paired":
        return float(TTestPower().solve_power(effect_size=None, nobs=n_c, alpha=alpha, power=_POWER))
    engine = NormalIndPower() if kind == "normal_ind" else TTestIndPower()
    return float(engine.solve_power(effect_size=None, nobs1=n_b, ratio=n_c / n_b, alpha=alpha, power=_POWER))


def _adjust(p: np.ndarray, correction: str) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method={"bh": "fdr_bh", "holm": "holm", "by": "fdr_by"}[correction])[1]
    return q


def _verdicts(table: pd.DataFrame, alpha: float) -> np.ndarray:
    q = table["q_value"].to_numpy(dtype=float)
    diff = table["difference"].to_numpy(dtype=float)
    better = np.where(table["higher_is_better"].to_numpy(dtype=bool), diff, -diff)
    significant = np.isfinite(q) & (q <= alpha)
    mde = table["mde"].to_numpy(dtype=float)
    min_change = table["min_change"].to_numpy(dtype=float)
    underpowered = ~np.isfinite(mde) | ~np.isfinite(min_change) | (mde > min_change)
    return np.where(significant & (better < 0), "regression",
                    np.where(significant & (better > 0), "improvement",
                             np.where(underpowered, "underpowered", "no detectable change")))
