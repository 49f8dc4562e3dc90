"""The single error type for bad judgments tables, carrying a table of every failure case."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alignlab._params import AlignlabError

__all__ = ["JudgmentsValidationError", "FailureCollector", "FAILURE_COLUMNS", "MatrixTooLargeError"]

FAILURE_COLUMNS = ["row", "column", "value", "problem", "fix"]
# Failure rows kept per (column, problem); the count of all is kept regardless.
_MAX_ROWS_PER_PROBLEM = 1000


class JudgmentsValidationError(AlignlabError, ValueError):
    """The judgments table has problems; ``failures`` lists every one.

    Attributes
    ----------
    failures : pandas.DataFrame
        One row per failure case: ``row`` (0-based row of the input, ``<NA>`` for table-level
        problems), ``column``, ``value``, ``problem``, ``fix``. At most 1,000 rows are kept per
        (column, problem); ``counts`` has the full numbers.
    counts : pandas.DataFrame
        ``column``, ``problem``, ``fix``, ``n_rows``: how many rows have each problem.
    """

    def __init__(self, failures: pd.DataFrame, counts: pd.DataFrame) -> None:
        self.failures = failures.reset_index(drop=True)
        self.counts = counts.reset_index(drop=True)
        super().__init__(self._message())

    def _message(self) -> str:
        n_problems = len(self.counts)
        lines = [f"The judgments table has {n_problems} problem{'s' if n_problems != 1 else ''}:"]
        for record in self.counts.itertuples(index=False):
            examples = self.failures[
                (self.failures["column"].astype(str) == str(record.column))
                & (self.failures["problem"] == record.problem)
            ].head(3)
            where = ""
            if examples["row"].notna().any():
                shown = ", ".join(
                    f"row {int(r)} ({_short(v)})" for r, v in zip(examples["row"], examples["value"], strict=True)
                    if pd.notna(r)
                )
                more = record.n_rows - len(examples)
                where = f" [{shown}{f', and {more} more' if more > 0 else ''}]"
            column = "" if record.column is None or pd.isna(record.column) else f"column {record.column!r}: "
            lines.append(f"- {column}{record.problem}{where}. Fix: {record.fix}")
        lines.append("The full table of failure cases is in the error's .failures attribute.")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class MatrixTooLargeError(MemoryError):
    """A dense view (``Judgments.matrix()``) would take more memory than its stated budget.

    The message gives the size and the fix (``sparse=True``, or a larger ``max_bytes=``).
    """


class FailureCollector:
    """Collects failures from vectorised checks, then raises them all at once."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self._counts: list[dict[str, Any]] = []

    def add_table(self, column: str | None, problem: str, fix: str) -> None:
        """A table-level problem (no particular row)."""
        self._parts.append(
            pd.DataFrame({"row": [pd.NA], "column": [column], "value": [None], "problem": [problem], "fix": [fix]})
        )
        self._counts.append({"column": column, "problem": problem, "fix": fix, "n_rows": 0})

    def add_rows(self, column: str, rows: Any, values: Any, problem: str, fix: str) -> None:
        """Row-level failures: ``rows`` are 0-based input row numbers, ``values`` the offending values."""
        rows = pd.Series(rows).reset_index(drop=True)
        if rows.empty:
            return
        values = pd.Series(values, dtype=object).reset_index(drop=True)
        kept = min(len(rows), _MAX_ROWS_PER_PROBLEM)
        self._parts.append(
            pd.DataFrame(
                {
                    "row": rows.iloc[:kept].astype("Int64"),
                    "column": column,
                    "value": values.iloc[:kept],
                    "problem": problem,
                    "fix": fix,
                }
            )
        )
        self._counts.append({"column": column, "problem": problem, "fix": fix, "n_rows": int(len(rows))})

    def __bool__(self) -> bool:
        return bool(self._counts)

    def failures(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame(columns=FAILURE_COLUMNS)
        return pd.concat(self._parts, ignore_index=True)[FAILURE_COLUMNS]

    def counts(self) -> pd.DataFrame:
        return pd.DataFrame(self._counts, columns=["column", "problem", "fix", "n_rows"])

    def error(self) -> JudgmentsValidationError:
        return JudgmentsValidationError(self.failures(), self.counts())

    def raise_if_any(self) -> None:
        if self:
            raise self.error()
