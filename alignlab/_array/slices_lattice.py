"""Exact slice-lattice sums: one ``bincount`` per feature set on mixed-radix combined codes.

A *slice* is a conjunction ``f1 == l1 & f2 == l2 & ...`` of predicates on distinct integer-coded
features. For every feature set ``(f1, ..., fd)`` with ``d <= depth`` the combined code
``c = l1 + card1 * (l2 + card2 * (l3 + ...))`` identifies the slice a row falls into, and
``np.bincount(c, weights=...)`` gives, in one pass over the rows, the size and the weighted sums of
``1``, ``y`` and ``y**2`` of *every* slice of that feature set (METHODS.md §4, "Baseline, exact
enumeration"). The complement of a slice is ``total - slice``, so nothing else touches the rows.

Pruning
-------
- *Support*: a slice with fewer than ``min_support`` rows is dropped; a feature set whose every
  (d-1)-subset has no slice with enough rows is skipped without touching the rows (a child never
  has more rows than its parent: apriori).
- *Optimistic bound* (0/1 targets): the smallest two-sided exact p-value any sub-slice of a slice
  could reach (a sub-slice of ``n_c >= min_support`` rows drawn from a parent with ``k`` positives
  and ``n - k`` negatives) is computed from the parent's counts alone. When no slice of any
  (d-1)-subset can beat ``alpha_bound`` the feature set is skipped; its slices are then counted as
  tested with p = 1 through a conservative upper bound on their number (``n_pruned_bound``), which
  keeps Benjamini-Hochberg and Holm valid (a larger m only lowers their thresholds).

Memory: the rows are read as one int64 column per feature plus two reusable int64 code buffers
(``bincount``'s own index type, so it reads them without a converting copy), and the bincount outputs
(one value per possible slice of one feature set) are alive at a time: peak memory is linear in the
rows and independent of the number of slices.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from alignlab._progress import report

__all__ = ["LatticeSums", "lattice_sums", "min_attainable_p"]


@dataclass(frozen=True)
class LatticeSums:
    """Sums of every supported slice (one entry per slice, depth-major, feature sets in lexicographic order).

    ``features`` and ``levels`` are ``(m, depth)`` arrays padded with -1; ``count`` is the row count,
    ``weight``/``target``/``target_sq``/``weight_sq`` the sums of w, w*y, w*y**2 and w**2.
    ``totals`` holds the same five sums over all rows.
    """

    features: np.ndarray
    levels: np.ndarray
    depth: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    target: np.ndarray
    target_sq: np.ndarray
    weight_sq: np.ndarray
    totals: dict[str, float]
    n_feature_sets: int
    n_feature_sets_skipped: int
    n_pruned_bound: int

    def __len__(self) -> int:
        return int(self.count.size)


def min_attainable_p(n: np.ndarray, k: np.ndarray, min_support: int, rate: float) -> np.ndarray:
    """Smallest two-sided binomial p-value a sub-slice (>= ``min_support`` rows) of a slice could reach.

    A parent with ``n`` rows and ``k`` positives holds sub-slices with at most ``min(k, n_c)``
    positives; the most extreme high-rate sub-slice keeps all positives (size ``max(k, s)``), the most
    extreme low-rate one keeps all negatives. The binomial tail against the overall ``rate`` at those
    counts bounds the p-value of every sub-slice from below (the tails are monotone in the count and,
    at fixed rate, more extreme for the smallest admissible size). Used only to skip feature sets.
    """
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    s = float(min_support)
    rate = min(max(rate, 1e-12), 1 - 1e-12)
    # high side: size max(k, s) with k positives (if k >= s, all-positive sub-slice of size k)
    size_hi = np.maximum(k, s)
    p_hi = stats.binom.sf(k - 1, size_hi, rate)
    neg = n - k
    size_lo = np.maximum(neg, s)
    pos_lo = size_lo - neg  # positives forced into the smallest low-rate sub-slice
    p_lo = stats.binom.cdf(pos_lo, size_lo, rate)
    p = np.minimum(1.0, 2.0 * np.minimum(p_hi, p_lo))
    p[n < s] = 1.0
    return p


def _combined_code(columns: list[np.ndarray], cards: np.ndarray, combo: tuple[int, ...],
                   out: np.ndarray) -> np.ndarray:
    """Mixed-radix code of ``combo`` written into ``out`` (int64 rows: ``bincount``'s own index type,
    so it reads the codes without a converting copy)."""
    np.copyto(out, columns[combo[-1]])
    for f in reversed(combo[:-1]):
        out *= cards[f]
        out += columns[f]
    return out


_MAX_MARGINAL_CELLS = 4_000_000  # full depth-3 tables kept in memory for marginalisation (5 floats each)


def _full_sums(code: np.ndarray, size: int, wy: np.ndarray, wy2: np.ndarray, w: np.ndarray | None,
               ww: np.ndarray | None, positive_rows: np.ndarray | None, same_sq: bool) -> tuple[np.ndarray, ...]:
    """(count, sum w*y, sum w*y**2, sum w, sum w**2) of every cell of one feature set (full length)."""
    count = np.bincount(code, minlength=size).astype(float)
    if positive_rows is not None:  # 0/1 target: count the positives' codes only (a few % of rows)
        s_wy = np.bincount(code[positive_rows], minlength=size).astype(float)
    else:
        s_wy = np.bincount(code, weights=wy, minlength=size)
    s_wy2 = s_wy if same_sq else np.bincount(code, weights=wy2, minlength=size)
    if w is None:
        return count, s_wy, s_wy2, count, count
    return (count, s_wy, s_wy2, np.bincount(code, weights=w, minlength=size),
            np.bincount(code, weights=ww, minlength=size))


def _marginal_tables(columns: list[np.ndarray], cards: np.ndarray, buffers: tuple[np.ndarray, np.ndarray],
                     sums_of: Any) -> dict[tuple[int, ...], tuple[np.ndarray, ...]]:
    """Full sums of every feature set of size <= 3 from one pass per *triple*: the pair and single
    tables are sums of a triple table over an axis, which saves a third of the passes over the rows."""
    buffer, prefix_buffer = buffers
    tables: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {}
    prefix_key: tuple[int, ...] | None = None
    for combo in itertools.combinations(range(len(columns)), 3):
        i, j, k = combo
        if combo[:2] != prefix_key:
            prefix_key = combo[:2]
            _combined_code(columns, cards, prefix_key, prefix_buffer)
        np.multiply(columns[k], int(cards[i] * cards[j]), out=buffer)
        buffer += prefix_buffer
        full = sums_of(buffer, int(cards[i] * cards[j] * cards[k]))
        tables[combo] = full
        shape = (int(cards[k]), int(cards[j]), int(cards[i]))  # code = i + ci * (j + cj * k)
        for pair, axis in (((i, j), 0), ((i, k), 1), ((j, k), 2)):
            if pair not in tables:
                tables[pair] = tuple(a.reshape(shape).sum(axis=axis).ravel() for a in full)
    for pair in list(tables):
        if len(pair) != 2:
            continue
        a, b = pair
        shape = (int(cards[b]), int(cards[a]))  # code = a + ca * b
        for single, axis in (((a,), 0), ((b,), 1)):
            if single not in tables:
                tables[single] = tuple(x.reshape(shape).sum(axis=axis).ravel() for x in tables[pair])
    return tables


def lattice_sums(
    columns: list[np.ndarray],
    cardinalities: np.ndarray,
    target: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    depth: int = 3,
    min_support: int = 1,
    alpha_bound: float | None = None,
) -> LatticeSums:
    """Sizes and weighted sums of every slice up to ``depth`` with at least ``min_support`` rows.

    Parameters
    ----------
    columns : list of int arrays
        One array of codes ``0..card-1`` per feature, all of the same length.
    cardinalities : array of int
        Number of codes of each feature.
    target : float array
        The per-row target ``y``.
    weights : float array, optional
        Per-row weights ``w`` (default 1).
    alpha_bound : float, optional
        With a 0/1 target, skip feature sets whose subsets cannot yield a slice with exact p-value
        below this level (see the module notes). ``None`` disables the bound.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([0, 0, 1, 1]); b = np.array([0, 1, 0, 1])
    >>> out = lattice_sums([a, b], np.array([2, 2]), np.array([1.0, 0.0, 0.0, 0.0]), depth=2)
    >>> len(out), out.totals["target"]
    (8, 1.0)
    """
    cards = np.asarray(cardinalities, dtype=np.int64)
    columns = [np.asarray(c, dtype=np.int64) for c in columns]
    buffer = np.empty(len(columns[0]) if columns else 0, dtype=np.int64)
    prefix_buffer = np.empty_like(buffer) if depth >= 3 else buffer
    n_features = len(columns)
    y = np.asarray(target, dtype=float)
    unweighted = weights is None
    w = np.ones_like(y) if unweighted else np.asarray(weights, dtype=float)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    wy = y if unweighted else w * y
    wy2 = wy if (binary and unweighted) else wy * y
    ww = None if unweighted else w * w
    totals = {
        "count": float(y.size), "weight": float(w.sum()), "target": float(wy.sum()),
        "target_sq": float(wy2.sum()), "weight_sq": float(y.size if unweighted else ww.sum()),  # type: ignore[union-attr]
    }
    use_bound = alpha_bound is not None and binary and unweighted
    positive_rows = np.flatnonzero(y) if (binary and unweighted and y.mean() <= 0.5) else None
    rate = totals["target"] / max(totals["count"], 1.0)

    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("features", "levels", "depth", "count", "weight",
                                                          "target", "target_sq", "weight_sq")}
    # ``promising``: feature sets with a slice that has enough rows (and, with the bound, whose
    # sub-slices could still reach ``alpha_bound``); ``maybe_supported`` adds the sets skipped by the
    # bound alone, whose descendants are counted (conservatively) as tested.
    same_sq = binary and unweighted

    def sums_of(code: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
        return _full_sums(code, size, wy, wy2, None if unweighted else w, ww, positive_rows, same_sq)

    # Without the bound, depth 3 is computed from the triples alone (pairs and singles by marginalising)
    # when their full tables fit in memory; otherwise level by level.
    tables: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {}
    if depth == 3 and not use_bound and n_features >= 3:
        n_cells = sum(int(np.prod(cards[list(c)])) for c in itertools.combinations(range(n_features), 3))
        if n_cells <= _MAX_MARGINAL_CELLS:
            tables = _marginal_tables(columns, cards, (buffer, prefix_buffer), sums_of)
    promising: set[tuple[int, ...]] = {()}
    maybe_supported: set[tuple[int, ...]] = {()}
    n_sets = n_skipped = pruned_bound = 0
    n_rows = y.size
    cap = n_rows // max(min_support, 1)  # at most this many disjoint slices can have enough rows
    total_sets = combo_count(n_features, depth)
    for d in range(1, depth + 1):
        next_promising: set[tuple[int, ...]] = set()
        next_maybe: set[tuple[int, ...]] = set()
        prefix_key: tuple[int, ...] | None = None
        for combo in itertools.combinations(range(n_features), d):
            subsets = list(itertools.combinations(combo, d - 1))
            n_sets += 1
            report("slice search", n_sets, total_sets)
            if any(sub not in promising for sub in subsets):
                n_skipped += 1
                if all(sub in maybe_supported for sub in subsets):
                    pruned_bound += int(min(np.prod(cards[list(combo)]), cap))
                    next_maybe.add(combo)
                continue
            size = int(np.prod(cards[list(combo)]))
            if combo in tables:
                full = tables.pop(combo)
            else:
                if d == 1:
                    code = columns[combo[0]]
                elif d >= 3:
                    # consecutive sets share their first d-1 features (lexicographic order): code them once
                    if combo[:-1] != prefix_key:
                        prefix_key = combo[:-1]
                        _combined_code(columns, cards, prefix_key, prefix_buffer)
                    np.multiply(columns[combo[-1]], int(np.prod(cards[list(combo[:-1])])), out=buffer)
                    buffer += prefix_buffer
                    code = buffer
                else:
                    code = _combined_code(columns, cards, combo, buffer)
                full = sums_of(code, size)
            count_full = full[0]
            keep = np.flatnonzero(count_full >= min_support)
            if keep.size == 0:
                continue
            count = count_full.astype(np.int64)
            s_wy, s_wy2, s_w, s_ww = (a[keep] for a in full[1:])
            lv = np.full((keep.size, depth), -1, dtype=np.int32)
            rest = keep.copy()
            for pos, f in enumerate(combo):  # decode the kept cells into per-feature levels
                lv[:, pos] = rest % cards[f]
                rest //= cards[f]
            ft = np.full((keep.size, depth), -1, dtype=np.int16)
            ft[:, :d] = combo
            parts["features"].append(ft)
            parts["levels"].append(lv)
            parts["depth"].append(np.full(keep.size, d, dtype=np.int8))
            parts["count"].append(count[keep].astype(np.int64))
            parts["weight"].append(np.asarray(s_w, dtype=float))
            parts["target"].append(s_wy)
            parts["target_sq"].append(np.asarray(s_wy2, dtype=float))
            parts["weight_sq"].append(np.asarray(s_ww, dtype=float))
            if d < depth:
                next_maybe.add(combo)
                if not use_bound or bool(
                        (min_attainable_p(count[keep], s_wy, min_support, rate) < alpha_bound).any()):
                    next_promising.add(combo)
        promising, maybe_supported = next_promising, next_maybe
    cat = {k: (np.concatenate(v) if v else np.empty((0, depth) if k in ("features", "levels") else 0))
           for k, v in parts.items()}
    return LatticeSums(
        features=cat["features"].astype(np.int16).reshape(-1, depth),
        levels=cat["levels"].astype(np.int32).reshape(-1, depth),
        depth=cat["depth"].astype(np.int8),
        count=cat["count"].astype(np.int64),
        weight=cat["weight"].astype(float),
        target=cat["target"].astype(float),
        target_sq=cat["target_sq"].astype(float),
        weight_sq=cat["weight_sq"].astype(float),
        totals=totals,
        n_feature_sets=n_sets,
        n_feature_sets_skipped=n_skipped,
        n_pruned_bound=pruned_bound,
    )


def combo_count(n_features: int, depth: int) -> int:
    """Number of feature sets of size 1..depth."""
    return sum(math.comb(n_features, d) for d in range(1, depth + 1))
