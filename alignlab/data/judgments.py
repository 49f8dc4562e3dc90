"""The canonical judgments table: one row per judgment, validated once at the boundary."""

from __future__ import annotations

import difflib
import hashlib
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from alignlab._params import DataError, InvalidParameterError
from alignlab.data.errors import FailureCollector, MatrixTooLargeError
from alignlab.data.scales import Scale, infer_scale

__all__ = ["Judgments", "load_judgments", "JudgmentsSummary", "CANONICAL_COLUMNS"]

#: canonical column -> keyword of load_judgments that maps it
CANONICAL_COLUMNS: dict[str, str] = {
    "item_id": "item",
    "rater_id": "rater",
    "method": "method",
    "value": "value",
    "system": "system",
    "vendor": "vendor",
    "timestamp": "timestamp",
    "gold": "gold",
    "weight": "weight",
    "successes": "successes",
    "trials": "trials",
    "system_a": "system_a",
    "system_b": "system_b",
    "order": "order",
    "pair_id": "pair_id",
    "strategy": "strategy",
    "judge_model": "judge_model",
}
#: presentation orders of the ``order`` column (pairwise judge studies, see :func:`load_judgments`)
ORDER_VALUES: tuple[str, str] = ("original", "swapped")
# Spellings recognised without a mapping (first match wins); exact canonical names come first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "item_id": ("item_id", "item", "task", "task_id", "unit", "unit_id"),
    "rater_id": ("rater_id", "rater", "worker", "worker_id", "annotator", "annotator_id"),
    "method": ("method",),
    "value": ("value", "label", "score", "rating"),
    "system": ("system", "model_version"),
    "vendor": ("vendor",),
    "timestamp": ("timestamp",),
    "gold": ("gold", "gold_label"),
    "weight": ("weight",),
    "successes": ("successes",),
    "trials": ("trials",),
    "system_a": ("system_a",),
    "system_b": ("system_b",),
    "order": ("order", "presentation_order"),
    "pair_id": ("pair_id",),
    "strategy": ("strategy", "prompt_strategy"),
    "judge_model": ("judge_model",),
}
_ID_COLUMNS = ("item_id", "rater_id")
#: memory budget of one dense items x raters view (:meth:`Judgments.matrix`), in bytes: 2 GiB
DENSE_MATRIX_MAX_BYTES = 2 * 1024**3
_MAX_INFERRED_SEGMENT_LEVELS = 50
_MAX_SEGMENT_TEXT_LENGTH = 60


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------
#: canonical columns that hold identifiers: read as text from CSV/TSV/JSON files, never as numbers
TEXT_CANONICALS: tuple[str, ...] = ("item_id", "rater_id", "method", "system", "system_a", "system_b", "vendor",
                                    "order", "pair_id", "strategy", "judge_model")
# column names that hold identifiers whatever their canonical role (cluster/pair/conversation ids)
_ID_NAMES = frozenset({"id", "pair", "cluster", "conversation", "thread", "session", "document"})


def is_id_name(name: str) -> bool:
    """Whether a column name says it holds identifiers (``*_id``, ``id``, ``cluster`` ...)."""
    lowered = str(name).strip().lower()
    return lowered in _ID_NAMES or lowered.endswith(("_id", " id", "-id", ".id"))


def _text_columns(header: Sequence[str], mapping: dict[str, str | None], extra: Sequence[str]) -> set[str]:
    """The columns of ``header`` read as text: the id columns named by keyword or recognised by name,
    columns named like ids, and ``extra`` (``id_columns=``)."""
    present = set(header)
    text = {c for c in header if is_id_name(c)} | (set(extra) & present)
    for canonical in TEXT_CANONICALS:
        given = mapping.get(canonical)
        if given is not None:
            text |= {given} & present
        else:
            text |= set(_ALIASES[canonical]) & present
    return text


def _read_source(source: Any, text_columns: Callable[[Sequence[str]], set[str]] | None = None) -> pd.DataFrame:
    if isinstance(source, Judgments):
        return source.frame.copy()
    if isinstance(source, pd.DataFrame):
        return source.copy(deep=False)  # copy-on-write (pandas 3): later edits never reach the caller's frame
    if isinstance(source, str | os.PathLike):
        return _read_path(Path(source), text_columns or (lambda header: set()))
    if hasattr(source, "to_pandas"):  # polars DataFrame, pyarrow Table / RecordBatch
        return source.to_pandas()
    if isinstance(source, dict):
        return pd.DataFrame(source)
    raise TypeError(
        "load_judgments expects a pandas, polars or pyarrow table, or a path to a CSV, Parquet or "
        f"JSONL file. Got {type(source).__name__} instead."
    )


def _read_delimited(path: Path, sep: str, text_columns: Callable[[Sequence[str]], set[str]]) -> pd.DataFrame:
    """A CSV/TSV with its id columns as text, exactly as written: ``007`` stays ``007`` (not 7),
    ``1e3`` stays ``1e3``, and ``NA``/``nan``/``null`` are ids (only an empty field is missing).
    Other columns are parsed as pandas does by default."""
    from pandas._libs.parsers import STR_NA_VALUES  # pandas' default missing-value spellings

    header = [str(c) for c in pd.read_csv(path, sep=sep, nrows=0).columns]
    text = text_columns(header)
    if not text:
        return pd.read_csv(path, sep=sep)
    default_na = sorted(STR_NA_VALUES)
    na_values = {c: ([""] if c in text else default_na) for c in header}
    return pd.read_csv(path, sep=sep, dtype={c: str for c in text}, keep_default_na=False, na_values=na_values)


def _read_json(path: Path, lines: bool, text_columns: Callable[[Sequence[str]], set[str]]) -> pd.DataFrame:
    """JSON (lines) with its id columns as text: JSON strings as written (pandas' default would turn
    ``"007"`` into 7.0), JSON integers as their digits, other JSON numbers as their exact source text."""
    try:
        frame = pd.read_json(path, lines=lines)
    except ValueError as exc:
        if "too big" not in str(exc):
            raise
        # integers beyond 64 bits (pandas' parser refuses them): Python's json reads them
        frame = pd.DataFrame(_json_records(path, lines, exact=False))
        text = text_columns([str(c) for c in frame.columns])
        exact_text = _json_text_columns(path, lines, text & set(frame.columns))
        for column, values in exact_text.items():
            frame[column] = pd.Series(values, dtype="str")
        return frame
    text = text_columns([str(c) for c in frame.columns])
    if not text:
        return frame
    frame = pd.read_json(path, lines=lines, dtype={c: object for c in text})
    exact: dict[str, list[Any]] | None = None
    for column in sorted(text & set(frame.columns)):
        values = frame[column].to_numpy(dtype=object)
        kinds = set(map(type, values))
        if kinds <= {str, int, type(None)}:  # JSON strings as written, JSON integers as their digits
            frame[column] = pd.Series(values, dtype="str")
            continue
        if exact is None:  # floats/booleans: the exact source text (1e3 stays "1e3"), by a second parse
            exact = _json_text_columns(path, lines, text & set(frame.columns))
        frame[column] = pd.Series(exact[column], dtype="str")
    return frame


def _open_text(path: Path) -> Any:
    """A text handle on a plain, gzip, bz2 or xz file (UTF-8, a BOM skipped)."""
    import bz2
    import gzip
    import lzma

    opener: Any = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix.lower(), open)
    return opener(path, "rt", encoding="utf-8-sig")


def _starts_with_bracket(path: Path) -> bool:
    with _open_text(path) as handle:
        return handle.read(4096).lstrip().startswith("[")


def _json_records(path: Path, lines: bool, *, exact: bool) -> list[dict[str, Any]]:
    """The records of a JSON (lines) file by Python's parser; ``exact`` keeps numbers as their text."""
    import json

    kwargs: dict[str, Any] = {"parse_int": str, "parse_float": str, "parse_constant": str} if exact else {}
    with _open_text(path) as handle:
        if lines:
            return [json.loads(line, **kwargs) for line in handle if line.strip()]
        return list(json.load(handle, **kwargs))


def _json_text_columns(path: Path, lines: bool, columns: set[str]) -> dict[str, list[Any]]:
    """The values of ``columns`` as their JSON source text (numbers unparsed); JSON null -> None."""
    records = _json_records(path, lines, exact=True)
    out: dict[str, list[Any]] = {}
    for column in columns:
        out[column] = [_json_scalar_text(r.get(column)) for r in records]
    return out


def _json_scalar_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    import json

    return json.dumps(value)  # a nested list/object: its JSON text


