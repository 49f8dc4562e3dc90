"""Slice search with false-discovery control, non-redundant answers and plain-language explanations."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from alignlab._array.slices_lattice import LatticeSums, lattice_sums
from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.data import Judgments
from alignlab.results import TableResult
from alignlab.slices._encode import SegmentEncoding, encode_segments
from alignlab.slices._stats import (
    GroupSums,
    RowSums,
    binomial_exact,
    permutation_pvalues,
    standardized_effect,
    welch,
)

__all__ = ["SliceResult", "find_slices", "enumerate_slices", "SLICE_COLUMNS", "META_KEY"]

#: key of ``DataFrame.attrs`` where :func:`alignlab.slices.divergence` describes its target
META_KEY = "alignlab.slices"
#: the columns of ``SliceResult.slices``, in order
SLICE_COLUMNS = ("predicate", "size", "mean_in", "mean_out", "effect", "ci_low", "ci_high", "p_value", "q_value",
                 "share_of_divergence", "sentence", "depth", "weight", "std_effect", "std_ci_low", "std_ci_high",
                 "test", "segments")
# slices smaller than this use a permutation test (non-binary targets, test="auto")
_PERMUTATION_BELOW = 50
_CORRECTIONS = {"bh": "fdr_bh", "by": "fdr_by", "holm": "holm"}
_ID_COLUMNS = ("item_id", "rater_id", "source_row")


# --------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SliceResult(TableResult):
    """Reported slices, one row each (``slices``), with how they were found.

    Attributes
    ----------
    slices : pandas.DataFrame
        Columns :data:`SLICE_COLUMNS`: ``predicate``, ``size`` (rows), ``mean_in``/``mean_out``
        (weighted mean target inside / outside the slice), ``effect`` (their difference) with
        ``ci_low``/``ci_high``, ``p_value``, ``q_value`` (adjusted over every slice tested),
        ``share_of_divergence`` (share of the total absolute target held by the slice), ``sentence``,
        then ``depth``, ``weight`` (sum of row weights), ``std_effect`` (Cohen's d) with its interval,
        ``test`` and ``segments`` (tuple of the columns used).
    candidates : pandas.DataFrame
        Every significant slice before redundancy pruning, with ``status`` (``reported`` or why it
        was dropped) — the audit trail of the short answer.
    n_tested : int
        Slices tested (the m of the multiple-testing correction, including slices counted through the
        lattice's optimistic bound).
    n_significant : int
        Slices rejected by the correction, before pruning.
    p_threshold : float
        Largest p-value rejected (0 when none); remainders in pruning must pass the same bar.
    """

    target: str
    segments: tuple[str, ...]
    n_rows: int
    n_tested: int
    n_significant: int
    p_threshold: float
    correction: str
    fdr: float
    ci_method: str
    depth: int
    min_support: int
    split: bool
    overall_mean: float
    candidates: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def slices(self) -> pd.DataFrame:
        """The reported slices (a copy)."""
        return self.table.copy()

    @property
    def sentences(self) -> list[str]:
        return self.table["sentence"].tolist()

    def __str__(self) -> str:
        head = (f"{self.method}: {len(self.table)} slice(s) reported of {self.n_tested:,} tested "
                f"({self.n_significant:,} significant at {self.correction.upper()} {self.fdr:g} before pruning; "
                f"{self.n_rows:,} rows, depth <= {self.depth}, min support {self.min_support:,})")
        lines = [head]
        lines += [f"{i + 1}. {s}" for i, s in enumerate(self.table["sentence"])]
        if self.table.empty:
            lines.append("No slice differs from the rest after the multiple-testing correction.")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        shown = self.table.drop(columns=["sentence", "segments"])
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.table["sentence"])
        return (f"<div><strong>{html.escape(self.method)}</strong><ol>{items}</ol>"
                f"{shown.to_html(escape=True, na_rep='', float_format=lambda x: f'{x:.4g}')}</div>")


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------
def _column_error(name: str, columns: Sequence[str], argument: str) -> InvalidParameterError:
    close = difflib.get_close_matches(str(name), [str(c) for c in columns], n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else f" Columns are {list(columns)[:20]}."
    return InvalidParameterError(f"The {argument!r} argument names column {name!r}, which is not in the data.{hint}")


def _infer_segments(frame: pd.DataFrame, exclude: set[str], max_levels: int) -> list[str]:
    out = []
    for column in frame.columns:
        if column in exclude or column in _ID_COLUMNS:
            continue
        series = frame[column]
        if pd.api.types.is_float_dtype(series):
            continue  # measurements, not segments: name them in segments= to bin them
        if 2 <= series.nunique(dropna=False) <= max_levels:
            out.append(str(column))
    return out


@dataclass(frozen=True)
class _Prepared:
    y: np.ndarray
    w: np.ndarray | None
    encoding: SegmentEncoding
    target: str
    meta: dict[str, Any]
    n_dropped: int
    notes: tuple[str, ...]


def _prepare(
    data: Any,
    target: str | None,
    segments: Sequence[str] | None,
    weights: str | Sequence[float] | np.ndarray | None,
    bins: int | Mapping[str, Sequence[float]],
    max_levels: int,
    caller: str,
) -> _Prepared:
    if isinstance(data, Judgments):
        frame = data.frame
        meta: dict[str, Any] = {"segments": list(data.segments) + (["system"] if data.has("system") else [])}
    elif isinstance(data, pd.DataFrame):
        frame = data
        meta = dict(data.attrs.get(META_KEY, {}))
    elif hasattr(data, "to_pandas"):
        frame = data.to_pandas()
        meta = {}
    else:
        raise InvalidParameterError(f"{caller} expects a pandas DataFrame (e.g. the output of alignlab.slices.divergence) "
                        f"or a Judgments table. Got {type(data).__name__} instead.")
    if target is None:
        target = meta.get("target")
        if target is None:
            raise InvalidParameterError(f"{caller} needs target= the name of the column to explain (e.g. 'divergence'); "
                             "only the output of alignlab.slices.divergence names it by itself.")
    if target not in frame.columns:
        raise _column_error(target, list(frame.columns), "target")
    y_series = frame[target]
    if pd.api.types.is_bool_dtype(y_series):
        y_series = y_series.astype(float)
    if not pd.api.types.is_numeric_dtype(y_series):
        raise InvalidParameterError(f"The target column {target!r} must be numeric (or boolean); it has dtype "
                         f"{y_series.dtype}. Encode it as numbers, e.g. (frame[{target!r}] == 'wrong').astype(float).")
    y = y_series.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(y).any():
        raise DataError(f"The target column {target!r} has infinite values; replace or drop them.")
    if weights is None:
        weights = meta.get("weights")
    w: np.ndarray | None = None
    if weights is not None:
        if isinstance(weights, str):
            if weights not in frame.columns:
                raise _column_error(weights, list(frame.columns), "weights")
            w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            wname = weights
        else:
            w = np.asarray(weights, dtype=float)
            wname = "weights"
            if w.shape != (len(frame),):
                raise InvalidParameterError(f"weights has {w.size} values but the data has {len(frame)} rows; give one weight "
                                 "per row or the name of a weight column.")
        if not np.isfinite(w).all() or (w < 0).any():
            raise InvalidParameterError(f"The {wname!r} weights must be finite and non-negative; fix or drop the bad rows.")
        if not (w > 0).any():
            raise DataError(f"Every weight in {wname!r} is zero; nothing to search.")
    if segments is None:
        segments = meta.get("segments") or _infer_segments(
            frame, {target, *([weights] if isinstance(weights, str) else [])}, max_levels)
    segments = [segments] if isinstance(segments, str) else list(segments)
    if not segments:
        raise InvalidParameterError("No segment columns to search: pass segments=[...] naming categorical or numeric columns.")
    for column in segments:
        if column not in frame.columns:
            raise _column_error(column, list(frame.columns), "segments")
        if column == target:
            raise DataError(f"The target column {target!r} cannot also be a segment.")
    keep = ~np.isnan(y)
    if w is not None:
        keep &= w > 0
    n_dropped = int((~keep).sum())
    notes: list[str] = []
    if n_dropped:
        notes.append(f"{n_dropped:,} rows without a target value (or with zero weight) were left out")
    sub = frame.loc[keep, segments] if n_dropped else frame[segments]
    if keep.sum() < 4:
        raise DataError(f"Only {int(keep.sum())} rows have a target value; at least 4 are needed.")
    encoding = encode_segments(sub, segments, bins=bins, max_levels=max_levels)
    notes += list(encoding.notes)
    return _Prepared(y[keep], None if w is None else w[keep], encoding, str(target), meta, n_dropped, tuple(notes))


def _resolve_support(min_support: int | float, n_rows: int) -> int:
    if isinstance(min_support, float) and min_support < 1:
        return max(2, math.ceil(min_support * n_rows))
    return max(2, int(min_support))


def _lattice_groups(lat: LatticeSums) -> tuple[GroupSums, GroupSums]:
    inside = GroupSums(lat.count.astype(float), lat.weight, lat.target, lat.target_sq, lat.weight_sq)
    outside = GroupSums.full(lat.totals, len(lat)) - inside
    return inside, outside


# --------------------------------------------------------------------------------------------------
# enumerate_slices: the search engine, reusable on its own
# --------------------------------------------------------------------------------------------------
_SEARCH_PARAMS: dict[str, list[Any]] = {
    "target": [str, None],
    "segments": ["str-or-list", None],
    "depth": [Interval("integral", 1, 6)],
    "min_support": [Interval("integral", 2, None), Interval("real", 0, 1, closed="neither")],
    "weights": [str, "array-like", None],
    "bins": [Interval("integral", 2, 100), "mapping"],
    "max_levels": [Interval("integral", 2, 10_000)],
}


@validate_params(_SEARCH_PARAMS)
def enumerate_slices(
    judgments: pd.DataFrame | Judgments,
    target: str | None = None,
    *,
    segments: str | Sequence[str] | None = None,
    depth: int = 3,
    min_support: int | float = 30,
    weights: str | Sequence[float] | np.ndarray | None = None,
    bins: int | Mapping[str, Sequence[float]] = 4,
    max_levels: int = 50,
) -> pd.DataFrame:
    """Every slice (conjunction of segment predicates, up to ``depth``) with its sums and Welch test.

    The lower-level engine under :func:`find_slices`, for other analyses over the same lattice
    (e.g. the most over- or under-represented slices of production traffic: stack evaluation and
    production rows, ``target`` = "is production"). No multiple-testing correction or pruning.

    Parameters
    ----------
    judgments : DataFrame or Judgments
        A judgments table, the output of :func:`alignlab.slices.divergence`, or any table.
    target : str
        Numeric (or boolean) column; the mean of it is compared inside vs outside every slice.
    segments : list of str, optional
        Columns to slice on (default: the divergence output's segments, else the non-float columns
        with 2 to ``max_levels`` levels). Float columns with more than 10 values (integer columns
        with more than ``max_levels``) are cut into ``bins`` quantile bins (or at
        ``bins={col: edges}``); missing values form their own level.
    depth : int, default 3
        Largest number of predicates in a slice.
    min_support : int or float, default 30
        Smallest slice in rows (an int) or as a fraction of rows (a float below 1).
    weights : str or array, optional
        Per-row weights (column name or array): every sum and mean is weighted.

    Returns
    -------
    pandas.DataFrame
        One row per slice: ``predicate``, ``depth``, ``size`` (rows), ``weight``, ``target_sum``
        (sum w*y), ``target_sq_sum``, ``weight_sq_sum``, ``mean_in``, ``mean_out``, ``effect``,
        ``standard_error``, ``statistic``, ``p_value`` (Welch, two-sided); ``attrs["totals"]`` holds
        the sums over all rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lang": ["en", "en", "ja", "ja"] * 25, "err": [0, 0, 1, 0] * 25})
    >>> out = enumerate_slices(df, "err", segments=["lang"], min_support=10)
    >>> out[["predicate", "size", "mean_in", "mean_out"]]
          predicate  size  mean_in  mean_out
    0  lang == 'en'    50      0.0       0.5
    1  lang == 'ja'    50      0.5       0.0
    """
    prep = _prepare(judgments, target, segments, weights, bins, max_levels, "enumerate_slices")
    support = _resolve_support(min_support, len(prep.y))
    enc = prep.encoding
    lat = lattice_sums(enc.columns, enc.cardinalities, prep.y, weights=prep.w, depth=depth, min_support=support)
    inside, outside = _lattice_groups(lat)
    test = welch(inside, outside)
    frame = pd.DataFrame({
        "predicate": _predicates(enc, lat.features, lat.levels),
        "depth": lat.depth.astype(np.int64),
        "size": lat.count,
        "weight": lat.weight,
        "target_sum": lat.target,
        "target_sq_sum": lat.target_sq,
        "weight_sq_sum": lat.weight_sq,
        "mean_in": inside.mean,
        "mean_out": outside.mean,
        "effect": test.difference,
        "standard_error": test.standard_error,
        "statistic": test.statistic,
        "p_value": test.p_value,
    })
    frame.attrs["totals"] = dict(lat.totals)
    frame.attrs["segments"] = list(enc.names)
    return frame


def _predicates(enc: SegmentEncoding, features: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Predicate strings of many slices, vectorised per predicate position."""
    out = np.full(len(features), "", dtype=object)
    for pos in range(features.shape[1]):
        f = features[:, pos]
        present = f >= 0
        if not present.any():
            continue
        texts = np.empty(len(features), dtype=object)
        texts[:] = ""
        for feature in np.unique(f[present]):
            sel = f == feature
            texts[sel] = np.asarray(enc.predicates[int(feature)], dtype=object)[levels[sel, pos]]
        sep = np.where(pos > 0, " & ", "")
        out = np.where(present, out + np.where(out != "", sep, "") + texts, out)
    return out


# --------------------------------------------------------------------------------------------------
# find_slices
# --------------------------------------------------------------------------------------------------
def _slice_keys(features: np.ndarray, levels: np.ndarray, cards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bitmask of features, mixed-radix cell code) identifying each slice; vectorised."""
    bitmask = np.zeros(len(features), dtype=np.int64)
    cell = np.zeros(len(features), dtype=np.int64)
    stride = np.ones(len(features), dtype=np.int64)
    for pos in range(features.shape[1]):
        f = features[:, pos].astype(np.int64)
        present = f >= 0
        safe = np.where(present, f, 0)
        bitmask += np.where(present, np.left_shift(np.int64(1), safe), 0)
        cell += np.where(present, levels[:, pos] * stride, 0)
        stride = np.where(present, stride * cards[safe], stride)
    return bitmask, cell


def _drop_position(features: np.ndarray, levels: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray]:
    keep = [p for p in range(features.shape[1]) if p != pos]
    f = np.concatenate([features[:, keep], np.full((len(features), 1), -1, dtype=features.dtype)], axis=1)
    v = np.concatenate([levels[:, keep], np.full((len(levels), 1), -1, dtype=levels.dtype)], axis=1)
    return f, v


@dataclass
class _Tested:
    lat: LatticeSums
    inside: GroupSums
    outside: GroupSums
    difference: np.ndarray
    standard_error: np.ndarray
    df: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    test: np.ndarray


def _test_lattice(lat: LatticeSums, y: np.ndarray, w: np.ndarray | None, binary: bool, test: str,
                  n_permutations: int, rng: np.random.Generator) -> _Tested:
    inside, outside = _lattice_groups(lat)
    wel = welch(inside, outside)
    p = wel.p_value.copy()
    label = np.full(len(lat), "welch", dtype=object)
    if binary and w is None and test in ("auto", "exact"):
        rate = lat.totals["target"] / lat.totals["count"]
        p = binomial_exact(lat.count.astype(float), lat.target, rate)
        label[:] = "binomial-exact"
    elif test == "auto":
        small = np.flatnonzero(lat.count < _PERMUTATION_BELOW)
        if small.size:
            p[small] = permutation_pvalues(lat.count[small], wel.difference[small], y, w,
                                           n_resamples=n_permutations, rng=rng)
            label[small] = f"permutation({n_permutations})"
    return _Tested(lat, inside, outside, wel.difference, wel.standard_error, wel.df, wel.statistic, p, label)


def _holm(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down adjusted p-values, as ``multipletests(method="holm")`` (a test checks equality).

    Written out because statsmodels' Holm branch calls ``gc.collect()``, which costs ~0.2 s per call
    in a large Python heap.
    """
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    q = np.empty(m)
    q[order] = adjusted
    return q <= alpha, q


def _not_divergent(a: GroupSums, b: GroupSums, p_cut: float, min_effect: float) -> np.ndarray:
    """True where group a does not differ from group b at the reporting bar."""
    res = welch(a, b)
    small_n = (a.count < 2) | (b.count < 2)
    return small_n | ~(res.p_value <= p_cut) | (np.abs(res.difference) <= min_effect)


def _prune(tested: _Tested, significant: np.ndarray, enc: SegmentEncoding, rs: RowSums,
           p_cut: float, *, min_effect: float, min_support: int, top_k: int, max_candidates: int,
           rebar: Any = None, direction: str = "both") -> tuple[list[int], dict[int, str], float]:
    """Redundancy pruning (METHODS.md §4): returns reported slice indices (ranked) and drop reasons."""
    lat = tested.lat
    reasons: dict[int, str] = {}
    sig = np.flatnonzero(significant)
    if sig.size == 0:
        return [], reasons, p_cut
    effect_ok = np.abs(tested.difference[sig]) > min_effect
    for i in sig[~effect_ok]:
        reasons[int(i)] = f"|effect| <= min_effect ({min_effect:g})"
    sig = sig[effect_ok]
    if direction != "both":
        wanted = tested.difference[sig] > 0 if direction == "higher" else tested.difference[sig] < 0
        for i in sig[~wanted]:
            reasons[int(i)] = f"effect not in the direction asked for ({direction})"
        sig = sig[wanted]
    # (a) a child that adds nothing over a significant parent: child vs the rest of the parent
    bitmask, cell = _slice_keys(lat.features.astype(np.int64), lat.levels.astype(np.int64), enc.cardinalities)
    index = pd.MultiIndex.from_arrays([bitmask, cell])
    redundant = np.zeros(len(sig), dtype=bool)
    deep = lat.depth[sig] >= 2
    for pos in range(lat.features.shape[1]):
        rows = sig[deep & (lat.features[sig, pos] >= 0)]
        if rows.size == 0:
            continue
        pf, pv = _drop_position(lat.features[rows], lat.levels[rows], pos)
        pb, pc = _slice_keys(pf.astype(np.int64), pv.astype(np.int64), enc.cardinalities)
        parent = index.get_indexer(pd.MultiIndex.from_arrays([pb, pc]))
        ok = parent >= 0
        rows, parent = rows[ok], parent[ok]
        parent_sig = significant[parent]
        child = tested.inside.take(rows)
        rest = tested.inside.take(parent) - child
        same = _not_divergent(child, rest, p_cut, min_effect) & parent_sig
        hit = np.isin(sig, rows[same])
        for i, par in zip(rows[same], parent[same], strict=True):
            reasons.setdefault(int(i), f"adds nothing over its parent {enc.predicate(lat.features[par], lat.levels[par])}")
        redundant |= hit
    cand = sig[~redundant]
    order = np.argsort(-np.abs(tested.statistic[cand]), kind="stable")
    cand = cand[order]
    if cand.size > max_candidates:
        for i in cand[max_candidates:]:
            reasons[int(i)] = f"below the top {max_candidates} candidates"
        cand = cand[:max_candidates]

    masks: dict[int, np.ndarray] = {}

    def mask_of(i: int) -> np.ndarray:
        if i not in masks:
            masks[i] = enc.mask(lat.features[i], lat.levels[i])
        return masks[i]

    feats = [frozenset((int(f), int(v)) for f, v in zip(lat.features[i], lat.levels[i], strict=True) if f >= 0)
             for i in cand]
    # (b) a parent whose remainder, after its significant sub-slices, is not divergent
    kept = []
    for a, i in enumerate(cand):
        desc = [cand[b] for b in range(len(cand)) if b != a and feats[a] < feats[b]]
        if desc:
            inside = mask_of(int(i))
            union = np.zeros_like(inside)
            for d in desc:
                union |= mask_of(int(d))
            rest = inside & ~union
            if rest.sum() < 2 or bool(_not_divergent(rs.of(rest), rs.outside(inside), p_cut, min_effect)[0]):
                names = "; ".join(enc.predicate(lat.features[d], lat.levels[d]) for d in desc[:3])
                reasons[int(i)] = f"explained by its sub-slice(s) {names}"
                continue
        kept.append(int(i))
    # (b') the bar of the lattice correction was set by every rejection, most of them redundant copies
    # of the same effects: recompute it with the number of non-redundant discoveries (step-up, as BH
    # with R = len(kept)), so noise slices do not ride on the redundant rejections.
    while kept and rebar is not None:
        bar = min(p_cut, rebar(len(kept)))
        still = [i for i in kept if tested.p_value[i] <= bar]
        for i in kept:
            if tested.p_value[i] > bar:
                reasons[i] = f"p = {tested.p_value[i]:.2g} above the bar {bar:.2g} set by the non-redundant discoveries"
        if len(still) == len(kept):
            p_cut = bar
            break
        kept = still
    # (c) greedy: a slice must add something beyond the higher-ranked slices it overlaps. The bar is
    # then recomputed with the number of slices accepted, and (c) repeated until it no longer moves:
    # slices "significant" only against a complement that holds another effect do not pass.
    def greedy(candidates: list[int], bar: float) -> tuple[list[int], dict[int, str]]:
        accepted: list[int] = []
        why: dict[int, str] = {}
        union = None
        for i in candidates:
            inside = mask_of(i)
            if union is None:
                accepted.append(i)
                union = inside.copy()
                continue
            rest = inside & ~union
            if rest.sum() < max(2, min_support // 2):
                why[i] = "contained in higher-ranked slices"
                continue
            if bool(_not_divergent(rs.of(rest), rs.outside(inside | union), bar, min_effect)[0]):
                why[i] = "explained by higher-ranked overlapping slices"
                continue
            accepted.append(i)
            union |= inside
        return accepted, why

    while True:
        accepted, why = greedy(kept, p_cut)
        bar = p_cut if rebar is None else min(p_cut, rebar(len(accepted)))
        if bar >= p_cut or not accepted:
            break
        for i in kept:
            if tested.p_value[i] > bar:
                reasons[i] = f"p = {tested.p_value[i]:.2g} above the bar {bar:.2g} set by the non-redundant discoveries"
        kept = [i for i in kept if tested.p_value[i] <= bar]
        p_cut = bar
    reasons.update(why)
    reported = accepted[:top_k]
    for i in accepted[top_k:]:
        reasons[i] = f"beyond top_k={top_k}"
    return reported, reasons, p_cut


_PARAMS = {
    **_SEARCH_PARAMS,
    "fdr": [Interval("real", 0, 1, closed="neither")],
    "correction": [Options(("bh", "by", "holm"))],
    "test": [Options(("auto", "welch", "exact"))],
    "top_k": [Interval("integral", 1, None)],
    "min_effect": [Interval("real", 0, None)],
    "split": ["boolean"],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_permutations": [Interval("integral", 10, None)],
    "random_state": RANDOM_STATE,
    "max_candidates": [Interval("integral", 1, None)],
    "direction": [Options(("both", "higher", "lower")), None],
}


@validate_params(_PARAMS)
def find_slices(
    judgments: pd.DataFrame | Judgments,
    target: str | None = None,
    *,
    segments: str | Sequence[str] | None = None,
    depth: int = 3,
    min_support: int | float = 30,
    fdr: float = 0.05,
    correction: Literal["bh", "by", "holm"] = "bh",
    weights: str | Sequence[float] | np.ndarray | None = None,
    bins: int | Mapping[str, Sequence[float]] = 4,
    max_levels: int = 50,
    test: Literal["auto", "welch", "exact"] = "auto",
    top_k: int = 10,
    min_effect: float = 0.0,
    split: bool = False,
    confidence_level: float = 0.95,
    n_permutations: int = 2000,
    random_state: int | np.random.Generator | None = None,
    max_candidates: int = 60,
    direction: Literal["both", "higher", "lower"] | None = None,
) -> SliceResult:
    """Where does ``target`` differ? Significant, non-redundant slices with intervals and sentences.

    Every conjunction of up to ``depth`` predicates on the segment columns with at least
    ``min_support`` rows is tested (mean inside vs outside the slice), the p-values are corrected
    together (``correction`` over *every* slice tested), and the significant slices are pruned to a
    short answer: a child that adds nothing over a significant parent, a parent whose remainder after
    its significant sub-slices is not divergent, and a slice that adds nothing beyond higher-ranked
    overlapping slices are dropped (:attr:`SliceResult.candidates` records why).

    Parameters
    ----------
    judgments : DataFrame or Judgments
        The output of :func:`alignlab.slices.divergence` (it names its target, segments and weights),
        a judgments table, or any table with a numeric target column.
    target : str, optional
        Column to explain (required unless ``judgments`` comes from :func:`divergence`).
    segments, depth, min_support, weights, bins, max_levels
        As in :func:`enumerate_slices`.
    fdr : float, default 0.05
        Level of the correction (false discovery rate for ``"bh"``/``"by"``, family-wise error for
        ``"holm"``).
    correction : {"bh", "by", "holm"}
        Benjamini-Hochberg, Benjamini-Yekutieli (any dependence) or Holm (FWER), by
        ``statsmodels.stats.multitest.multipletests``.
    test : {"auto", "welch", "exact"}
        ``auto``: exact binomial test against the overall rate for unweighted 0/1 targets (the rule the
        lattice's optimistic bound uses to skip hopeless feature sets at ``depth > 3``), else Welch's
        t test, with a permutation test (``n_permutations``) for slices under 50 rows.
    top_k : int, default 10
        Most slices reported.
    min_effect : float, default 0
        Slices whose |effect| is at most this are not reported, and differences this small do not
        count in pruning (the epsilon of METHODS.md §4).
    split : bool, default False
        Search (and prune) on a random half of the rows; estimate sizes, means, intervals and
        p-values of the reported slices on the other half, so the intervals stay valid after
        selection. Without it, intervals are false-coverage-rate adjusted (Benjamini & Yekutieli
        2005): level ``1 - R (1 - confidence_level) / m`` for R significant of m tested.
    confidence_level : float, default 0.95
    n_permutations : int, default 2000
        Permutations for small slices.
    random_state : int or Generator, optional
        Seeds permutations and the split.
    max_candidates : int, default 60
        Significant slices (best first) that enter the overlap pruning.
    direction : {"both", "higher", "lower"}, optional
        Report only slices whose mean is higher (or lower) than elsewhere. Default: ``"higher"`` for
        absolute and disagreement targets from :func:`divergence` (where methods diverge *more*),
        ``"both"`` otherwise. The correction still counts every slice tested (two-sided tests).

    Returns
    -------
    SliceResult
        ``.slices`` holds one row per reported slice (:data:`SLICE_COLUMNS`).

    Notes
    -----
    The search is exact: per feature set one ``np.bincount`` over mixed-radix codes gives every slice's
    sums (METHODS.md §4); the test is Welch's (Welch 1947), BH/BY/Holm from statsmodels; pruning
    follows DivExplorer's item contributions (Pastor, de Alfaro & Baralis 2021) with significance
    tests on the remainders at the same p-value bar as the lattice correction.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.slices import find_slices
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"lang": rng.choice(["en", "ja", "de"], 3000), "task": rng.choice(["qa", "sum"], 3000)})
    >>> df["error"] = (rng.random(3000) < np.where((df.lang == "ja") & (df.task == "sum"), 0.4, 0.1)).astype(float)
    >>> res = find_slices(df, "error", segments=["lang", "task"], random_state=0)
    >>> res.slices["predicate"].tolist()
    ["lang == 'ja' & task == 'sum'"]
    """
    rng = check_random_state(random_state)
    prep = _prepare(judgments, target, segments, weights, bins, max_levels, "find_slices")
    binary = bool(np.isin(prep.y, (0.0, 1.0)).all())
    if direction is None:
        direction = "higher" if prep.meta.get("kind") in ("absolute", "disagree") else "both"
    if test == "exact" and not (binary and prep.w is None):
        raise InvalidParameterError("test='exact' needs an unweighted 0/1 target; use test='welch' or 'auto'.")
    halves = _split_rows(prep, split, rng)
    support = _resolve_support(min_support, len(halves.search_y))
    # The optimistic bound only pays off beyond depth 3: up to 3 every slice is enumerated exactly
    # (one pass per triple, pairs and singles by marginalising), which is cheaper than level-wise search.
    use_bound = binary and prep.w is None and test in ("auto", "exact") and depth > 3
    lattice = lattice_sums(halves.search_encoding.columns, halves.search_encoding.cardinalities, halves.search_y,
                           weights=halves.search_w, depth=depth, min_support=support,
                           alpha_bound=fdr if use_bound else None)
    tested = _test_lattice(lattice, halves.search_y, halves.search_w, binary, test, n_permutations, rng)
    correction_result = _correct(tested, fdr, correction)
    reported, reasons, report_bar = _prune(
        tested, correction_result.reject, halves.search_encoding, RowSums(halves.search_y, halves.search_w),
        correction_result.p_cut, min_effect=min_effect, min_support=support, top_k=top_k,
        max_candidates=max_candidates, rebar=correction_result.rebar, direction=direction)
    level_alpha, ci_method = _interval_level(split, correction, confidence_level, correction_result)
    table = _reported_table(reported, tested, correction_result.q_values, halves, prep, binary=binary, test=test,
                            level_alpha=level_alpha)
    if len(table):
        table["sentence"] = [
            slice_sentence(r, meta=prep.meta, target=prep.target, n_rows=halves.n_estimation_rows,
                           confidence_level=confidence_level, adjusted=not split)
            for r in table.to_dict(orient="records")
        ]
    candidates = _candidates_table(tested, correction_result, halves.search_encoding, reported, reasons)
    notes = prep.notes
    if lattice.n_pruned_bound:
        notes = (*notes, f"{lattice.n_pruned_bound:,} slices skipped by the optimistic bound were counted as "
                         "tested with p = 1 (conservative)")
    warnings = []
    if split and halves.n_rows < 2 * support * 4:
        warnings.append("split=True on few rows: each half is small; consider split=False")
    return SliceResult(
        table=table.reset_index(drop=True),
        method=f"find_slices[{prep.target}]",
        confidence_level=confidence_level,
        warnings=tuple(warnings),
        target=prep.target,
        segments=tuple(halves.search_encoding.names),
        n_rows=halves.n_rows,
        n_tested=correction_result.n_tested,
        n_significant=correction_result.n_significant,
        p_threshold=report_bar,
        correction=correction,
        fdr=fdr,
        ci_method=ci_method,
        depth=depth,
        min_support=support,
        split=split,
        overall_mean=float(np.average(prep.y, weights=prep.w)),
        candidates=candidates,
        notes=tuple(notes),
    )


# -- the steps of find_slices -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Halves:
    """The rows the search runs on and the rows the reported slices are estimated on.

    Without ``split`` both are all rows; with it, two disjoint random halves.
    """

    n_rows: int
    search_y: np.ndarray
    search_w: np.ndarray | None
    search_encoding: SegmentEncoding
    estimation_rows: np.ndarray | None  # None: estimate on the search rows

    @property
    def n_estimation_rows(self) -> int:
        return self.n_rows if self.estimation_rows is None else len(self.estimation_rows)


def _split_rows(prep: _Prepared, split: bool, rng: np.random.Generator) -> _Halves:
    n_rows = len(prep.y)
    if not split:
        return _Halves(n_rows, prep.y, prep.w, prep.encoding, None)
    shuffled = rng.permutation(n_rows)
    search_rows, estimation_rows = np.sort(shuffled[: n_rows // 2]), np.sort(shuffled[n_rows // 2:])
    return _Halves(n_rows, prep.y[search_rows], None if prep.w is None else prep.w[search_rows],
                   prep.encoding.take(search_rows), estimation_rows)


@dataclass(frozen=True)
class _Correction:
    """The multiple-testing correction over every slice tested."""

    reject: np.ndarray  # per lattice slice
    q_values: np.ndarray
    n_tested: int  # including slices skipped by the optimistic bound (counted with p = 1)
    n_significant: int
    p_cut: float  # the largest p-value rejected
    rebar: Any  # r -> the step-up bar with r discoveries (None for Holm, whose bar does not grow)


def _correct(tested: _Tested, fdr: float, correction: str) -> _Correction:
    lattice = tested.lat
    testable = (tested.outside.count >= 2) & np.isfinite(tested.p_value)
    p_values = np.where(testable, tested.p_value, 1.0)
    n_tested = int(testable.sum()) + lattice.n_pruned_bound
    if len(p_values):
        padded = np.concatenate([p_values, np.ones(lattice.n_pruned_bound)])
        if correction == "holm":
            reject, q_values = _holm(padded, fdr)
        else:
            reject, q_values, _, _ = multipletests(padded, alpha=fdr, method=_CORRECTIONS[correction])
        reject, q_values = reject[: len(p_values)] & testable, q_values[: len(p_values)]
    else:
        reject, q_values = np.zeros(0, dtype=bool), np.zeros(0)
    n_significant = int(reject.sum())
    p_cut = float(p_values[reject].max()) if n_significant else 0.0
    rebar = None
    if correction != "holm":
        dependence = 1.0 if correction == "bh" else float(np.sum(1.0 / np.arange(1, max(n_tested, 1) + 1)))

        def rebar(n_discoveries: int) -> float:
            return fdr * n_discoveries / (max(n_tested, 1) * dependence)
    return _Correction(reject, q_values, n_tested, n_significant, p_cut, rebar)


def _interval_level(split: bool, correction: str, confidence_level: float,
                    corrected: _Correction) -> tuple[float, str]:
    """(alpha of each reported interval, how it was set): FCR-adjusted on the full data, marginal on the
    estimation half."""
    alpha = 1.0 - confidence_level
    n_tested, n_significant = max(corrected.n_tested, 1), corrected.n_significant
    if split:
        return alpha, f"welch-t on the held-out half (split sample), {confidence_level:.0%}"
    if correction == "holm":
        return alpha / n_tested, f"welch-t, Bonferroni-simultaneous over {corrected.n_tested:,} slices"
    dependence = 1.0 if correction == "bh" else float(np.sum(1.0 / np.arange(1, n_tested + 1)))
    return alpha * max(n_significant, 1) / (n_tested * dependence), (
        f"welch-t, FCR-adjusted (Benjamini-Yekutieli 2005): level 1 - R*alpha/m with "
        f"R={n_significant:,}, m={corrected.n_tested:,}")


def _reported_table(reported: list[int], tested: _Tested, q_values: np.ndarray, halves: _Halves,
                    prep: _Prepared, *, binary: bool, test: str, level_alpha: float) -> pd.DataFrame:
    """One row per reported slice (SLICE_COLUMNS), estimated on the estimation rows."""
    lattice, encoding = tested.lat, halves.search_encoding
    if halves.estimation_rows is None:
        y, w = halves.search_y, halves.search_w
    else:
        y = prep.y[halves.estimation_rows]
        w = None if prep.w is None else prep.w[halves.estimation_rows]
    sums = RowSums(y, w)
    abs_total = float(np.sum(np.abs(y) * (1.0 if w is None else w)))
    rows = []
    for index in reported:
        features, levels = lattice.features[index], lattice.levels[index]
        if halves.estimation_rows is None:
            inside_mask = encoding.mask(features, levels)
        else:
            inside_mask = prep.encoding.mask(features, levels, rows=halves.estimation_rows)
        inside, outside = sums.of(inside_mask), sums.outside(inside_mask)
        welch_test = welch(inside, outside)
        if halves.estimation_rows is None:
            p_value, test_label = float(tested.p_value[index]), str(tested.test[index])
        else:
            p_value = float(welch_test.p_value[0])
            if binary and w is None and test in ("auto", "exact"):
                p_value = float(binomial_exact(inside.count, inside.target, float(y.mean()))[0])
            test_label = str(tested.test[index]).split("(")[0] + " (held-out half)"
        dof = float(welch_test.df[0]) if np.isfinite(welch_test.df[0]) else 1.0
        t_crit = float(stats.t.ppf(1 - level_alpha / 2, dof))
        std_effect, std_low, std_high = standardized_effect(inside, outside,
                                                            float(stats.norm.ppf(1 - level_alpha / 2)))
        inside_abs = np.abs(y[inside_mask]) * (1.0 if w is None else w[inside_mask])
        difference, se = float(welch_test.difference[0]), float(welch_test.standard_error[0])
        rows.append({
            "predicate": encoding.predicate(features, levels),
            "size": int(inside.count[0]),
            "mean_in": float(inside.mean[0]),
            "mean_out": float(outside.mean[0]),
            "effect": difference,
            "ci_low": difference - t_crit * se,
            "ci_high": difference + t_crit * se,
            "p_value": p_value,
            "q_value": float(q_values[index]),
            "share_of_divergence": float(np.sum(inside_abs) / abs_total) if abs_total else math.nan,
            "sentence": "",
            "depth": int(lattice.depth[index]),
            "weight": float(inside.weight[0]),
            "std_effect": float(std_effect[0]),
            "std_ci_low": float(std_low[0]),
            "std_ci_high": float(std_high[0]),
            "test": test_label,
            "segments": tuple(encoding.names[int(x)] for x in features if x >= 0),
        })
    return pd.DataFrame(rows, columns=list(SLICE_COLUMNS))


def _candidates_table(tested: _Tested, corrected: _Correction, encoding: SegmentEncoding,
                      reported: list[int], reasons: dict[int, str]) -> pd.DataFrame:
    """Every significant slice with what became of it (reported, or why pruning dropped it)."""
    lattice = tested.lat
    significant = np.flatnonzero(corrected.reject)
    reported_set = set(reported)
    candidates = pd.DataFrame({
        "predicate": (_predicates(encoding, lattice.features[significant], lattice.levels[significant])
                      if corrected.n_significant else []),
        "depth": lattice.depth[significant].astype(np.int64),
        "size": lattice.count[significant],
        "mean_in": tested.inside.mean[significant],
        "mean_out": tested.outside.mean[significant],
        "effect": tested.difference[significant],
        "statistic": tested.statistic[significant],
        "p_value": tested.p_value[significant],
        "q_value": corrected.q_values[significant] if corrected.n_significant else [],
        "status": ["reported" if int(i) in reported_set else reasons.get(int(i), "not reached")
                   for i in significant],
    })
    order = np.argsort(-np.abs(candidates["statistic"].to_numpy()), kind="stable")
    return candidates.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------------------
def _num(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:,.0f}"


def _signed(x: float, digits: int = 2) -> str:
    return f"{x:+.{digits}f}"


def _q(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def slice_sentence(row: Mapping[str, Any], *, meta: Mapping[str, Any], target: str, n_rows: int,
                   confidence_level: float, adjusted: bool) -> str:
    """One plain-language sentence with the numbers of a reported slice."""
    kind = meta.get("kind")
    unit = meta.get("unit", "row")
    a, b = meta.get("a_label", "a"), meta.get("b_label", "b")
    size, share = int(row["size"]), float(row["share_of_divergence"])
    level = f"{confidence_level:.0%} {'FCR-adjusted ' if adjusted else ''}CI"
    where = f"Where {row['predicate']} (n = {size:,} {unit}s, {size / max(n_rows, 1):.1%} of {unit}s)"
    eff, lo, hi = float(row["effect"]), float(row["ci_low"]), float(row["ci_high"])
    mean_in, mean_out = float(row["mean_in"]), float(row["mean_out"])
    tail = f"; {_q(float(row['q_value']))}); the slice holds {share:.0%} of all "
    if kind == "signed" and meta.get("higher_is_better", True) is None:
        word = "higher" if eff > 0 else "lower"
        return (f"{where}, {a} − {b} averages {_signed(mean_in)} vs {_signed(mean_out)} elsewhere: {a} scores "
                f"{word} relative to {b} here than elsewhere (difference {_signed(eff)}, {level} {_signed(lo)} to "
                f"{_signed(hi)}{tail}divergence.")
    if kind == "signed":
        lenient = (eff > 0) == bool(meta.get("higher_is_better", True))
        if (mean_in > 0) == (eff > 0):
            word = "too lenient here" if lenient else "too harsh here"
        else:
            word = "less harsh here than elsewhere" if lenient else "less lenient here than elsewhere"
        return (f"{where}, {a} − {b} averages {_signed(mean_in)} vs {_signed(mean_out)} elsewhere: {a} is {word} "
                f"(difference {_signed(eff)}, {level} {_signed(lo)} to {_signed(hi)}{tail}divergence.")
    if kind == "disagree":
        ratio = f", {mean_in / mean_out:.1f}×" if mean_out > 0 else ""
        return (f"{where}, {a} disagrees with {b} on {mean_in:.1%} of {unit}s vs {mean_out:.1%} elsewhere"
                f"{ratio} (difference {eff * 100:+.1f} points, {level} {lo * 100:+.1f} to {hi * 100:+.1f}"
                f"{tail}disagreements.")
    if kind == "absolute":
        return (f"{where}, {a} is {_num(mean_in)} away from {b} on average vs {_num(mean_out)} elsewhere "
                f"(difference {_signed(eff)}, {level} {_signed(lo)} to {_signed(hi)}{tail}absolute divergence.")
    return (f"{where}, mean {target} is {_num(mean_in, 3)} vs {_num(mean_out, 3)} elsewhere (difference "
            f"{_signed(eff, 3)}, {level} {_signed(lo, 3)} to {_signed(hi, 3)}{tail}|{target}|.")
