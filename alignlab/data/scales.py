"""Measurement scales of judgments: binary, categorical, ordinal, continuous, pairwise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._params import DataError

__all__ = ["Scale", "ScaleKind", "PAIRWISE_LABELS"]

ScaleKind = Literal["binary", "categorical", "ordinal", "continuous", "pairwise"]

#: canonical pairwise labels: first output preferred, second preferred, tie
PAIRWISE_LABELS: tuple[str, str, str] = ("A", "B", "tie")

# Spellings accepted for pairwise preferences, mapped to the canonical labels.
_PAIRWISE_ALIASES: dict[str, str] = {
    "a": "A", "1": "A", "first": "A", "left": "A", "response1": "A", "model_a": "A",
    "b": "B", "2": "B", "second": "B", "right": "B", "response2": "B", "model_b": "B",
    "tie": "tie", "0": "tie", "draw": "tie", "equal": "tie", "both": "tie", "none": "tie", "=": "tie",
}


def _key(value: Any) -> Any:
    """Normalise a label for lookup: 1, 1.0, np.int64(1) and True all compare as numbers."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else float(value)
    return value


@dataclass(frozen=True)
class Scale:
    """The measurement scale of the ``value`` column.

    Use the constructors: ``Scale.binary()``, ``Scale.categorical(labels)``, ``Scale.ordinal(levels)``,
    ``Scale.continuous(low, high)``, ``Scale.pairwise()``.

    Examples
    --------
    >>> Scale.ordinal([1, 2, 3, 4, 5]).n_categories
    5
    >>> Scale.continuous(0, 100).contains(101.0)
    False
    """

    kind: ScaleKind
    labels: tuple[Any, ...] = ()
    low: float = -math.inf
    high: float = math.inf
    _index: dict[Any, int] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {_key(v): i for i, v in enumerate(self.labels)})

    # -- constructors -------------------------------------------------------------------------------
    @classmethod
    def binary(cls, labels: Sequence[Any] = (0, 1)) -> Scale:
        """Two classes; the second label is the positive class (pass, thumbs up, 1)."""
        labels = tuple(labels)
        _check_distinct(labels, "binary scale", "label")
        if len(labels) != 2:
            raise DataError(f"A binary scale needs exactly two distinct labels, got {labels!r}.")
        return cls("binary", labels)

    @classmethod
    def categorical(cls, labels: Sequence[Any]) -> Scale:
        """Unordered classes (nominal)."""
        labels = tuple(labels)
        _check_distinct(labels, "categorical scale", "label")
        if len(labels) < 2:
            raise DataError(f"A categorical scale needs at least two distinct labels, got {labels!r}.")
        return cls("categorical", labels)

    @classmethod
    def ordinal(cls, levels: Sequence[Any]) -> Scale:
        """Ordered levels, lowest first (e.g. a Likert scale 1..5)."""
        levels = tuple(levels)
        _check_distinct(levels, "ordinal scale", "level")
        if len(levels) < 2:
            raise DataError(f"An ordinal scale needs at least two distinct levels, got {levels!r}.")
        return cls("ordinal", levels)

    @classmethod
    def continuous(cls, low: float = -math.inf, high: float = math.inf) -> Scale:
        """Real-valued scores, optionally bounded (bounds are inclusive)."""
        if not low < high:
            raise DataError(f"A continuous scale needs low < high, got low={low!r}, high={high!r}.")
        return cls("continuous", (), float(low), float(high))

    @classmethod
    def pairwise(cls) -> Scale:
        """A/B/tie preference between two outputs: ``"A"`` (first better), ``"B"``, ``"tie"``.

        Common spellings are accepted when loading (1/2/0, first/second/tie, ...).
        """
        return cls("pairwise", PAIRWISE_LABELS)

    # -- properties ---------------------------------------------------------------------------------
    @property
    def is_discrete(self) -> bool:
        return self.kind != "continuous"

    @property
    def is_ordered(self) -> bool:
        """True when the values have a meaningful order (ordinal, continuous, binary)."""
        return self.kind in ("ordinal", "continuous", "binary")

    @property
    def n_categories(self) -> int:
        return len(self.labels)

    def contains(self, value: Any) -> bool:
        if self.kind == "continuous":
            return self.low <= float(value) <= self.high
        return _key(value) in self._index

    def describe(self) -> str:
        if self.kind == "continuous":
            return f"continuous [{self.low:g}, {self.high:g}]"
        shown = ", ".join(str(v) for v in self.labels[:12]) + (", ..." if len(self.labels) > 12 else "")
        return f"{self.kind} ({shown})"

    def __str__(self) -> str:
        return self.describe()

    # -- encoding -----------------------------------------------------------------------------------
    def normalise_pairwise(self, values: pd.Series) -> pd.Series:
        """Map accepted pairwise spellings onto ``"A"``/``"B"``/``"tie"`` (unknown values kept)."""
        # map the distinct values once and index back (a per-row Python map is slow on millions of rows)
        codes, uniques = pd.factorize(values)
        mapped_uniques = np.array([_PAIRWISE_ALIASES.get(_pairwise_text(v)) for v in uniques], dtype=object)
        mapped = np.full(len(values), None, dtype=object)
        present = codes >= 0
        mapped[present] = mapped_uniques[codes[present]]
        mapped = pd.Series(mapped, index=values.index)
        return mapped.where(mapped.notna(), values)

    def encode(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Integer codes 0..K-1 for discrete scales (-1 for values not on the scale).

        For continuous scales returns the values as float64.
        """
        series = pd.Series(values)
        if self.kind == "continuous":
            return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        if self.kind == "pairwise":
            series = self.normalise_pairwise(series)
        # look up each distinct value once and index back: values equal under Python equality
        # (1, 1.0, True) share one unique and also one _key, so this equals a per-row lookup
        uniques_codes, uniques = pd.factorize(series)  # missing values get -1
        lookup = np.fromiter((self._index.get(_key(v), -1) if not _isna(v) else -1 for v in uniques),
                             dtype=np.int64, count=len(uniques))
        lookup = np.append(lookup, np.int64(-1))  # code -1 (missing) indexes this last entry
        return lookup[uniques_codes]

    def numeric_levels(self) -> np.ndarray:
        """Numeric value of each label where it has one (ordinal/binary numbers), else 0..K-1.

        Used by statistics that need distances between levels (weighted kappa, interval alpha).
        """
        try:
            return np.array([float(v) for v in self.labels])
        except (TypeError, ValueError):
            return np.arange(self.n_categories, dtype=float)


def _check_distinct(labels: tuple[Any, ...], what: str, noun: str) -> None:
    """Name the repeated label (``Scale.ordinal([1, 1, 2])``: level 1 is repeated)."""
    seen: dict[Any, Any] = {}
    for value in labels:
        key = _key(value)
        if key in seen:
            same = "" if repr(seen[key]) == repr(value) else f" (as {seen[key]!r} and {value!r}, equal as labels)"
            raise DataError(f"The {what} repeats the {noun} {value!r}{same} in {labels!r}; list each {noun} once.")
        seen[key] = value


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _pairwise_text(value: Any) -> Any:
    if _isna(value):
        return value
    key = _key(value)
    return str(key).strip().lower()


def infer_scale(values: pd.Series) -> tuple[Scale | None, str]:
    """Infer the scale when it is obvious; otherwise return ``(None, reason)``.

    Rules: booleans or exactly {0, 1} -> binary; non-integer numbers -> continuous (unbounded);
    integers with at most 11 distinct values -> ordinal over the observed levels; more integers ->
    continuous; strings that are all pairwise spellings -> pairwise; other strings with at most 50
    distinct values -> categorical.
    """
    observed = values.dropna()
    if observed.empty:
        return None, "the value column has no non-missing values"
    if pd.api.types.is_bool_dtype(observed):
        return Scale.binary((False, True)), "boolean values"
    if pd.api.types.is_numeric_dtype(observed):
        numbers = observed.to_numpy(dtype=float)
        finite = numbers[np.isfinite(numbers)]
        if finite.size == 0:
            return None, "the value column has no finite values"
        distinct = np.sort(pd.unique(finite))  # hash, then sort the few distinct values (O(n))
        if set(distinct.tolist()) <= {0.0, 1.0} and distinct.size == 2:
            return Scale.binary((0, 1)), "values are 0/1"
        if np.all(distinct == np.round(distinct)):
            if distinct.size <= 11:
                levels = tuple(int(v) for v in distinct)
                return Scale.ordinal(levels), f"{distinct.size} integer levels"
            return Scale.continuous(), f"{distinct.size} distinct integer values"
        return Scale.continuous(), "non-integer numbers"
    texts = observed.astype(str).str.strip().str.lower()
    distinct_text = set(texts.unique())
    if distinct_text <= set(_PAIRWISE_ALIASES) and distinct_text & {"a", "b"}:
        return Scale.pairwise(), "A/B/tie labels"
    if distinct_text <= {"true", "false"}:
        return Scale.binary(("false", "true")), "true/false labels"
    n_distinct = observed.nunique()
    if 2 <= n_distinct <= 50:
        labels = tuple(sorted(observed.unique(), key=str))
        return Scale.categorical(labels), f"{n_distinct} text labels"
    return None, f"{n_distinct} distinct text values"
