"""Per-segment shift chart: log(production share / eval share) with its interval, one row per level."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["ShiftDisplay"]


class ShiftDisplay(Display):
    """Horizontal interval plot of each segment level's log(p/q) (> 0: under-represented in eval).

    Parameters
    ----------
    shifts : pandas.DataFrame
        Columns ``segment``, ``level``, ``log_ratio``, ``log_ratio_ci_low``, ``log_ratio_ci_high``,
        ``eval_n`` and ``status`` (the rows of :class:`~alignlab.sampling.RepresentativenessResult`).
    """

    def __init__(self, shifts: pd.DataFrame, *, title: str | None = None) -> None:
        self.shifts = shifts
        self.title = title

    @classmethod
    def from_result(cls, result: Any, *, kind: str = "column", top: int = 30) -> ShiftDisplay:
        """From :func:`alignlab.sampling.audit_representativeness`: the ``top`` largest shifts."""
        table = result.to_frame()
        table = table[(table["kind"] == kind) & (table["production_share"] > 0)]
        table = table.reindex(table["log_ratio"].abs().sort_values(ascending=False).index).head(top)
        table = table.sort_values(["segment", "log_ratio"], kind="stable")
        return cls(table, title=f"Segment shift, production vs evaluation ({result.confidence_level:.0%} intervals)")

    def plot(self, ax: Any = None, **kwargs: Any) -> ShiftDisplay:
        frame = self.shifts.iloc[::-1]
        height = max(2.2, 0.26 * len(frame) + 1.2)
        fig, ax = new_axes(ax, figsize=(7.0, min(height, 11.0)))
        y = np.arange(len(frame))
        est = frame["log_ratio"].to_numpy(dtype=float)
        low = frame["log_ratio_ci_low"].to_numpy(dtype=float)
        high = frame["log_ratio_ci_high"].to_numpy(dtype=float)
        status = frame["status"].astype(str).to_numpy()
        colours = np.where(status == "missing", "#c5221f",
                           np.where(status == "under-represented", "#e8710a",
                                    np.where(status == "over-represented", "#1a73e8", "#5f6368")))
        # a level with no evaluation item has an unbounded ratio: draw it as an arrow at the edge
        missing = frame["eval_n"].to_numpy() == 0 if "eval_n" in frame else np.zeros(len(frame), dtype=bool)
        finite = ~missing
        span = np.nanmax(np.abs(np.r_[low[finite], high[finite], 0.5])) * 1.15 if finite.any() else 1.0
        ax.hlines(y[finite], low[finite], high[finite], colors=colours[finite], linewidth=2, **kwargs)
        ax.scatter(est[finite], y[finite], c=colours[finite], s=22, zorder=3, marker="o")
        if missing.any():
            ax.scatter(np.full(missing.sum(), span), y[missing], c=colours[missing], s=60, zorder=3, marker=">")
            for yy in y[missing]:
                ax.annotate("no items", (span, yy), xytext=(-8, 0), textcoords="offset points", ha="right",
                            va="center", fontsize=7, color="#c5221f")
        ax.set_xlim(-span * 1.05, span * 1.05)
        ax.axvline(0.0, color="#9aa0a6", linewidth=1)
        labels = (frame["segment"].astype(str) + " = " + frame["level"].astype(str)).tolist()
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel("log(production share / eval share); > 0: under-represented in eval", fontsize=9)
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        from matplotlib.lines import Line2D

        handles = [Line2D([0], [0], color=c, marker="o", label=lab) for c, lab in (
            ("#e8710a", "under-represented"), ("#1a73e8", "over-represented"), ("#c5221f", "missing"),
            ("#5f6368", "consistent / thin"))]
        ax.legend(handles=handles, frameon=False, fontsize=7, loc="best")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self
