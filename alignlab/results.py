"""Result base types shared by every alignlab statistic.

Every statistic returns a frozen, keyword-only dataclass derived from :class:`EstimateResult`: the
estimate, its interval and how both were computed. Families (agreement, alignment, ...) subclass it and
add their own fields; ``to_frame()`` always yields the base columns first, in the same order, with NaN
where a field does not apply, so results from different functions concatenate into one tidy table.

Results never round: formatting lives in ``__str__`` / ``_repr_html_`` and in the report layer.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["EstimateResult", "TableResult", "Summary", "results_to_frame", "format_estimate"]

BASE_COLUMNS: tuple[str, ...] = (
    "statistic",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence_level",
    "standard_error",
    "method",
    "ci_method",
    "n_items",
    "n_raters",
    "warnings",
)


def format_estimate(estimate: float, ci_low: float, ci_high: float, confidence_level: float) -> str:
    """``0.712 (95% CI 0.650 to 0.771)``; used by every ``__str__`` and by the report."""
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return "n/a"
    text = f"{estimate:.3g}" if abs(estimate) >= 1000 else f"{estimate:.3f}"
    if ci_low is not None and not (isinstance(ci_low, float) and math.isnan(ci_low)):
        text += f" ({confidence_level:.0%} CI {ci_low:.3f} to {ci_high:.3f})"
    return text


@dataclass(frozen=True)
class Summary:
    """What every result's ``summary()`` returns (statsmodels-style).

    Attributes
    ----------
    title : str
        One line naming the analysis.
    lines : tuple of str
        The decision-ready sentences, in reading order.
    tables : tuple of (str, DataFrame)
        Captioned tables (unrounded; rounding happens when rendered).
    warnings : tuple of str
        What the reader must know before trusting the numbers.

    ``as_text()`` / ``str()`` render plain text, ``as_html()`` / ``_repr_html_`` escaped HTML.

    >>> s = Summary("Example", lines=("alpha is 0.71.",), tables=(("t", pd.DataFrame({"a": [1.23456]})),))
    >>> print(s.as_text())
    Example
    =======
    alpha is 0.71.
    <BLANKLINE>
    t
          a
    0  1.235
    """

    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("lines", "tables", "warnings"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def as_text(self) -> str:
        out = [self.title, "=" * len(self.title), *self.lines]
        for caption, table in self.tables:
            with pd.option_context("display.max_rows", 40, "display.width", 120, "display.precision", 3):
                out += ["", caption, str(table)]
        out += [f"warning: {w}" for w in self.warnings]
        return "\n".join(out)

    def as_html(self) -> str:
        parts = [f"<div class='alignlab-summary'><h4>{html.escape(self.title)}</h4>"]
        parts += [f"<p>{html.escape(line)}</p>" for line in self.lines]
        for caption, table in self.tables:
            parts.append(
                f"<p><strong>{html.escape(caption)}</strong></p>"
                + table.to_html(escape=True, na_rep="", float_format=lambda x: f"{x:.4g}")
            )
        parts += [f"<p class='warning'>warning: {html.escape(w)}</p>" for w in self.warnings]
        parts.append("</div>")
        return "".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


def _drop_zero_width_interval(result: Any) -> None:
    """A zero-width interval (a degenerate resample, a zero standard error from one item) supports
    nothing: it becomes NaN with a warning, so no result ever prints "0.000 (95% CI 0.000 to 0.000)"."""
    try:
        low, high = float(result.ci_low), float(result.ci_high)
    except (TypeError, ValueError):
        return
    if not (math.isfinite(low) and math.isfinite(high)) or high - low > 1e-12 * max(1.0, abs(low), abs(high)):
        return
    object.__setattr__(result, "ci_low", math.nan)
    object.__setattr__(result, "ci_high", math.nan)
    object.__setattr__(result, "warnings", (*result.warnings, (
        f"the {result.ci_method} interval had zero width ({low:.4g} to {high:.4g}): the data cannot support "
        "an interval (too few items or degenerate resamples), so it is not computable (NaN)")))


def _table_interval_pairs(table: pd.DataFrame) -> list[tuple[str, str]]:
    """``(low, high)`` columns of the intervals in a result table: ``ci_low``/``ci_high`` beside an
    ``estimate``, and ``x_low``/``x_high`` beside ``x`` (so label-named columns are never bounds)."""
    pairs = []
    columns = set(table.columns)
    if {"estimate", "ci_low", "ci_high"} <= columns:
        pairs.append(("ci_low", "ci_high"))
    for column in table.columns:
        if isinstance(column, str) and column.endswith("_low") and column != "ci_low":
            stem = column[: -len("_low")]
            if stem in columns and f"{stem}_high" in columns:
                pairs.append((column, f"{stem}_high"))
    return pairs


def _drop_zero_width_rows(result: Any) -> None:
    """Rows of a result table whose interval has zero width get NaN bounds and one warning: the same
    rule as :class:`EstimateResult` (a degenerate resample supports no interval)."""
    table = getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame) or table.empty:
        return
    changed, n_rows = None, 0
    for low, high in _table_interval_pairs(table):
        if not (pd.api.types.is_float_dtype(table[low]) and pd.api.types.is_float_dtype(table[high])):
            continue
        lo, hi = table[low].to_numpy(dtype=float), table[high].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(lo) & np.isfinite(hi) & ~(hi - lo > 1e-12 * np.maximum(1.0, np.maximum(abs(lo), abs(hi))))
        if bad.any():
            changed = table.copy() if changed is None else changed
            changed.loc[bad, [low, high]] = np.nan
            n_rows += int(bad.sum())
    if changed is not None:
        object.__setattr__(result, "table", changed)
        object.__setattr__(result, "warnings", (*result.warnings, (
            f"{n_rows} interval(s) in the table had zero width (a degenerate resample or a zero standard error): "
            "the data cannot support them, so those rows have no interval (NaN)")))


@dataclass(frozen=True, kw_only=True)
class EstimateResult:
    """One estimate with its uncertainty and provenance.

    Attributes
    ----------
    estimate : float
        The point estimate.
    ci_low, ci_high : float
        Interval bounds (NaN when no interval was requested, ``ci_method="none"``).
    confidence_level : float
        Nominal coverage of the interval.
    method : str
        The exact variant computed, e.g. ``"krippendorff_alpha[interval]"``.
    ci_method : str
        How the interval was computed, e.g. ``"bootstrap-bca(items, 2000)"``, ``"analytic(gwet)"``.
    n_items, n_raters : int
        Units and raters that entered the computation.
    standard_error : float
        Standard error of the estimate when available, else NaN.
    warnings : tuple of str
        Anything the user should know (small samples, excluded rows, non-convergence).
    """

    statistic: ClassVar[str] = "estimate"

    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    confidence_level: float = 0.95
    method: str = ""
    ci_method: str = "none"
    n_items: int = 0
    n_raters: int = 0
    standard_error: float = math.nan
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Accept a list for convenience but keep the dataclass hashable and immutable.
        if not isinstance(self.warnings, tuple):
            object.__setattr__(self, "warnings", tuple(self.warnings))
        _drop_zero_width_interval(self)

    # -- views ------------------------------------------------------------------------------------
    def _extra_fields(self) -> dict[str, Any]:
        base = set(BASE_COLUMNS)
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in base or not f.repr:
                continue
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame | pd.Series | np.ndarray | dict | list):
                continue  # tables are exposed as attributes, not flattened into one row
            out[f.name] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "statistic": self.statistic,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence_level": self.confidence_level,
            "standard_error": self.standard_error,
            "method": self.method,
            "ci_method": self.ci_method,
            "n_items": self.n_items,
            "n_raters": self.n_raters,
            "warnings": "; ".join(self.warnings),
        }
        row.update(self._extra_fields())
        return row

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame: the base columns first (same for every result), then extras."""
        return pd.DataFrame([self.to_dict()])

    def paragraph(self) -> str:
        """The estimate in one sentence: what, on how many items, the number with its interval, how."""
        number = format_estimate(self.estimate, self.ci_low, self.ci_high, self.confidence_level)
        text = f"{self.method or self.statistic} on {self.n_items:,} items: {number}"
        if self.ci_method and self.ci_method != "none":
            text += f", interval by {self.ci_method}"
        return text + "."

    def summary(self) -> Summary:
        """The estimate in one sentence, with how its interval was computed."""
        sentence = f"{self.method or self.statistic}: " + format_estimate(
            self.estimate, self.ci_low, self.ci_high, self.confidence_level
        )
        how = f"Interval: {self.ci_method}; n_items={self.n_items}, n_raters={self.n_raters}."
        return Summary(self.method or self.statistic, lines=(sentence, how), warnings=self.warnings)

    def __str__(self) -> str:
        head = f"{self.method or self.statistic}: " + format_estimate(
            self.estimate, self.ci_low, self.ci_high, self.confidence_level
        )
        lines = [head, f"  interval: {self.ci_method}; n_items={self.n_items}, n_raters={self.n_raters}"]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        frame = self.to_frame().T.rename(columns={0: "value"})
        return (
            f"<div><strong>{html.escape(self.method or self.statistic)}</strong>"
            f"{frame.to_html(escape=True, na_rep='')}</div>"
        )


