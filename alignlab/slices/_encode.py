"""Segment columns -> integer codes with a predicate text for every code.

Categorical columns keep their levels (sorted), numeric columns with many distinct values are cut
into quantile bins or at user-given edges, missing values become their own level, and very
high-cardinality columns keep their most frequent levels and lump the rest into one level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SegmentEncoding", "encode_segments"]

#: float columns with at most this many distinct values are treated as categorical
MAX_NUMERIC_LEVELS = 10


@dataclass(frozen=True)
class SegmentEncoding:
    """Integer codes of the segment columns and the predicate text of each code.

    Attributes
    ----------
    names : tuple of str
        Segment column names, in feature order.
    columns : list of int32 arrays
        Codes ``0..card-1`` per row, one array per segment.
    cardinalities : int64 array
    predicates : list of list of str
        ``predicates[f][code]``, e.g. ``"locale == 'ja'"``, ``"120 <= length < 500"``,
        ``"locale is missing"``.
    notes : tuple of str
        How columns were binned or lumped.
    """

    names: tuple[str, ...]
    columns: list[np.ndarray]
    cardinalities: np.ndarray
    predicates: list[list[str]]
    notes: tuple[str, ...]

    def mask(self, features: Sequence[int], levels: Sequence[int], rows: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of the rows in the slice ``features[i] == levels[i]`` (padding -1 ignored)."""
        out: np.ndarray | None = None
        for f, level in zip(features, levels, strict=True):
            if f < 0:
                continue
            column = self.columns[int(f)] if rows is None else self.columns[int(f)][rows]
            hit = column == level
            out = hit if out is None else (out & hit)
        if out is None:
            n = len(self.columns[0]) if rows is None else len(rows)
            return np.ones(n, dtype=bool)
        return out

    def predicate(self, features: Sequence[int], levels: Sequence[int]) -> str:
        return " & ".join(self.predicates[int(f)][int(v)] for f, v in zip(features, levels, strict=True) if f >= 0)

    def take(self, rows: np.ndarray) -> SegmentEncoding:
        """The same encoding restricted to some rows (levels and predicates unchanged)."""
        return SegmentEncoding(self.names, [c[rows] for c in self.columns], self.cardinalities,
                               self.predicates, self.notes)


def _number(x: float) -> str:
    return f"{x:.4g}"


def _quote(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _bin_numeric(name: str, x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Cut at the interior ``edges``: (-inf, e1), [e1, e2), ..., [ek, inf)."""
    edges = np.unique(edges[np.isfinite(edges)])
    codes = np.searchsorted(edges, x, side="right").astype(np.int32)
    labels = []
    for b in range(len(edges) + 1):
        if b == 0:
            labels.append(f"{name} < {_number(edges[0])}" if len(edges) else f"{name} is not missing")
        elif b == len(edges):
            labels.append(f"{name} >= {_number(edges[-1])}")
        else:
            labels.append(f"{_number(edges[b - 1])} <= {name} < {_number(edges[b])}")
    return codes, labels


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted factorisation; small-range integer columns via a lookup table (10x faster than pandas)."""
    if pd.api.types.is_integer_dtype(series) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and len(series):
        x = series.to_numpy()
        low, high = int(x.min()), int(x.max())
        if high - low <= max(4 * len(x), 1_000_000):
            shifted = (x - low).astype(np.int64)
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            lookup = (np.cumsum(present) - 1).astype(np.int32)
            return lookup[shifted], np.arange(low, high + 1)[present]
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return codes.astype(np.int32), np.asarray(uniques)


def encode_segments(
    frame: pd.DataFrame,
    segments: Sequence[str],
    *,
    bins: int | Mapping[str, Sequence[float]] = 4,
    max_levels: int = 50,
) -> SegmentEncoding:
    """Encode ``segments`` of ``frame`` (see the module docstring).

    Parameters
    ----------
    bins : int or mapping
        Quantile bins for float columns with more than 10 distinct values (integer columns with more
        than ``max_levels``), or a mapping
        ``{column: [edges...]}`` of interior cut points (other numeric columns still get quantiles).
    max_levels : int
        Categorical columns with more levels keep the ``max_levels - 1`` most frequent ones.
    """
    names, columns, cards, predicates, notes = [], [], [], [], []
    edges_by_column = dict(bins) if isinstance(bins, Mapping) else {}
    n_quantiles = bins if isinstance(bins, int) else 4
    for name in segments:
        series = frame[name]
        missing = series.isna().to_numpy()
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        # floats with more than 10 values and integers with more than ``max_levels`` are measurements
        # (binned); integer codes with fewer levels stay categorical
        integer = pd.api.types.is_integer_dtype(series)
        limit = max_levels if integer else MAX_NUMERIC_LEVELS
        factorized = _factorize(series) if (integer or not numeric) and name not in edges_by_column else None
        n_unique = len(factorized[1]) if factorized is not None else series.nunique(dropna=True)
        if numeric and (name in edges_by_column or n_unique > limit):
            x = series.to_numpy(dtype=float, na_value=np.nan)
            if name in edges_by_column:
                edges = np.asarray(list(edges_by_column[name]), dtype=float)
                notes.append(f"{name}: cut at {', '.join(_number(e) for e in np.unique(edges))}")
            else:
                probs = np.arange(1, n_quantiles) / n_quantiles
                edges = np.nanquantile(x, probs) if (~missing).any() else np.array([])
                notes.append(f"{name}: {n_quantiles} quantile bins")
            codes, labels = _bin_numeric(name, np.where(missing, 0.0, x), edges)
        else:
            codes, uniques = factorized if factorized is not None else _factorize(series)
            labels = [f"{name} == {_quote(u)}" for u in uniques]
            if len(labels) > max_levels:
                counts = np.bincount(codes[codes >= 0], minlength=len(labels))
                top = np.sort(np.argsort(-counts, kind="stable")[: max_levels - 1])
                remap = np.full(len(labels), len(top), dtype=np.int32)
                remap[top] = np.arange(len(top), dtype=np.int32)
                n_other = len(labels) - len(top)
                codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1).astype(np.int32)
                labels = [labels[t] for t in top] + [f"{name} is one of {n_other} rarer levels"]
                notes.append(f"{name}: {n_other} levels beyond the {max_levels - 1} most frequent lumped together")
        if missing.any():
            codes = np.where(missing, len(labels), codes).astype(np.int32)
            labels = [*labels, f"{name} is missing"]
        names.append(str(name))
        columns.append(np.ascontiguousarray(codes, dtype=np.int32))
        cards.append(max(len(labels), 1))
        predicates.append(labels)
    return SegmentEncoding(tuple(names), columns, np.asarray(cards, dtype=np.int64), predicates, tuple(notes))
