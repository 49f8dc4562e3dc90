"""Version comparisons (forest plot of differences by verdict) and trends over runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["VersionComparisonDisplay", "TrendDisplay"]

_VERDICT_COLOURS = {"regression": "#c5221f", "improvement": "#188038", "no detectable change": "#5b6475",
                    "underpowered": "#e8a33d"}


def _shorten(text: str, width: int = 52) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class VersionComparisonDisplay(Display):
    """Forest plot: candidate - baseline per (metric, rater, segment) with its interval, coloured by verdict.

    Parameters
    ----------
    table : DataFrame
        ``metric``, ``rater``, ``segment``, ``difference``, ``ci_low``, ``ci_high``, ``verdict``
        (the frame of :class:`alignlab.compare.VersionComparison`).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"metric": ["helpfulness"], "rater": ["human"], "segment": ["locale=ja"],
    ...                       "difference": [-0.06], "ci_low": [-0.09], "ci_high": [-0.03], "verdict": ["regression"]})
    >>> display = VersionComparisonDisplay(frame).plot()
    >>> len(display.ax_.collections) > 0
    True
    >>> svg = display.to_svg()  # closes the figure
    """

    def __init__(self, table: pd.DataFrame, *, title: str | None = None) -> None:
        self.table = table
        self.title = title

    @classmethod
    def from_result(cls, result: Any, *, top: int = 25) -> VersionComparisonDisplay:
        """The ``top`` rows: detected changes first (by q), then the rest by |difference|."""
        table = result.to_frame()
        changed = table["verdict"].isin(["regression", "improvement"])
        ordered = pd.concat([table[changed].sort_values("q_value"),
                             table[~changed].reindex(table[~changed]["difference"].abs()
                                                     .sort_values(ascending=False).index)])
        return cls(ordered.head(top), title=f"{result.candidate} − {result.baseline} ({result.confidence_level:.0%} "
                                             "intervals)")

    def plot(self, ax: Any = None, **kwargs: Any) -> VersionComparisonDisplay:
        frame = self.table.iloc[::-1]
        multi_rater = frame["rater"].nunique() > 1
        multi_metric = frame["metric"].nunique() > 1
        labels = []
        for row in frame.itertuples(index=False):
            parts = ([str(row.metric)] if multi_metric else []) + ([str(row.rater)] if multi_rater else [])
            parts.append(str(row.segment))
            labels.append(_shorten(" · ".join(parts)))
        y = np.arange(len(frame))
        fig, ax = new_axes(ax, figsize=(7.5, min(max(2.2, 0.36 * len(frame) + 1.2), 10.0)))
        diff = frame["difference"].to_numpy(dtype=float)
        low = frame["ci_low"].to_numpy(dtype=float)
        high = frame["ci_high"].to_numpy(dtype=float)
        colours = [_VERDICT_COLOURS.get(v, "#5b6475") for v in frame["verdict"]]
        has_ci = np.isfinite(low) & np.isfinite(high)
        # a percentile interval can sit beside its estimate (skewed resamples): draw the interval as given
        ax.hlines(y[has_ci], low[has_ci], high[has_ci], color="#9aa0a6", lw=1.5)
        ax.scatter(diff, y, c=colours, zorder=3, **kwargs)
        ax.axvline(0.0, color="#9aa0a6", lw=1, ls="--")
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel("candidate − baseline", fontsize=9)
        for verdict, colour in _VERDICT_COLOURS.items():
            if verdict in set(frame["verdict"]):
                ax.scatter([], [], c=colour, label=verdict)
        ax.legend(fontsize=7, loc="best", frameon=False)
        if self.title:
            ax.set_title(self.title, fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self


class TrendDisplay(Display):
    """One series over runs: estimates with ±1.96 SE bars, the always-valid band, the change point.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> seq = pd.DataFrame({"time": np.arange(5), "estimate": [0.8, 0.79, 0.8, 0.7, 0.71],
    ...                     "standard_error": 0.01, "anytime_low": np.nan, "anytime_high": np.nan})
    >>> display = TrendDisplay(seq, change_index=3).plot()
    >>> display.ax_.get_xlabel()
    'run'
    >>> svg = display.to_svg()  # closes the figure
    """

    def __init__(self, sequence: pd.DataFrame, *, change_index: int | None = None, title: str | None = None) -> None:
        self.sequence = sequence
        self.change_index = change_index
        self.title = title

    @classmethod
    def from_result(cls, result: Any, series: int = 0) -> TrendDisplay:
        row = result.to_frame().iloc[series]
        seq = result.sequence
        for column in result.by:
            seq = seq[seq[column] == row[column]]
        name = " / ".join(str(row[c]) for c in result.by) or "metric"
        return cls(seq.reset_index(drop=True), change_index=int(row["change_index"]) if row["change_detected"] else None,
                   title=f"{name}: {row['trend']}")

    def plot(self, ax: Any = None, **kwargs: Any) -> TrendDisplay:
        fig, ax = new_axes(ax)
        seq = self.sequence
        x = np.arange(len(seq))
        est = seq["estimate"].to_numpy(dtype=float)
        se = seq["standard_error"].to_numpy(dtype=float)
        if np.isfinite(se).any():
            ax.errorbar(x, est, yerr=1.96 * np.nan_to_num(se), fmt="o", ms=3, color="#1a73e8", ecolor="#9aa0a6",
                        **kwargs)
        else:
            ax.plot(x, est, "o-", ms=3, color="#1a73e8", **kwargs)
        low, high = seq["anytime_low"].to_numpy(dtype=float), seq["anytime_high"].to_numpy(dtype=float)
        if np.isfinite(low).any():
            ax.fill_between(x, low, high, color="#e8a33d", alpha=0.25, label="always-valid interval (running mean)")
            ax.legend(fontsize=7, frameon=False)
        if self.change_index is not None:
            ax.axvline(self.change_index - 0.5, color="#c5221f", ls="--", lw=1)
        ax.set_xticks(x, [str(t) for t in seq["time"]], fontsize=7, rotation=45)
        ax.set_xlabel("run")
        if self.title:
            ax.set_title(self.title, fontsize=10)
        self.figure_, self.ax_ = fig, ax
        return self