@dataclass(frozen=True, kw_only=True)
class TableResult:
    """Base for results whose main output is a tidy table (one row per rater, slice, segment...).

    Subclasses set ``table`` to the frame; ``to_frame()`` returns a copy of it.
    """

    table: pd.DataFrame = field(repr=False)
    method: str = ""
    confidence_level: float = 0.95
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not isinstance(self.warnings, tuple):
            object.__setattr__(self, "warnings", tuple(self.warnings))
        _drop_zero_width_rows(self)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> Summary:
        """The table under its method's name (subclasses add their decision-ready sentences)."""
        return Summary(self.method, tables=(("", self.table),), warnings=self.warnings)

    def __str__(self) -> str:
        with pd.option_context("display.max_rows", 30, "display.width", 120, "display.precision", 3):
            body = str(self.table)
        lines = [f"{self.method}", body] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>{html.escape(self.method)}</strong>"
            f"{self.table.to_html(escape=True, na_rep='', float_format=lambda x: f'{x:.4g}')}</div>"
        )


def results_to_frame(results: list[EstimateResult] | dict[str, EstimateResult]) -> pd.DataFrame:
    """Concatenate several results into one tidy frame (``dict`` keys become a ``name`` column)."""
    if isinstance(results, dict):
        frames = [r.to_frame().assign(name=k) for k, r in results.items()]
    else:
        frames = [r.to_frame() for r in results]
    if not frames:
        return pd.DataFrame(columns=list(BASE_COLUMNS))
    return pd.concat(frames, ignore_index=True)
