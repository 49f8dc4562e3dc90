"""Bar chart of judgment counts (the data summary)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["CountsDisplay"]


class CountsDisplay(Display):
    """Horizontal bars of counts per label, coloured by group.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``label``, ``count`` and optionally ``group``.
    """

    def __init__(self, counts: pd.DataFrame, *, xlabel: str = "judgments", title: str | None = None) -> None:
        self.counts = counts
        self.xlabel = xlabel
        self.title = title

    @classmethod
    def from_summary(cls, summary: Any, *, top: int = 30) -> CountsDisplay:
        """From :meth:`alignlab.Judgments.summary`: judgments per rater, coloured by method."""
        by_rater = summary.by_rater.head(top)
        frame = pd.DataFrame(
            {"label": by_rater["rater_id"].astype(str), "count": by_rater["n_judgments"], "group": by_rater["method"]}
        )
        return cls(frame, title=f"Judgments per rater (top {min(top, len(summary.by_rater))})")

    def plot(self, ax: Any = None, **kwargs: Any) -> CountsDisplay:
        frame = self.counts.iloc[::-1]
        height = max(2.0, 0.28 * len(frame) + 1.0)
        fig, ax = new_axes(ax, figsize=(7.0, min(height, 10.0)))
        groups = frame["group"].astype(str) if "group" in frame else pd.Series("all", index=frame.index)
        palette = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#12b5cb", "#9aa0a6"]
        colours = {g: palette[i % len(palette)] for i, g in enumerate(sorted(groups.unique()))}
        ax.barh(frame["label"], frame["count"], color=[colours[g] for g in groups], **kwargs)
        if len(colours) > 1:
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=c, label=g) for g, c in colours.items()], frameon=False, fontsize=8,
                      loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_xlabel(self.xlabel)
        ax.tick_params(axis="y", labelsize=8)
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self
