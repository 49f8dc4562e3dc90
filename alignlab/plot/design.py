"""Trade-off chart of a data collection plan: expected interval half-width against cost, one line per k."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["TradeoffDisplay"]


class TradeoffDisplay(Display):
    """Expected half-width of the metric (solid) and the agreement statistic (dashed) against cost.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``raters_per_item, n_items, cost, metric_half_width, agreement_half_width`` rows
        (:attr:`alignlab.design.DataCollectionPlan.curves`).
    chosen : (cost, half_width), optional
        The recommended design, marked with a star.
    targets : (metric, agreement), optional
        Target half-widths, drawn as horizontal lines.
    """

    def __init__(self, curves: pd.DataFrame, *, chosen: tuple[float, float] | None = None,
                 targets: tuple[float | None, float | None] = (None, None), title: str | None = None) -> None:
        self.curves = curves
        self.chosen = chosen
        self.targets = targets
        self.title = title

    @classmethod
    def from_result(cls, plan: Any) -> TradeoffDisplay:
        return cls(plan.curves, chosen=(plan.total_cost, plan.expected_half_width),
                   targets=(plan.half_width_target, plan.agreement_half_width_target),
                   title=f"Items vs raters per item ({plan.target.replace('_', ' ')}; dashed: {plan.agreement})")

    def plot(self, ax: Any = None, **kwargs: Any) -> TradeoffDisplay:
        fig, ax = new_axes(ax, figsize=(7.0, 3.8))
        colours = ["#1a73e8", "#e8710a", "#1e8e3e", "#9334e6", "#c5221f", "#5f6368"]
        for i, (k, part) in enumerate(self.curves.groupby("raters_per_item", sort=True)):
            colour = colours[i % len(colours)]
            ax.plot(part["cost"], part["metric_half_width"], color=colour, label=f"k = {k}", **kwargs)
            agree = part["agreement_half_width"].to_numpy(dtype=float)
            if np.isfinite(agree).any():
                ax.plot(part["cost"], agree, color=colour, linestyle="--", linewidth=1)
        metric_target, agreement_target = self.targets
        for value, style in ((metric_target, "-"), (agreement_target, "--")):
            if value is not None and math.isfinite(value):
                ax.axhline(value, color="#9aa0a6", linestyle=style, linewidth=0.8)
        if self.chosen is not None:
            ax.scatter([self.chosen[0]], [self.chosen[1]], marker="*", s=140, color="#202124", zorder=4,
                       label="plan")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cost", fontsize=9)
        ax.set_ylabel("expected half-width", fontsize=9)
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.legend(frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self