def _read_path(path: Path, text_columns: Callable[[Sequence[str]], set[str]]) -> pd.DataFrame:
    if not path.exists():
        collector = FailureCollector()
        collector.add_table(None, f"file {str(path)!r} does not exist", "check the path")
        raise collector.error()
    if path.is_dir():
        collector = FailureCollector()
        collector.add_table(None, f"{str(path)!r} is a directory, not a file",
                            "pass the path of a CSV, Parquet or JSONL file")
        raise collector.error()
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    try:
        if kind in (".csv", ".txt"):
            return _read_delimited(path, ",", text_columns)
        if kind == ".tsv":
            return _read_delimited(path, "\t", text_columns)
        if kind in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if kind in (".jsonl", ".ndjson"):
            return _read_json(path, True, text_columns)
        if kind == ".json":  # a JSON array of records, or JSON lines under a .json name
            return _read_json(path, not _starts_with_bracket(path), text_columns)
    except Exception as exc:  # a parser error from pandas/pyarrow: name the file and the cause
        collector = FailureCollector()
        collector.add_table(None, f"cannot read {str(path)!r}: {type(exc).__name__}: {exc}",
                            "check that the file is a valid CSV, Parquet or JSONL file")
        raise collector.error() from exc
    collector = FailureCollector()
    collector.add_table(None, f"unknown file type {''.join(path.suffixes)!r} for {str(path)!r}",
                        "use .csv, .tsv, .parquet or .jsonl (optionally gzipped)")
    raise collector.error()


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet/JSON(L) file (optionally compressed) the way :func:`load_judgments` does: columns
    named like ids (``*_id``, ``id``, ``item``, ``cluster`` ...) as text exactly as written, the rest as pandas
    parses them; a file that cannot be read raises a :class:`JudgmentsValidationError` naming it."""
    return _read_path(Path(path), lambda header: {c for c in header if is_id_name(c)})


# --------------------------------------------------------------------------------------------------
# validation helpers (vectorised)
# --------------------------------------------------------------------------------------------------
def _python_kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


# infer_dtype results whose values all have one _python_kind ("number", "text", "bool")
_HOMOGENEOUS_INFERRED = frozenset({"string", "integer", "floating", "mixed-integer-float", "boolean", "empty"})


def _check_mixed_types(
    series: pd.Series, column: str, rows: np.ndarray, collector: FailureCollector
) -> tuple[np.ndarray, str, str]:
    """Flag an object column that mixes numbers and text (1 and "1" would become two ids).

    Returns the mask (over ``series``) of the rows of the minority types, the rows
    ``on_invalid="drop"`` excludes (each counted in ``Judgments.exclusions``), the problem and the fix.
    """
    none = np.zeros(len(series), dtype=bool)
    if series.dtype != object:
        return none, "", ""
    # one C pass answers the common homogeneous cases without a per-row Python map
    if pd.api.types.infer_dtype(series, skipna=True) in _HOMOGENEOUS_INFERRED:
        return none, "", ""
    nonnull = series.notna().to_numpy()
    kinds = series[nonnull].map(_python_kind)
    counts = kinds.value_counts()
    if len(counts) <= 1:
        return none, "", ""
    majority = counts.index[0]
    minority = (kinds != majority).to_numpy()
    problem = f"mixed types: mostly {majority} but also {', '.join(counts.index[1:])}"
    fix = (f"make every value of {column!r} the same type (e.g. all text), or pass on_invalid='drop' to "
           f"exclude the rows that are not {majority}")
    collector.add_rows(column, rows[nonnull][minority], series[nonnull][minority], problem, fix)
    out = none.copy()
    out[np.flatnonzero(nonnull)[minority]] = True
    return out, problem, fix


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    return pd.to_numeric(series, errors="coerce")


@dataclass(frozen=True)
class JudgmentsSummary:
    """Counts by method, rater, item and segment; the scale; what was excluded."""

    scale: Scale
    n_judgments: int
    n_items: int
    n_raters: int
    n_aggregate_rows: int
    by_method: pd.DataFrame
    by_rater: pd.DataFrame
    by_segment: pd.DataFrame
    exclusions: pd.DataFrame
    notes: tuple[str, ...]
    #: judgments that are abstentions (``Judgments.abstentions``), by rater
    abstentions_by_rater: pd.Series | None = None

    @property
    def n_excluded(self) -> int:
        """Input rows excluded at load (``exclusions`` has one record per row and problem)."""
        return int(pd.Series(self.exclusions["row"]).nunique()) if len(self.exclusions) else 0

    def __str__(self) -> str:
        lines = [
            f"{self.n_judgments:,} judgments of {self.n_items:,} items by {self.n_raters:,} raters; "
            f"scale: {self.scale.describe()}",
        ]
        if self.n_aggregate_rows:
            lines.append(f"{self.n_aggregate_rows:,} per-item aggregate rows (successes/trials)")
        if self.abstentions_by_rater is not None and len(self.abstentions_by_rater):
            shown = ", ".join(f"{r}: {n:,}" for r, n in self.abstentions_by_rater.head(10).items())
            lines.append(f"{int(self.abstentions_by_rater.sum()):,} abstentions kept apart (not in the labels any "
                         f"statistic sees; counted by the judge validation): {shown}")
        lines.append("\nBy method:\n" + self.by_method.to_string(index=False))
        lines.append("\nRaters (top 10 by judgments):\n" + self.by_rater.head(10).to_string(index=False))
        if not self.by_segment.empty:
            lines.append("\nSegments:\n" + self.by_segment.head(40).to_string(index=False))
        if len(self.exclusions):
            reasons = self.exclusions.groupby("problem").size().rename("n_rows").reset_index()
            lines.append(f"\nExcluded {self.n_excluded:,} rows:\n" + reasons.to_string(index=False))
        else:
            lines.append("\nExcluded: none")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


class Judgments:
    """A validated judgments table plus its :class:`Scale`.

    Build one with :func:`load_judgments`. The table has one row per judgment with the canonical
    columns ``item_id``, ``rater_id``, ``method``, ``value``, ``weight`` and, when given, ``system``,
    ``vendor``, ``timestamp``, ``gold``, ``system_a``/``system_b`` and the segment columns.
    Per-item online aggregates (``successes``/``trials``) are kept apart in :attr:`aggregates`.

    Attributes
    ----------
    frame : pandas.DataFrame
        Per-judgment rows (``source_row`` is the row number in the input).
    aggregates : pandas.DataFrame or None
        Per-item aggregate rows: ``item_id``, ``rater_id`` (the signal's name), ``method``,
        ``successes``, ``trials`` and any item columns.
    scale : Scale
    segments : tuple of str
    exclusions : pandas.DataFrame
        Rows excluded (``on_invalid="drop"`` or ``duplicates="keep_last"``), with the reason.
    notes : tuple of str
        What was inferred (scale, column mapping, segments).
    abstentions : pandas.DataFrame
        Judgments whose value is an abstention (``load_judgments(..., abstain=[...])``: unparseable
        verdicts, refusals): kept with their ids and columns (``value`` as written) but apart from
        :attr:`frame`, so that the statistics and models that need a value on the scale never see
        them; the judge validation counts them (abstention rate, accuracy with abstentions as wrong).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        scale: Scale,
        *,
        segments: Sequence[str] = (),
        aggregates: pd.DataFrame | None = None,
        exclusions: pd.DataFrame | None = None,
        notes: Sequence[str] = (),
        abstentions: pd.DataFrame | None = None,
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        self.abstentions = (abstentions.reset_index(drop=True) if abstentions is not None
                            else pd.DataFrame(columns=["item_id", "rater_id", "method", "value"]))
        self.scale = scale
        self.segments = tuple(segments)
        self.aggregates = aggregates
        self.exclusions = (
            exclusions if exclusions is not None else pd.DataFrame(columns=["row", "column", "value", "problem", "fix"])
        )
        self.notes = tuple(notes)

    # -- basic protocol -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return (
            f"Judgments({len(self):,} judgments, {self.n_items:,} items, {self.n_raters:,} raters, "
            f"methods={list(self.methods)}, scale={self.scale.describe()})"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>" + self.frame.head(10).to_html(escape=True)

    @property
    def n_excluded(self) -> int:
        """Input rows excluded at load (a row with two problems has two records in ``exclusions``)."""
        if not len(self.exclusions):
            return 0
        return int(pd.Series(self.exclusions["row"]).nunique())

    def has(self, column: str) -> bool:
        """Whether the optional canonical column (``system``, ``vendor``, ``gold`` ...) is present."""
        return column in self.frame.columns

    # -- codes and indexes (cached; the object is treated as immutable) ---------------------------
    @cached_property
    def _item_factor(self) -> tuple[np.ndarray, pd.Index]:
        codes, uniques = pd.factorize(self.frame["item_id"], sort=True)
        return codes.astype(np.int64), pd.Index(uniques, name="item_id")

    @cached_property
    def _rater_factor(self) -> tuple[np.ndarray, pd.Index]:
        codes, uniques = pd.factorize(self.frame["rater_id"], sort=True)
        return codes.astype(np.int64), pd.Index(uniques, name="rater_id")

    @property
    def items(self) -> pd.Index:
        """Sorted unique item ids; ``item_codes`` index into it."""
        return self._item_factor[1]

    @property
    def raters(self) -> pd.Index:
        """Sorted unique rater ids; ``rater_codes`` index into it."""
        return self._rater_factor[1]

    @property
    def item_codes(self) -> np.ndarray:
        return self._item_factor[0]

    @property
    def rater_codes(self) -> np.ndarray:
        return self._rater_factor[0]

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_raters(self) -> int:
        return len(self.raters)

    @cached_property
    def label_codes(self) -> np.ndarray:
        """Integer label codes 0..K-1 per row (discrete scales only)."""
        if not self.scale.is_discrete:
            raise DataError("label_codes needs a discrete scale; this table is continuous: use .values.")
        return self.scale.encode(self.frame["value"])

    @cached_property
    def values(self) -> np.ndarray:
        """Numeric value per row: the number itself for continuous scales, the numeric level for
        ordinal/binary scales (``Scale.numeric_levels``), the code for categorical/pairwise."""
        if self.scale.kind == "continuous":
            return self.frame["value"].to_numpy(dtype=float)
        return self.scale.numeric_levels()[self.label_codes]

    @cached_property
    def methods(self) -> pd.Index:
        return pd.Index(pd.unique(self.frame["method"]), name="method")

    @cached_property
    def rater_info(self) -> pd.DataFrame:
        """One row per rater: ``method``, ``vendor`` (if any), ``n_judgments``, ``n_items``."""
        codes = self.rater_codes
        first = np.full(self.n_raters, -1, dtype=np.int64)
        # first row of each rater, vectorised: reverse assignment keeps the smallest index
        order = np.arange(len(codes))[::-1]
        first[codes[::-1]] = order
        out = pd.DataFrame({"rater_id": self.raters})
        out["method"] = self.frame["method"].take(first).to_numpy()  # gather, then convert (not 1M objects)
        if self.has("vendor"):
            out["vendor"] = self.frame["vendor"].take(first).to_numpy()
        for column in ("strategy", "judge_model"):
            if self.has(column) and column not in self.segments:  # (a segment of that name is no attribute)
                out[column] = self.frame[column].take(first).to_numpy()
        out["n_judgments"] = np.bincount(codes, minlength=self.n_raters)
        out["n_items"] = np.bincount(self._distinct_pairs % self.n_raters, minlength=self.n_raters)
        return out

    @cached_property
    def item_info(self) -> pd.DataFrame:
        """One row per item: ``n_judgments``, ``n_raters``, and the item-level columns
        (``system``, ``gold``, segments: the first value seen for the item)."""
        codes = self.item_codes
        first = np.full(self.n_items, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        out = pd.DataFrame({"item_id": self.items})
        out["n_judgments"] = np.bincount(codes, minlength=self.n_items)
        out["n_raters"] = np.bincount(self._distinct_pairs // self.n_raters, minlength=self.n_items)
        for column in ("system", "system_a", "system_b", "gold", *self.segments):
            if column in self.frame.columns:
                out[column] = self.frame[column].take(first).to_numpy()
        return out

    @cached_property
    def _distinct_pairs(self) -> np.ndarray:
        """One key ``item * n_raters + rater`` per distinct (item, rater) pair (any order). Without
        repeats every row is its own pair; else a sort of the integer keys and a neighbour comparison
        (numpy's integer sort: ~10 ms per 1M keys, where ``np.unique`` takes 0.8 s and ``pd.unique`` 50 ms)."""
        key = self.item_codes * np.int64(self.n_raters) + self.rater_codes
        if self.__dict__.get("_has_repeated_pairs") is False or _strictly_increasing(key):
            return key
        ordered = np.sort(key)
        keep = np.empty(ordered.size, dtype=bool)
        keep[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
        return ordered[keep]

    @cached_property
    def data_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical table: provenance for saved results.

        The row hashes are ``pandas.util.hash_pandas_object(frame, index=False)``; on a table built by
        :func:`load_judgments` the ``value`` and ``method`` columns are hashed through their codes
        (the hash of each distinct label or method, gathered), bit-identical and ~0.1 s faster per 1M
        rows than hashing a million Python objects again (tests/test_fidelity.py checks the equality).
        """
        frame = self.frame.drop(columns=["source_row"], errors="ignore")
        digest = hashlib.sha256(self._row_hashes(frame).tobytes())
        digest.update(self.scale.describe().encode())
        return digest.hexdigest()[:16]

    def _row_hashes(self, frame: pd.DataFrame) -> np.ndarray:
        try:
            from pandas.core.util.hashing import combine_hash_arrays
        except ImportError:  # pragma: no cover - a pandas without the helper: the generic path
            combine_hash_arrays = None
        if combine_hash_arrays is None or not self.__dict__.get("_loaded_consistent") or frame.shape[1] == 0:
            return pd.util.hash_pandas_object(frame, index=False).to_numpy()
        columns = []
        for name in frame.columns:
            column = frame[name]
            fast = None
            text_like = column.dtype == object or pd.api.types.is_string_dtype(column)
            if name == "value" and text_like and self.scale.is_discrete:
                codes = self.label_codes
                if codes.size and codes.min() >= 0:  # stored values are the scale's label objects
                    fast = pd.util.hash_array(np.array(self.scale.labels, dtype=object))[codes]
            elif name == "method" and pd.api.types.is_string_dtype(column):
                methods = self.rater_info["method"].to_numpy(dtype=object)  # one method per rater (validated)
                if pd.api.types.infer_dtype(methods, skipna=False) == "string":
                    fast = pd.util.hash_array(methods)[self.rater_codes]
            columns.append(fast if fast is not None else pd.util.hash_pandas_object(column, index=False).to_numpy())
        return combine_hash_arrays(iter(columns), len(columns))

    @cached_property
    def _has_repeated_pairs(self) -> bool:
        """Whether a rater judged an item more than once (only ``duplicates="keep_all"`` allows it;
        ``load_judgments`` sets it to False otherwise)."""
        return len(self._distinct_pairs) < len(self.frame)

    # -- views for other modules ------------------------------------------------------------------
    def _last_per_pair(self) -> np.ndarray:
        """Row positions keeping the last judgment of each (item, rater) pair (repeats allowed)."""
        if not self._has_repeated_pairs:
            return np.arange(len(self.frame))
        key = self.item_codes * np.int64(self.n_raters) + self.rater_codes
        return np.flatnonzero(~pd.Series(key).duplicated(keep="last").to_numpy())

    def matrix(
        self, kind: Literal["code", "value"] = "code", *, sparse: bool = False, max_bytes: int | None = None
    ) -> np.ndarray | sp.csr_matrix:
        """Item x rater matrix in the order of :attr:`items` and :attr:`raters`.

        Parameters
        ----------
        kind : {"code", "value"}
            ``"code"`` gives label codes 0..K-1 (discrete scales), ``"value"`` the numeric values.
        sparse : bool
            Dense float array with NaN for missing cells, or a CSR matrix of ``code + 1`` / value
            (0 = missing; for ``"value"`` use dense unless values are never 0).
        max_bytes : int, optional
            Memory budget of the dense array (default :data:`DENSE_MATRIX_MAX_BYTES`, 2 GiB); a larger
            one raises :class:`~alignlab.data.MatrixTooLargeError` before allocating anything.

        When an item was judged more than once by the same rater (``duplicates="keep_all"``) the
        last judgment is used.
        """
        if not sparse:
            budget = DENSE_MATRIX_MAX_BYTES if max_bytes is None else int(max_bytes)
            needed = self.n_items * self.n_raters * 8
            if needed > budget:
                raise MatrixTooLargeError(
                    f"A dense {self.n_items:,} items x {self.n_raters:,} raters matrix needs {_bytes(needed)}, "
                    f"more than the budget of {_bytes(budget)}; only {len(self):,} cells are filled. Use "
                    "j.matrix(..., sparse=True) (a CSR matrix of the judgments only), or pass max_bytes= to "
                    "allow a larger dense array."
                )
        rows = self._last_per_pair()
        data = (self.label_codes[rows].astype(float) if kind == "code" else self.values[rows])
        i, j = self.item_codes[rows], self.rater_codes[rows]
        if sparse:
            payload = data + 1.0 if kind == "code" else data
            return sp.csr_matrix((payload, (i, j)), shape=(self.n_items, self.n_raters))
        out = np.full((self.n_items, self.n_raters), np.nan)
        out[i, j] = data
        return out

    def counts(self, *, weighted: bool = False) -> np.ndarray:
        """Items x categories matrix ``n_ik`` (discrete scales): how often item i got label k."""
        k = self.scale.n_categories
        flat = self.item_codes * np.int64(k) + self.label_codes
        weights = self.frame["weight"].to_numpy(dtype=float) if weighted else None
        return np.bincount(flat, weights=weights, minlength=self.n_items * k).reshape(self.n_items, k)

    def to_crowdkit(self) -> pd.DataFrame:
        """The ``task, worker, label`` long form that crowd-kit aggregators consume."""
        return pd.DataFrame(
            {"task": self.frame["item_id"], "worker": self.frame["rater_id"], "label": self.frame["value"]}
        )

    def reliability_data(self) -> np.ndarray:
        """Raters x items array (NaN = missing), the input form of the ``krippendorff`` package."""
        return self.matrix("value" if not self.scale.is_discrete or self.scale.kind != "categorical" else "code").T

    # -- selection -------------------------------------------------------------------------------
    def resolve_raters(self, spec: str | Sequence[str] | None, *, argument: str = "raters") -> list[Any]:
        """Rater ids named by ``spec``: a rater id, a method name, or a list of either.

        Raises a ``ValueError`` naming the available methods and raters when nothing matches.
        """
        if spec is None:
            return list(self.raters)
        specs = [spec] if isinstance(spec, str) or not isinstance(spec, Iterable) else list(spec)
        info = self.rater_info
        rater_set = set(info["rater_id"].tolist())
        chosen: list[Any] = []
        for s in specs:
            if s in set(info["method"].tolist()):
                chosen += info.loc[info["method"] == s, "rater_id"].tolist()
            elif s in rater_set:
                chosen.append(s)
            else:
                close = difflib.get_close_matches(str(s), [str(x) for x in rater_set | set(info["method"])], n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise InvalidParameterError(
                    f"The {argument!r} argument names {s!r}, which is neither a method "
                    f"({', '.join(map(repr, self.methods[:10]))}) nor a rater id.{hint}"
                )
        return list(dict.fromkeys(chosen))

    def subset(
        self,
        *,
        raters: str | Sequence[str] | None = None,
        methods: str | Sequence[str] | None = None,
        items: Sequence[Any] | None = None,
    ) -> Judgments:
        """A new :class:`Judgments` restricted to some raters, methods and/or items.

        Examples
        --------
        >>> import alignlab
        >>> j = alignlab.datasets.load("pandalm")
        >>> j.subset(methods="human").n_raters
        3
        """
        mask = np.ones(len(self.frame), dtype=bool)
        if methods is not None:
            wanted = [methods] if isinstance(methods, str) else list(methods)
            unknown = [m for m in wanted if m not in set(self.methods)]
            if unknown:
                raise InvalidParameterError(
                    f"The 'methods' argument names {unknown!r}, not in this table; methods are {list(self.methods)}."
                )
            mask &= self.frame["method"].isin(wanted).to_numpy()
        if raters is not None:
            mask &= self.frame["rater_id"].isin(self.resolve_raters(raters)).to_numpy()
        if items is not None:
            mask &= self.frame["item_id"].isin(list(items)).to_numpy()
        if not mask.any():
            hint = ""
            if items is not None and any(not isinstance(i, str) for i in items) and pd.api.types.is_string_dtype(
                    self.frame["item_id"]):
                hint = (" The item ids are text (ids read from a file stay exactly as written): pass them as "
                        f"strings, e.g. items={[str(i) for i in list(items)[:3]]!r}.")
            raise DataError("The selection leaves no judgments; check the raters, methods and items asked for."
                             + hint)
        aggregates = self.aggregates
        if aggregates is not None and items is not None:
            aggregates = aggregates[aggregates["item_id"].isin(list(items))]
        abstentions = self.abstentions
        if len(abstentions):
            keep = np.ones(len(abstentions), dtype=bool)
            if methods is not None:
                keep &= abstentions["method"].isin(wanted).to_numpy()
            if raters is not None:
                keep &= abstentions["rater_id"].isin(self.resolve_raters(raters)).to_numpy()
            if items is not None:
                keep &= abstentions["item_id"].isin(list(items)).to_numpy()
            abstentions = abstentions[keep]
        out = Judgments(
            self.frame[mask],
            self.scale,
            segments=self.segments,
            aggregates=aggregates,
            exclusions=self.exclusions,
            notes=self.notes,
            abstentions=abstentions,
        )
        if self.__dict__.get("_has_repeated_pairs") is False:  # a subset of a table without repeats
            out.__dict__["_has_repeated_pairs"] = False
        if self.__dict__.get("_loaded_consistent"):  # rows of a validated table stay validated
            out.__dict__["_loaded_consistent"] = True
        return out

    # -- summaries --------------------------------------------------------------------------------
    def summary(self) -> JudgmentsSummary:
        """Counts by method, rater, item and segment, the scale and the exclusions."""
        info = self.rater_info
        by_method = (
            info.groupby("method", sort=True)
            .agg(n_raters=("rater_id", "size"), n_judgments=("n_judgments", "sum"))
            .reset_index()
        )
        items_per_method = self.frame.groupby("method")["item_id"].nunique().rename("n_items")
        by_method = by_method.merge(items_per_method, left_on="method", right_index=True)
        by_rater = info.sort_values(["n_judgments", "rater_id"], ascending=[False, True]).reset_index(drop=True)
        parts = []
        for column in self.segments:
            level = self.frame[column]
            if pd.api.types.is_numeric_dtype(level) and level.nunique() > 10:
                level = pd.qcut(level, 4, duplicates="drop").astype(str)
            counts = level.astype(str).value_counts(dropna=False).rename("n_judgments").reset_index()
            counts.columns = ["level", "n_judgments"]
            counts.insert(0, "segment", column)
            parts.append(counts)
        by_segment = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["segment", "level", "n_judgments"])
        return JudgmentsSummary(
            scale=self.scale,
            n_judgments=len(self),
            n_items=self.n_items,
            n_raters=self.n_raters,
            n_aggregate_rows=0 if self.aggregates is None else len(self.aggregates),
            by_method=by_method,
            by_rater=by_rater,
            by_segment=by_segment,
            exclusions=self.exclusions,
            notes=self.notes,
            abstentions_by_rater=(self.abstentions["rater_id"].value_counts() if len(self.abstentions) else None),
        )

    def to_frame(self) -> pd.DataFrame:
        """A copy of the canonical per-judgment table."""
        return self.frame.copy()


# --------------------------------------------------------------------------------------------------
# load_judgments
# --------------------------------------------------------------------------------------------------
def _resolve_columns(
    raw: pd.DataFrame, mapping: dict[str, str | None], collector: FailureCollector, notes: list[str]
) -> dict[str, str]:
    """canonical name -> source column name, for the columns present."""
    resolved: dict[str, str] = {}
    columns = [str(c) for c in raw.columns]
    for canonical, source_name in mapping.items():
        keyword = CANONICAL_COLUMNS[canonical]
        if source_name is not None:
            if source_name in raw.columns:
                resolved[canonical] = source_name
            else:
                close = difflib.get_close_matches(str(source_name), columns, n=3)
                hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"columns are {columns[:15]}"
                collector.add_table(
                    str(source_name),
                    f"column {source_name!r} (given as {keyword}=) is not in the table",
                    f"pass {keyword}= the name of an existing column; {hint}",
                )
            continue
        for alias in _ALIASES[canonical]:
            if alias in raw.columns and alias not in resolved.values():
                resolved[canonical] = alias
                if alias != canonical:
                    notes.append(f"column {alias!r} used as {canonical}")
                break
    return resolved


def _infer_segments(raw: pd.DataFrame, used: set[str], read_as_text: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    chosen = []
    for column in raw.columns:
        if column in used:
            continue
        series = raw[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            if series.notna().any():
                chosen.append(column)
            continue
        if column in read_as_text and series.notna().any():
            # an id column read as text (a cluster/conversation id) is a segment when its numeric
            # reading would have been one: the text reading changes the ids' spelling, not the choice
            if pd.to_numeric(series.dropna(), errors="coerce").notna().all():
                chosen.append(column)
                continue
        n_levels = series.nunique(dropna=True)
        if 1 <= n_levels <= _MAX_INFERRED_SEGMENT_LEVELS:
            lengths = series.dropna().astype(str).str.len()
            if lengths.max() <= _MAX_SEGMENT_TEXT_LENGTH:
                chosen.append(column)
    return chosen


def load_judgments(
    source: Any,
    *,
    scale: Scale | str | None = None,
    item: str | None = None,
    rater: str | None = None,
    method: str | None = None,
    value: str | None = None,
    system: str | None = None,
    vendor: str | None = None,
    timestamp: str | None = None,
    gold: str | None = None,
    weight: str | None = None,
    successes: str | None = None,
    trials: str | None = None,
    system_a: str | None = None,
    system_b: str | None = None,
    order: str | None = None,
    pair_id: str | None = None,
    strategy: str | None = None,
    judge_model: str | None = None,
    abstain: Sequence[Any] = (),
    segments: Sequence[str] | None = None,
    default_method: str = "human",
    duplicates: Literal["error", "keep_last", "keep_all"] = "error",
    on_invalid: Literal["error", "drop"] = "error",
    id_columns: Sequence[str] = (),
) -> Judgments:
    """Load and validate a judgments table.

    Parameters
    ----------
    source : DataFrame, polars/pyarrow table, or path
        One row per judgment. Paths ending in ``.csv``, ``.tsv``, ``.parquet`` or ``.jsonl``
        (optionally ``.gz``) are read.
    scale : Scale, {"binary", "categorical", "ordinal", "continuous", "pairwise"} or None
        The measurement scale. A string builds the scale from the observed values (ordinal levels
        sorted); ``None`` infers it when obvious and otherwise raises asking for it.
    item, rater, method, value, system, vendor, timestamp, gold, weight, successes, trials, system_a, system_b : str, optional
        Source column for each canonical column. Without a mapping, the canonical name and common
        spellings (``task``/``worker``/``label`` ...) are recognised.
    order, pair_id : str, optional
        Presentation order of a pairwise comparison: ``order`` is ``"original"`` or ``"swapped"`` and
        ``pair_id`` names the comparison, shared by its two presentations (two items, one per order; the
        item's ``value`` and ``gold`` are in the item's own order: ``"A"`` is the output shown first in
        that presentation). Per rater, a ``pair_id`` has at most one original and one swapped item.
    strategy, judge_model : str, optional
        Attributes of a judge configuration (one rater id per configuration): its prompt strategy
        (template) and its model, constant per rater. Used by ``compare_judges(..., by="strategy")``.
    abstain : list, optional
        Values that are abstentions rather than labels (``["invalid", "None"]``: unparseable verdicts,
        refusals; compared as stripped, case-insensitive text; ``None`` in the list makes a missing
        value an abstention). Abstaining judgments are kept in :attr:`Judgments.abstentions` (not
        dropped, not in :attr:`Judgments.frame`); the judge validation counts them.
    segments : list of str, optional
        Segment columns (for slices and breakdowns). ``None`` takes every other column that looks
        like a segment (numeric, or at most 50 short text levels); ``[]`` takes none.
    default_method : str
        The method of every row when the table has no method column.
    duplicates : {"error", "keep_last", "keep_all"}
        What to do with several judgments of the same item by the same rater. ``keep_all`` keeps
        repeats (e.g. to measure a judge's run-to-run instability); matrix views use the last.
    on_invalid : {"error", "drop"}
        Raise on invalid rows, or drop them and record each in ``Judgments.exclusions`` (one record
        per row and problem). Droppable (row-level) problems: a missing id, method or value; a value
        not on the scale, not a number, infinite or out of bounds; a bad weight, timestamp, gold
        label or successes/trials count; a value of another type than the rest of its column
        (``7`` among text ids: the minority type's rows are dropped); a rater with several methods
        or vendors, an item with several systems or gold labels (every row of that rater or item);
        duplicate ``(item_id, rater_id)`` pairs under ``duplicates="error"`` (every copy).
        Table-level problems always raise: a missing or unknown column, an empty or unreadable file,
        a scale that cannot be inferred or does not fit, repeated column names.
    id_columns : list of str
        More columns to read as text from CSV/TSV/JSON files (e.g. a cluster column). The id columns
        (``item_id``, ``rater_id``, ``method``, ``system``, ``system_a``/``system_b``, ``vendor``,
        whether recognised by name or mapped by keyword) and every column named like an id
        (``*_id``, ``id``, ``cluster``, ``conversation`` ...) are always read as text, exactly as
        written: ``007`` stays ``007``, ``1e3`` stays ``1e3``, and ``NA``/``nan``/``null`` are ids
        (only an empty field is a missing id). In-memory tables keep their dtypes.

    Returns
    -------
    Judgments

    Raises
    ------
    JudgmentsValidationError
        Listing every problem found (column, row, value, problem, fix).

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> table = pd.DataFrame({
    ...     "item_id": [1, 1, 2, 2], "rater_id": ["ann", "gpt", "ann", "gpt"],
    ...     "method": ["human", "llm_judge", "human", "llm_judge"], "value": [4, 5, 2, 2]})
    >>> j = alignlab.load_judgments(table, scale=alignlab.Scale.ordinal([1, 2, 3, 4, 5]))
    >>> j.n_items, j.n_raters
    (2, 2)
    """
    from alignlab._params import Options, check_param

    check_param("duplicates", duplicates, [Options(("error", "keep_last", "keep_all"))], "load_judgments")
    check_param("on_invalid", on_invalid, [Options(("error", "drop"))], "load_judgments")
    check_param("scale", scale, [Scale, Options(("binary", "categorical", "ordinal", "continuous", "pairwise")),
                                 None], "load_judgments")
    check_param("default_method", default_method, [str], "load_judgments")

    mapping = {
        "item_id": item, "rater_id": rater, "method": method, "value": value, "system": system,
        "vendor": vendor, "timestamp": timestamp, "gold": gold, "weight": weight, "successes": successes,
        "trials": trials, "system_a": system_a, "system_b": system_b, "order": order, "pair_id": pair_id,
        "strategy": strategy, "judge_model": judge_model,
    }
    read_as_text: set[str] = set()

    def text_columns(header: Sequence[str]) -> set[str]:
        read_as_text.update(_text_columns(header, mapping, list(id_columns)))
        return read_as_text

    raw = _read_source(source, text_columns)
    raw.columns = [str(c) for c in raw.columns]
    collector = FailureCollector()
    notes: list[str] = []

    if raw.empty or len(raw.columns) == 0:
        collector.add_table(None, "the table is empty (no rows)", "pass a table with at least one judgment")
        raise collector.error()
    if len(raw.columns) == 1:  # a file with another separator loads as one column named "a;b;c"
        only = str(raw.columns[0])
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in only:
                suffix = ".tsv" if sep == "\t" else ".csv"
                names = [n.strip() for n in only.split(sep)]
                ids = {n: "str" for n in names if n in _text_columns(names, mapping, list(id_columns))}
                collector.add_table(
                    only, f"the table loads as one column {_clip(only)!r}: the file looks {label}-separated",
                    f"read it with pandas.read_csv(path, sep={sep!r}, dtype={ids!r}) (ids as text) and pass the "
                    f"DataFrame to load_judgments, or save it {'tab' if sep == chr(9) else 'comma'}-separated as "
                    f"{suffix}",
                )
                raise collector.error()
    duplicated_columns = raw.columns[raw.columns.duplicated()].unique().tolist()
    if duplicated_columns:
        collector.add_table(duplicated_columns[0], f"column names repeated: {duplicated_columns}",
                            "give every column a unique name")
        raise collector.error()

    resolved = _resolve_columns(raw, mapping, collector, notes)
    _unclaim_judge_columns(raw, mapping, resolved, notes)
    has_aggregates = "trials" in resolved or "successes" in resolved
    for required in ("item_id", "rater_id"):
        if required not in resolved and mapping[required] is None:
            keyword = CANONICAL_COLUMNS[required]
            collector.add_table(
                required, f"required column {required!r} is missing",
                f"add a {required!r} column or pass {keyword}='<your column>'; columns are {list(raw.columns)[:15]}",
            )
    if "value" not in resolved and mapping["value"] is None and not has_aggregates:
        collector.add_table(
            "value", "required column 'value' is missing",
            f"add a 'value' column or pass value='<your column>' (or successes=/trials= for online "
            f"aggregates); columns are {list(raw.columns)[:15]}",
        )
    if has_aggregates and not ("trials" in resolved and "successes" in resolved):
        missing = "trials" if "trials" not in resolved else "successes"
        collector.add_table(missing, f"online aggregates need both 'successes' and 'trials'; {missing!r} is missing",
                            f"pass {missing}='<your column>' as well")
    used = set(resolved.values())
    if segments is None:
        segment_columns = _infer_segments(raw, used, read_as_text)
        if segment_columns:
            notes.append(f"segments inferred: {segment_columns}")
    else:
        segment_columns = list(segments)
        for column in segment_columns:
            if column not in raw.columns:
                close = difflib.get_close_matches(column, list(raw.columns), n=3)
                collector.add_table(column, f"segment column {column!r} is not in the table",
                                    f"check the name{'; did you mean ' + ', '.join(map(repr, close)) + '?' if close else ''}")
            elif column in used:
                canonical = next(k for k, v in resolved.items() if v == column)
                collector.add_table(column, f"segment column {column!r} is already used as {canonical}",
                                    "a column is either a canonical column or a segment, not both")
    collector.raise_if_any()

    # canonical frame ---------------------------------------------------------------------------
    frame = pd.DataFrame({canonical: raw[src].to_numpy() for canonical, src in resolved.items()})
    for column in segment_columns:
        frame[column] = raw[column].to_numpy()
    frame["source_row"] = np.arange(len(raw), dtype=np.int64)
    for column in list(frame.columns):
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object)
    method_defaulted = "method" not in frame.columns
    if method_defaulted:
        frame["method"] = _constant_text(default_method, len(frame))
        notes.append(f"no method column: every rater taken as method {default_method!r}")
    rows = frame["source_row"].to_numpy()
    bad = np.zeros(len(frame), dtype=bool)  # row-level failures, for on_invalid="drop"
    # every row-level failure in full (the collector keeps 1,000 examples per problem): the
    # exclusions of on_invalid="drop", one record per (row, column, problem)
    dropped_parts: list[pd.DataFrame] = []

    def record(column: str, positions: np.ndarray, shown: Any, problem: str, fix: str) -> None:
        nonlocal bad
        if len(positions) == 0:
            return
        bad[positions] = True
        dropped_parts.append(pd.DataFrame({
            "row": rows[positions], "column": column,
            "value": pd.Series(np.asarray(shown, dtype=object), dtype=object),
            "problem": problem, "fix": fix,
        }))

    def flag(column: str, mask: np.ndarray, problem: str, fix: str, values: pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            shown = frame[column] if values is None else values
            collector.add_rows(column, rows[mask], shown[mask], problem, fix)
            record(column, np.flatnonzero(mask), shown[mask].to_numpy(), problem, fix)

    def flag_mixed(column: str, subset: np.ndarray | None = None) -> None:
        if frame[column].dtype != object:  # typed columns hold one type (the common, fast case)
            return
        if subset is not None and subset.all():
            subset = None
        positions = np.arange(len(frame)) if subset is None else np.flatnonzero(subset)
        series = frame[column] if subset is None else frame[column][subset]
        minority, problem, fix = _check_mixed_types(series, column, rows[positions], collector)
        if minority.any():
            record(column, positions[minority], series[minority].to_numpy(), problem, fix)

    # ids and method
    for column in (*_ID_COLUMNS, "method", "system", "vendor", "system_a", "system_b"):
        if column not in frame.columns:
            continue
        missing = frame[column].isna().to_numpy()
        flag(column, missing, f"missing {column}", f"fill in {column!r} for every row or drop those rows")
        # mixed types (7 and "7" would be two ids): on_invalid='drop' excludes the minority type's rows
        flag_mixed(column)

    aggregate_rows = np.zeros(len(frame), dtype=bool)
    if has_aggregates and "trials" in frame.columns and "successes" in frame.columns:
        aggregate_rows = frame["trials"].notna().to_numpy() | frame["successes"].notna().to_numpy()
        trials_num = _numeric(frame["trials"]).to_numpy()
        succ_num = _numeric(frame["successes"]).to_numpy()
        agg = aggregate_rows
        flag("trials", agg & ~np.isfinite(trials_num), "trials is missing or not a number",
             "give trials as a non-negative integer count")
        flag("successes", agg & ~np.isfinite(succ_num), "successes is missing or not a number",
             "give successes as a non-negative integer count")
        finite = agg & np.isfinite(trials_num) & np.isfinite(succ_num)
        with np.errstate(invalid="ignore"):
            flag("trials", finite & ((trials_num <= 0) | (trials_num != np.round(trials_num))),
                 "trials must be a positive integer", "use the number of events (e.g. impressions) per item")
            flag("successes", finite & ((succ_num < 0) | (succ_num != np.round(succ_num))),
                 "successes must be a non-negative integer", "use the count of positive events per item")
            flag("successes", finite & (succ_num > trials_num), "successes exceed trials",
                 "successes counts a subset of the trials; check the two columns are not swapped")

    # scale and values --------------------------------------------------------------------------
    judgment_rows = ~aggregate_rows
    # abstentions (abstain=): kept apart from the verdicts, their value as written
    abstain_rows = np.zeros(len(frame), dtype=bool)
    abstain_values: np.ndarray | None = None
    if len(abstain) and "value" in frame.columns:
        abstain_rows = judgment_rows & _abstain_mask(frame["value"], abstain)
        abstain_values = frame["value"].astype(object).to_numpy(copy=True)
    verdict_rows = judgment_rows & ~abstain_rows
    label_codes_all: np.ndarray | None = None  # label code per row of `frame` (discrete scales)
    resolved_scale: Scale | None = scale if isinstance(scale, Scale) else None
    if "value" in frame.columns and verdict_rows.any():
        values = frame["value"]
        jv = values[verdict_rows]
        if isinstance(scale, str) or scale is None:
            resolved_scale = _scale_from_data(scale, jv, collector, notes)
        flag_mixed("value", verdict_rows)
        missing = verdict_rows & values.isna().to_numpy()
        flag("value", missing, "missing value (NaN/None)",
             "give every judgment a value, or pass on_invalid='drop' to exclude these rows")
        if resolved_scale is not None:
            present = verdict_rows & ~missing
            if resolved_scale.kind == "continuous":
                numbers = _numeric(values).to_numpy()
                flag("value", present & np.isnan(numbers), "value is not a number",
                     "continuous scores must be numbers")
                with np.errstate(invalid="ignore"):
                    flag("value", present & np.isinf(numbers), "value is infinite (inf)",
                         "replace infinite scores with finite numbers or drop them")
                    outside = present & np.isfinite(numbers) & (
                        (numbers < resolved_scale.low) | (numbers > resolved_scale.high))
                flag("value", outside,
                     f"value outside the scale bounds [{resolved_scale.low:g}, {resolved_scale.high:g}]",
                     "correct the value or widen Scale.continuous(low, high)")
                frame["value"] = numbers
            else:
                if resolved_scale.kind == "pairwise":
                    frame["value"] = resolved_scale.normalise_pairwise(values)
                codes = resolved_scale.encode(frame["value"])
                label_codes_all = codes
                numbers = _numeric(values).to_numpy() if pd.api.types.is_numeric_dtype(values) else None
                if numbers is not None:
                    flag("value", present & np.isinf(numbers), "value is infinite (inf)",
                         "replace infinite values by a label on the scale")
                unknown = present & (codes < 0)
                if numbers is not None:
                    unknown &= ~np.isinf(numbers)
                shown_labels = ", ".join(map(str, resolved_scale.labels[:10]))
                flag("value", unknown, f"label not on the {resolved_scale.kind} scale ({shown_labels})",
                     f"correct the value or add it to Scale.{resolved_scale.kind}([...])")
                # store labels exactly as the scale spells them
                ok = codes >= 0
                labels = np.array(resolved_scale.labels, dtype=object)
                if ok.all():  # one gather, no object copy of the column first
                    stored = labels[codes]
                else:
                    stored = frame["value"].astype(object).to_numpy(copy=True)
                    stored[ok] = labels[codes[ok]]
                if all(isinstance(v, bool | int | float | np.number | np.bool_) for v in resolved_scale.labels):
                    # numeric labels stay Python objects, as assigning the array gives, without the
                    # per-element dtype inference pandas runs on object arrays
                    frame["value"] = pd.Series(stored, dtype=object, index=frame.index, copy=False)
                else:
                    frame["value"] = stored  # text labels: pandas infers its string dtype
    elif not verdict_rows.any() and abstain_rows.any():
        collector.add_table("value", "every judgment is an abstention (abstain=)",
                            "check the abstain= values: at least one judgment must carry a label")
        raise collector.error()
    elif not judgment_rows.any():
        resolved_scale = resolved_scale or Scale.binary((0, 1))
        notes.append("only per-item aggregates: scale taken as binary (success / failure)")

    # optional columns ----------------------------------------------------------------------------
    if "weight" in frame.columns:
        weights = _numeric(frame["weight"]).to_numpy()
        with np.errstate(invalid="ignore"):
            flag("weight", ~np.isfinite(weights) | (weights < 0),
                 "weight must be a finite non-negative number", "fix or remove the weight")
        frame["weight"] = weights
    else:
        frame["weight"] = 1.0
    if "timestamp" in frame.columns:
        parsed = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True)
        flag("timestamp", frame["timestamp"].notna().to_numpy() & parsed.isna().to_numpy(),
             "timestamp cannot be parsed as a date/time", "use ISO 8601 (2024-05-01T12:00:00Z) or a datetime column")
        frame["timestamp"] = parsed
    if "gold" in frame.columns and resolved_scale is not None:
        gold_values = frame["gold"]
        has_gold = gold_values.notna().to_numpy()
        if resolved_scale.is_discrete:
            if resolved_scale.kind == "pairwise":
                gold_values = resolved_scale.normalise_pairwise(gold_values)
            gold_codes = resolved_scale.encode(gold_values)
            flag("gold", has_gold & (gold_codes < 0), "gold label not on the scale",
                 "gold labels must use the same labels as the values")
            labels = np.array(resolved_scale.labels, dtype=object)
            stored = gold_values.astype(object).to_numpy(copy=True)
            stored[gold_codes >= 0] = labels[gold_codes[gold_codes >= 0]]
            stored[~has_gold] = None
            frame["gold"] = stored
        else:
            gold_num = _numeric(gold_values).to_numpy()
            flag("gold", has_gold & ~np.isfinite(gold_num), "gold value is not a finite number",
                 "gold scores must be numbers on the same scale as the values")
            frame["gold"] = gold_num

    if "order" in resolved:
        _check_orders(frame, flag, collector)

    # consistency across rows (only on rows without row-level failures) --------------------------------
    clean = ~bad
    # sorted integer codes of the ids (missing -> -1), shared by the checks below and kept
    # for the table's cached item/rater codes
    id_factors = {column: _factorize_sorted(frame[column]) for column in _ID_COLUMNS}
    checks = []
    if not method_defaulted:  # a defaulted method column is constant by construction
        checks.append(("rater_id", "method", "rater ids must be unique across methods: rename one of them"))
    if "vendor" in frame.columns:
        checks.append(("rater_id", "vendor", "a rater belongs to one vendor: fix the vendor or split the rater id"))
    for column in ("strategy", "judge_model"):
        if column in resolved:
            checks.append(("rater_id", column, f"a rater id is one judge configuration with one {column}: "
                                               f"use one rater id per (model, strategy), e.g. 'gpt-4/cot'"))
    for column in ("system", "system_a", "system_b", "gold", "order", "pair_id"):
        if column in resolved:
            checks.append(("item_id", column, f"an item has one {column}: make item ids unique per {column}"))
    for key, column, fix in checks:
        offending = _check_constant_within(frame, clean, key, column, rows, collector, fix,
                                           key_codes=id_factors[key][0])
        if offending.any():  # on_invalid="drop" excludes every row of the key: which value is right is unknown
            record(column, np.flatnonzero(offending),
                   frame[key][offending].astype(str).to_numpy(dtype=object) + " -> "
                   + frame[column][offending].astype(str).to_numpy(dtype=object),
                   f"one {key} has several values of {column!r}", fix)
    if "order" in resolved:
        _check_pair_orders(frame, clean, rows, record, collector)

    exclusions: list[pd.DataFrame] = []
    # duplicates among judgment rows
    if judgment_rows.any() and duplicates != "keep_all":
        positions = np.flatnonzero(judgment_rows & clean)
        dup_later, dup_any = _repeated_pairs(id_factors["item_id"], id_factors["rater_id"], positions)
        if duplicates == "error" and dup_any.any():
            dup_rows = positions[dup_any]
            shown = frame.loc[dup_rows, "item_id"].astype(str) + " / " + frame.loc[dup_rows, "rater_id"].astype(str)
            problem = "duplicate (item_id, rater_id) judgments"
            fix = "keep one judgment per rater and item, or pass duplicates='keep_last' (or 'keep_all' for repeats)"
            collector.add_rows("rater_id", rows[dup_rows], shown, problem, fix)
            record("rater_id", dup_rows, shown.to_numpy(dtype=object), problem, fix)
        elif duplicates == "keep_last" and dup_later.any():
            dropped = positions[dup_later]
            exclusions.append(pd.DataFrame({
                "row": rows[dropped], "column": "rater_id",
                "value": frame.loc[dropped, "item_id"].astype(str) + " / " + frame.loc[dropped, "rater_id"].astype(str),
                "problem": "duplicate (item_id, rater_id): an earlier judgment replaced by a later one",
                "fix": "duplicates='keep_last'",
            }))
            keep = np.ones(len(frame), dtype=bool)
            keep[dropped] = False
            frame, rows, bad, aggregate_rows = frame[keep], rows[keep], bad[keep], aggregate_rows[keep]
            abstain_rows = abstain_rows[keep]
            abstain_values = None if abstain_values is None else abstain_values[keep]
            frame.index = pd.RangeIndex(len(frame))
            notes.append(f"{len(dropped):,} duplicate judgments replaced by later ones")

    if collector:
        if on_invalid == "error" or _has_table_level(collector):
            raise collector.error()
        # every failed row is dropped and listed (the collector keeps only examples; `record` has all)
        exclusions.append(pd.concat(dropped_parts, ignore_index=True)
                          .drop_duplicates(subset=["row", "column", "problem"]))
        keep = ~bad
        frame, aggregate_rows = frame[keep], aggregate_rows[keep]
        abstain_rows = abstain_rows[keep]
        abstain_values = None if abstain_values is None else abstain_values[keep]
        if not keep.any():
            empty = FailureCollector()
            empty.add_table(None, "every row was invalid: nothing is left after on_invalid='drop'",
                            "fix the problems listed by on_invalid='error'")
            raise empty.error()
    exclusion_table = (pd.concat(exclusions, ignore_index=True) if exclusions
                       else pd.DataFrame(columns=["row", "column", "value", "problem", "fix"]))

    abstentions = None
    if abstain_rows.any() and abstain_values is not None:
        abstentions = frame.loc[abstain_rows].drop(columns=["successes", "trials"], errors="ignore")
        abstentions["value"] = abstain_values[abstain_rows]
        frame, aggregate_rows = frame.loc[~abstain_rows], aggregate_rows[~abstain_rows]
        notes.append(f"{len(abstentions):,} abstentions (abstain=) kept apart in Judgments.abstentions: statistics "
                     "on the labels exclude them; the judge validation counts them")
    aggregates = None
    if aggregate_rows.any():
        keep_cols = [c for c in frame.columns if c not in ("value",)]
        aggregates = frame.loc[aggregate_rows, keep_cols].reset_index(drop=True)
        aggregates["successes"] = aggregates["successes"].astype(float).astype(np.int64)
        aggregates["trials"] = aggregates["trials"].astype(float).astype(np.int64)
        frame = frame.loc[~aggregate_rows].drop(columns=["successes", "trials"], errors="ignore")
    else:
        frame = frame.drop(columns=["successes", "trials"], errors="ignore")

    # items that lost every judgment through exclusions are reported, never silently gone
    if len(exclusion_table):
        original_items = pd.Index(pd.unique(raw[resolved["item_id"]].dropna()))
        remaining = pd.Index(pd.unique(frame["item_id"]))
        if aggregates is not None:
            remaining = remaining.union(pd.Index(pd.unique(aggregates["item_id"])))
        lost = original_items.difference(remaining)
        if len(lost):
            notes.append(f"{len(lost):,} items have no judgments left after exclusions (e.g. {list(lost[:3])})")
    if frame.empty and aggregates is None:
        empty = FailureCollector()
        empty.add_table(None, "no judgments left after exclusions", "fix the excluded rows")
        raise empty.error()
    if resolved_scale is None:  # pragma: no cover - value rows imply a scale or an error above
        raise RuntimeError("internal error: no scale resolved")
    ordered = [c for c in ("item_id", "rater_id", "method", "value", "system", "system_a", "system_b", "vendor",
                           "timestamp", "gold", "weight") if c in frame.columns]
    ordered += [c for c in frame.columns if c not in ordered]
    judgments = Judgments(
        frame[ordered],
        resolved_scale,
        segments=segment_columns,
        aggregates=aggregates,
        exclusions=exclusion_table,
        notes=notes,
        abstentions=abstentions,
    )
    _prime_cached_views(judgments, frame["source_row"].to_numpy(), len(raw), id_factors,
                        label_codes_all, no_repeats=duplicates != "keep_all")
    return judgments


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _constant_text(text: str, n_rows: int) -> Any:
    """A column holding ``text`` on every row, with the dtype pandas gives text (built by pyarrow in
    one step when that dtype is arrow-backed: assigning the scalar takes ~10x longer on millions of rows)."""
    dtype = pd.Series([text]).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        return pd.array(pa.repeat(pa.scalar(text, type=pa.large_string()), n_rows), dtype=dtype)
    return text


def _repeated_pairs(
    item_factor: tuple[np.ndarray, Any], rater_factor: tuple[np.ndarray, Any], positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``positions``: rows repeated later (``keep="last"`` drops them) and rows repeated anywhere.

    One integer key per (item, rater) instead of a two-column ``DataFrame.duplicated`` (several
    times faster on millions of rows).
    """
    n_raters = int(rater_factor[0].max(initial=-1)) + 1
    n_items = int(item_factor[0].max(initial=-1)) + 1
    item_codes, rater_codes = item_factor[0], rater_factor[0]
    if len(positions) != len(item_codes):  # (no gather when every row takes part)
        item_codes, rater_codes = item_codes[positions], rater_codes[positions]
    key = item_codes * np.int64(n_raters) + rater_codes
    n_cells = n_items * n_raters
    by_rater = rater_codes * np.int64(n_items) + item_codes
    if _strictly_increasing(key) or _strictly_increasing(by_rater):  # tables sorted by item or by rater
        no_repeats = np.zeros(len(key), dtype=bool)
        return no_repeats, no_repeats
    if n_cells <= 8 * len(key) + 1_000_000:  # a count array no larger than a few copies of the rows
        dup_any = np.bincount(key, minlength=n_cells)[key] > 1
    else:
        dup_any = pd.Series(key).duplicated(keep=False).to_numpy()
    if not dup_any.any():
        return dup_any, dup_any
    return pd.Series(key).duplicated(keep="last").to_numpy(), dup_any


def _strictly_increasing(values: np.ndarray) -> bool:
    return bool(values.size < 2 or (values[1:] > values[:-1]).all())


def _factorize_sorted(column: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(column, sort=True)`` (missing -> -1) by a hash factorisation and a sort of the
    uniques only; sorted codes also let the repeat check take its O(n) path on sorted tables."""
    values = column.to_numpy() if isinstance(column.dtype, np.dtype) else None
    if values is not None and values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < 4 * values.size + 1024:
            # small non-negative integer ids: a presence table gives the sorted codes in O(n) without hashing
            present = np.zeros(high + 1, dtype=bool)
            present[values] = True
            rank = np.cumsum(present, dtype=np.int64) - 1
            return rank[values], np.flatnonzero(present).astype(values.dtype)
    codes, uniques = pd.factorize(column)
    try:
        rank, sorted_uniques = pd.factorize(uniques, sort=True)
    except TypeError:  # ids that cannot be sorted (mixed types are reported by the validation)
        return codes.astype(np.int64), None
    rank = np.append(rank.astype(np.int64), np.int64(-1))  # code -1 (missing) stays -1
    return rank[codes], sorted_uniques


def _sorted_factor(factor: tuple[np.ndarray, Any], kept: np.ndarray | None, name: str) -> tuple[np.ndarray, pd.Index]:
    """The table's ``(codes, index)`` from the load-time factorisation, compacted to the rows kept."""
    codes, uniques = factor
    if kept is not None:
        codes = codes[kept]
        used = np.bincount(codes, minlength=len(uniques)) > 0
        if not used.all():  # rows were dropped: compact the codes to the ids left (order is kept)
            uniques = uniques[used]
            codes = (np.cumsum(used) - 1)[codes]
    return codes, pd.Index(uniques, name=name)


def _prime_cached_views(
    judgments: Judgments,
    source_rows: np.ndarray,
    n_loaded: int,
    id_factors: dict[str, tuple[np.ndarray, Any]],
    label_codes: np.ndarray | None,
    *,
    no_repeats: bool,
) -> None:
    """Store the item/rater/label codes computed during validation as the table's cached views, so
    the first statistic on a freshly loaded table does not factorise millions of ids again.

    Equal to what the cached properties compute (tests/test_agreement_speed.py checks it); skipped
    if anything is unexpected, leaving the properties to compute lazily.
    """
    if len(source_rows) == 0:
        return
    kept = None if len(source_rows) == n_loaded else source_rows  # rows are never reordered
    usable = all(factor[1] is not None and (factor[0][source_rows if kept is not None else slice(None)] >= 0).all()
                 for factor in id_factors.values())
    if usable:  # else (unsortable ids) the properties compute lazily, as before
        judgments.__dict__["_item_factor"] = _sorted_factor(id_factors["item_id"], kept, "item_id")
        judgments.__dict__["_rater_factor"] = _sorted_factor(id_factors["rater_id"], kept, "rater_id")
    if label_codes is not None:
        codes = label_codes if kept is None else label_codes[kept]
        if (codes >= 0).all():
            judgments.__dict__["label_codes"] = codes
    if no_repeats:
        judgments.__dict__["_has_repeated_pairs"] = False
    # validated here: values are the scale's label objects, one method per rater (data_hash's fast path)
    judgments.__dict__["_loaded_consistent"] = True


def _has_table_level(collector: FailureCollector) -> bool:
    """Whether a problem has no row to drop (missing column, scale not inferable ...): always raises."""
    return bool(collector.failures()["row"].isna().any())


def _scale_from_data(
    requested: str | None, values: pd.Series, collector: FailureCollector, notes: list[str]
) -> Scale | None:
    observed = values.dropna()
    if requested is None:
        inferred, reason = infer_scale(values)
        if inferred is None:
            collector.add_table(
                "value", f"cannot infer the scale ({reason})",
                "pass scale=Scale.categorical([...]), Scale.ordinal([...]), Scale.continuous(low, high) "
                "or a scale name such as scale='categorical'",
            )
            return None
        notes.append(f"scale inferred as {inferred.describe()} ({reason}); pass scale=... to override")
        return inferred
    try:
        if requested == "continuous":
            return Scale.continuous()
        if requested == "pairwise":
            return Scale.pairwise()
        levels = list(pd.unique(observed))
        try:
            levels = sorted(levels)
        except TypeError:
            levels = sorted(levels, key=str)
        if requested == "binary":
            return Scale.binary(levels)
        if requested == "ordinal":
            notes.append(f"ordinal levels taken from the data in sorted order: {levels[:12]}")
            return Scale.ordinal(levels)
        return Scale.categorical(levels)
    except ValueError as exc:
        collector.add_table("value", f"the values do not fit scale={requested!r}: {exc}",
                            "check the value column or pass an explicit Scale")
        return None


def _check_constant_within(
    frame: pd.DataFrame,
    clean: np.ndarray,
    key: str,
    column: str,
    rows: np.ndarray,
    collector: FailureCollector,
    fix: str,
    *,
    key_codes: np.ndarray | None = None,
) -> np.ndarray:
    """Flag keys (raters, items) that carry more than one value of ``column``.

    Returns the mask of every (clean) row of an offending key: the rows ``on_invalid="drop"`` excludes.
    """
    none = np.zeros(len(frame), dtype=bool)
    if key_codes is not None:
        # fast pass on integer codes: distinct (key, value) pairs per key; pandas only on failure
        value_codes, value_uniques = pd.factorize(frame[column])
        usable = clean & (value_codes >= 0) & (key_codes >= 0)
        n_values = max(len(value_uniques), 1)
        pairs = pd.unique(key_codes[usable] * np.int64(n_values) + value_codes[usable])
        if not (np.bincount(pairs // n_values) > 1).any():
            return none
    sub = frame.loc[clean & frame[column].notna().to_numpy(), [key, column]]
    if sub.empty:
        return none
    n_values = sub.groupby(key, sort=False)[column].transform("nunique")
    offending = n_values.to_numpy() > 1
    if not offending.any():
        return none
    positions = sub.index[offending]
    out = clean & frame[key].isin(pd.unique(sub.loc[positions, key])).to_numpy()
    first_keys = sub.loc[positions, key].drop_duplicates().head(1000)
    shown = sub.loc[sub[key].isin(first_keys)].drop_duplicates()
    collector.add_rows(
        column,
        rows[frame.index.get_indexer(shown.index)],
        shown[key].astype(str) + " -> " + shown[column].astype(str),
        f"one {key} has several values of {column!r}",
        fix,
    )
    return out


def _abstain_mask(values: pd.Series, abstain: Sequence[Any]) -> np.ndarray:
    """Rows whose value is one of ``abstain`` (stripped, case-insensitive text; ``None`` = missing)."""
    if isinstance(abstain, str):  # abstain="invalid" means one value, not its characters
        abstain = [abstain]
    wanted = {str(v).strip().lower() for v in abstain if v is not None and not (isinstance(v, float) and math.isnan(v))}
    missing_too = any(v is None or (isinstance(v, float) and math.isnan(v)) for v in abstain)
    codes, uniques = pd.factorize(values)  # one lookup per distinct value
    hit = np.array([str(u).strip().lower() in wanted for u in uniques] + [missing_too], dtype=bool)
    return hit[codes]  # code -1 (missing) takes the last entry


def _check_orders(frame: pd.DataFrame, flag: Callable[..., None], collector: FailureCollector) -> None:
    """``order`` values: "original"/"swapped" (case-insensitive), and a ``pair_id`` column beside them."""
    if "pair_id" not in frame.columns:
        collector.add_table("order", "an 'order' column needs a 'pair_id' column naming the comparison of the "
                            "two presentations", "add a 'pair_id' column (or pass pair_id='<your column>')")
        raise collector.error()
    text = frame["order"].astype(object).where(frame["order"].notna(), None)
    normalised = text.map(lambda v: None if v is None else str(v).strip().lower())
    flag("order", ~normalised.isin(ORDER_VALUES).to_numpy(),
         "order must be 'original' or 'swapped'",
         "write 'original' for the presentation as listed and 'swapped' for the one with A and B exchanged")
    frame["order"] = normalised.where(normalised.isin(ORDER_VALUES), frame["order"]).to_numpy()
    flag("pair_id", frame["pair_id"].isna().to_numpy(), "missing pair_id for a row with an order",
         "give both presentations of a comparison the same pair_id")


def _check_pair_orders(frame: pd.DataFrame, clean: np.ndarray, rows: np.ndarray, record: Callable[..., None],
                       collector: FailureCollector) -> None:
    """Per rater, a ``pair_id`` holds at most one original and one swapped item."""
    sub = frame.loc[clean, ["pair_id", "rater_id", "order", "item_id"]].dropna()
    if sub.empty:
        return
    n_items = sub.groupby(["pair_id", "rater_id", "order"], sort=False)["item_id"].transform("nunique")
    offending = n_items.to_numpy() > 1
    if not offending.any():
        return
    positions = sub.index[offending]
    shown = (frame.loc[positions, "pair_id"].astype(str) + " / " + frame.loc[positions, "rater_id"].astype(str)
             + " / " + frame.loc[positions, "order"].astype(str) + ": item " + frame.loc[positions, "item_id"].astype(str))
    problem = "a pair_id has several items in the same order for one rater"
    fix = "a comparison has two presentations (one 'original' item, one 'swapped' item): give each its own pair_id"
    collector.add_rows("pair_id", rows[positions], shown, problem, fix)
    record("pair_id", np.asarray(positions), shown.to_numpy(dtype=object), problem, fix)


def _unclaim_judge_columns(raw: pd.DataFrame, mapping: dict[str, str | None], resolved: dict[str, str],
                           notes: list[str]) -> None:
    """Columns recognised by *name* as ``order``/``strategy``/``judge_model`` that do not hold what those
    roles mean (an ``order`` column without original/swapped values or without a ``pair_id`` column; a
    ``strategy`` that varies within a rater) stay
    ordinary columns, with a note: a table that had such a column before they were recognised loads as
    it did. Mapped by keyword, they are validated (and fail with the row named)."""
    if mapping.get("order") is None and "order" in resolved:
        values = raw[resolved["order"]].dropna().astype(str).str.strip().str.lower()
        if not set(values.unique()) & set(ORDER_VALUES) or "pair_id" not in resolved:
            notes.append(f"column {resolved['order']!r} is not read as the presentation order (no original/swapped "
                         "values, or no pair_id column); pass order= to use it as one")
            del resolved["order"]
    rater_column = resolved.get("rater_id")
    for canonical in ("strategy", "judge_model"):
        if mapping.get(canonical) is None and canonical in resolved and rater_column is not None:
            per_rater = raw.groupby(raw[rater_column].astype(str), sort=False)[resolved[canonical]].nunique()
            if (per_rater > 1).any():
                notes.append(f"column {resolved[canonical]!r} varies within a rater, so it is not read as the "
                             f"judge configuration's {canonical}; pass {canonical}= to use it as one")
                del resolved[canonical]
