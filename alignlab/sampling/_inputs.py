"""Input handling shared by the sampling functions: tables in, segment codes out.

Evaluation data and production traffic arrive as a :class:`~alignlab.Judgments` (its item-level rows,
``Judgments.item_info``) or as any table with the segment columns. Production may hold one row per
request or one row per segment with a count column (``production_weights="n_requests"``). Everything
downstream works on *cells* (levels of one column, or joint levels of all columns), so one pass of
``pandas.factorize`` + ``numpy.bincount`` per column is all the row-level work there is.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignlab._params import DataError, InvalidParameterError
from alignlab.data import Judgments
from alignlab.data.judgments import read_table as read_judgments_file

MISSING_LEVEL = "(missing)"
# numeric columns with more distinct values than this are cut into quantile bins
MAX_NUMERIC_LEVELS = 12
JOINT_SEPARATOR = " | "


def as_table(data: Any, role: str) -> tuple[pd.DataFrame, pd.Index | None]:
    """The row table of ``data`` and, for a Judgments, its item ids (rows are items)."""
    if isinstance(data, Judgments):
        info = data.item_info
        return info, pd.Index(info["item_id"])
    if isinstance(data, pd.DataFrame):
        return data, None
    if isinstance(data, str | os.PathLike):
        return read_table(Path(data), role), None
    if hasattr(data, "to_pandas"):  # polars DataFrame, pyarrow Table
        return data.to_pandas(), None
    if isinstance(data, dict):
        return pd.DataFrame(data), None
    raise TypeError(
        f"The {role!r} argument must be a Judgments, a pandas/polars/pyarrow table or a path to a CSV, "
        f"Parquet or JSONL file. Got {type(data).__name__} instead."
    )


def read_table(path: Path, role: str) -> pd.DataFrame:
    """A production or evaluation file, read as load_judgments reads one (id columns as text, as written)."""
    if not path.exists():
        raise FileNotFoundError(f"The {role} file {str(path)!r} does not exist; check the path.")
    return read_judgments_file(path)


def resolve_segments(segments: str | Sequence[str] | None, eval_data: Any, caller: str) -> list[str]:
    if segments is None:
        if isinstance(eval_data, Judgments) and eval_data.segments:
            return list(eval_data.segments)
        raise DataError(
            f"{caller} needs segments=[...]: the columns (locale, task, length ...) whose mix is compared "
            "between the evaluation data and production."
        )
    chosen = [segments] if isinstance(segments, str) else list(segments)
    if not chosen:
        raise DataError(f"{caller} needs at least one segment column in segments=[...].")
    if len(set(chosen)) != len(chosen):
        raise DataError(f"The segments {chosen} repeat a column; name each column once.")
    return chosen


def check_columns(table: pd.DataFrame, columns: Sequence[str], role: str, other_role: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if not missing:
        return
    present = [str(c) for c in table.columns]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(str(column), present, n=2)
        hints.append(f"{column!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
    raise DataError(
        f"Segment column{'s' if len(missing) > 1 else ''} {', '.join(hints)} missing from the {role} table "
        f"(columns: {present[:15]}). Fix: add the column to the {role} table, or drop it from segments= "
        f"so both the {role} and the {other_role} tables are cut the same way."
    )


def row_weights(table: pd.DataFrame, weights: Any, role: str) -> np.ndarray | None:
    """Frequency weights (request counts) per row, validated; ``None`` means one per row."""
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in table.columns:
            close = difflib.get_close_matches(weights, [str(c) for c in table.columns], n=2)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise DataError(f"The {role} weight column {weights!r} is not in the {role} table{hint} "
                             f"Fix: pass the name of the column holding request counts.")
        name = weights
        values = pd.to_numeric(table[weights], errors="coerce").to_numpy(dtype=float)
    else:
        name = f"{role}_weights"
        values = np.asarray(weights, dtype=float)
        if values.shape != (len(table),):
            raise DataError(f"{name} has {values.size} values but the {role} table has {len(table)} rows; "
                             "give one count per row.")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"Column {name!r} of the {role} table has {int(bad.sum())} missing or non-numeric "
                         f"counts (first at row {row}). Fix: give every row a finite, non-negative count.")
    negative = values < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise InvalidParameterError(f"Column {name!r} of the {role} table has {int(negative.sum())} negative counts "
                         f"(first at row {row}: {values[row]:g}). Fix: counts must be >= 0.")
    if values.sum() <= 0:
        raise DataError(f"Column {name!r} of the {role} table sums to 0: there is no traffic to compare "
                         "with. Fix: give the request count of each row.")
    return values


@dataclass(frozen=True)
class SegmentCodes:
    """Per column: codes of every eval / production row into the shared, sorted ``levels``."""

    columns: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    eval_codes: tuple[np.ndarray, ...]
    prod_codes: tuple[np.ndarray, ...]
    numeric: dict[str, tuple[np.ndarray, np.ndarray]]  # raw values (eval, production) of numeric columns
    binned: tuple[str, ...]

    def joint(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Joint-cell codes ``(eval, production, cell_digits)``; cells are the observed combinations."""
        radix = np.array([len(lv) for lv in self.levels], dtype=np.int64)
        multipliers = np.concatenate([[1], np.cumprod(radix[:-1])]).astype(np.int64)
        e = np.zeros(len(self.eval_codes[0]), dtype=np.int64)
        p = np.zeros(len(self.prod_codes[0]), dtype=np.int64)
        for codes_e, codes_p, m in zip(self.eval_codes, self.prod_codes, multipliers, strict=True):
            e += codes_e * m
            p += codes_p * m
        if float(np.prod(radix.astype(float))) <= 5e6:
            seen = np.zeros(int(np.prod(radix)), dtype=bool)
            seen[e] = True
            seen[p] = True
            cells = np.flatnonzero(seen)
            lookup = np.full(seen.size, -1, dtype=np.int64)
            lookup[cells] = np.arange(cells.size)
            e_cell, p_cell = lookup[e], lookup[p]
        else:
            cells, inverse = np.unique(np.concatenate([e, p]), return_inverse=True)
            e_cell, p_cell = inverse[: e.size], inverse[e.size:]
        digits = (cells[:, None] // multipliers[None, :]) % radix[None, :]
        return e_cell, p_cell, digits


def encode_segments(
    eval_table: pd.DataFrame,
    prod_table: pd.DataFrame,
    columns: Sequence[str],
    *,
    prod_weights: np.ndarray | None,
    n_bins: int,
) -> SegmentCodes:
    """Shared level codes for both tables; numeric columns with many values are cut at production
    quantiles (weighted by the request counts) so both sides use the same bins."""
    levels, e_codes, p_codes, numeric, binned = [], [], [], {}, []
    for column in columns:
        e_col, p_col = eval_table[column], prod_table[column]
        is_numeric = (pd.api.types.is_numeric_dtype(e_col) and pd.api.types.is_numeric_dtype(p_col)
                      and not pd.api.types.is_bool_dtype(e_col) and not pd.api.types.is_bool_dtype(p_col))
        if is_numeric:
            e_val, p_val = e_col.to_numpy(dtype=float), p_col.to_numpy(dtype=float)
            numeric[column] = (e_val, p_val)
            n_distinct = len(np.unique(np.concatenate([e_val[np.isfinite(e_val)][:100_000],
                                                       p_val[np.isfinite(p_val)][:100_000]])))
            if n_distinct > MAX_NUMERIC_LEVELS:
                binned.append(column)
                finite = np.isfinite(p_val)
                qs = np.linspace(0, 1, n_bins + 1)[1:-1]
                w = None if prod_weights is None else prod_weights[finite]
                edges = np.unique(np.quantile(p_val[finite], qs, method="inverted_cdf", weights=w))
                names = _bin_names(edges)
                e_bin = np.searchsorted(edges, e_val, side="right")
                p_bin = np.searchsorted(edges, p_val, side="right")
                lv = list(names)
                if not (np.isfinite(e_val).all() and finite.all()):
                    lv.append(MISSING_LEVEL)
                    e_bin = np.where(np.isfinite(e_val), e_bin, len(names))
                    p_bin = np.where(finite, p_bin, len(names))
                levels.append(tuple(lv))
                e_codes.append(e_bin.astype(np.int64))
                p_codes.append(p_bin.astype(np.int64))
                continue
        if is_numeric:
            # few distinct numbers: compare as floats so 1 (int) and 1.0 (float) are one level
            e_col = pd.Series(numeric[column][0])
            p_col = pd.Series(numeric[column][1])
        # factorize the raw column (fast on arrow strings) and stringify only the few unique levels
        p_fact, p_uniq = pd.factorize(p_col, use_na_sentinel=True)
        e_fact, e_uniq = pd.factorize(e_col, use_na_sentinel=True)
        p_names = [_label(v) for v in np.asarray(p_uniq, dtype=object)] + [MISSING_LEVEL]
        e_names = [_label(v) for v in np.asarray(e_uniq, dtype=object)] + [MISSING_LEVEL]
        p_present = set(p_names[:-1]) | ({MISSING_LEVEL} if (p_fact < 0).any() else set())
        e_present = set(e_names[:-1]) | ({MISSING_LEVEL} if (e_fact < 0).any() else set())
        union = pd.Index(sorted(p_present | e_present, key=_sort_key))
        levels.append(tuple(union.tolist()))
        # code -1 (missing) indexes the last name, MISSING_LEVEL
        p_map = union.get_indexer(pd.Index(p_names))
        e_map = union.get_indexer(pd.Index(e_names))
        p_codes.append(p_map[np.where(p_fact < 0, len(p_names) - 1, p_fact)].astype(np.int64))
        e_codes.append(e_map[np.where(e_fact < 0, len(e_names) - 1, e_fact)].astype(np.int64))
    return SegmentCodes(tuple(columns), tuple(levels), tuple(e_codes), tuple(p_codes), numeric, tuple(binned))


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _sort_key(text: str) -> tuple[int, float, str]:
    if text == MISSING_LEVEL:
        return (2, 0.0, text)
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def _bin_names(edges: np.ndarray) -> list[str]:
    bounds = [-np.inf, *edges.tolist(), np.inf]
    return [f"[{_num(lo)}, {_num(hi)})" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:.4g}"


def load_pair(
    eval_data: Any, production: Any, segments: Any, production_weights: Any, caller: str
) -> tuple[pd.DataFrame, pd.Index | None, pd.DataFrame, np.ndarray | None, list[str]]:
    """Tables, item ids, production weights and segment list, with every input problem named."""
    columns = resolve_segments(segments, eval_data, caller)
    eval_table, item_ids = as_table(eval_data, "eval_data")
    prod_table, _ = as_table(production, "production")
    if len(prod_table) == 0:
        raise InvalidParameterError("The production table has no rows. Fix: pass a log of real requests (one row per "
                         "request) or one row per segment with a count column (production_weights='...').")
    if len(eval_table) == 0:
        raise DataError("The eval_data table has no rows. Fix: pass the evaluation set (one row per item).")
    if isinstance(eval_data, Judgments):
        missing = [c for c in columns if c not in eval_table.columns]
        if missing:
            raise DataError(
                f"Segment column(s) {missing} are not item-level segments of the eval_data Judgments "
                f"(its segments: {list(eval_data.segments)}). Fix: load the judgments with "
                f"load_judgments(..., segments={columns!r}) or drop them from segments=."
            )
    check_columns(eval_table, columns, "eval_data", "production")
    check_columns(prod_table, columns, "production", "eval_data")
    weights = row_weights(prod_table, production_weights, "production")
    return eval_table, item_ids, prod_table, weights, columns
