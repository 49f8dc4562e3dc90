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
        ax.hlines(y, low, high, colors=colours, linewidth=2, **kwargs)
        ax.scatter(est, y, c=colours, s=22, zorder=3,
                   marker="o")
        ax.axvline(0.0, color="#9aa0a6", linewidth=1)
        labels = (frame["segment"].astype(str) + " = " + frame["level"].astype(str)).tolist()
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel("log(production share / evaluation share)   > 0: under-represented in evaluation")
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
