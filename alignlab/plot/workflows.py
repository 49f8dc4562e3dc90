"""Forest plots of the workflow results: rater reliability, judge evidence, trust weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["ForestDisplay"]

#: reliability axes: discrete labels give the kappa with the latent truth (below 0 = worse than chance)
_RELIABILITY_LABEL = "reliability (0 = chance, 1 = perfect; below 0 = worse than chance)"
_PALETTE = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#12b5cb", "#9aa0a6"]


class ForestDisplay(Display):
    """Point estimates with interval bars, one row each, coloured by group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``label``, ``estimate``, ``low``, ``high`` and optionally ``group``.
    xlabel, title : str
    reference : float, optional
        A vertical reference line (e.g. the median rater).
    chance : float, optional
        A solid vertical line where the estimate means "no better than chance" (0 for reliability).

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.plot.workflows import ForestDisplay
    >>> frame = pd.DataFrame({"label": ["a", "b"], "estimate": [0.8, 0.3], "low": [0.7, 0.1], "high": [0.9, 0.5]})
    >>> svg = ForestDisplay(frame, xlabel="reliability").to_svg()
    >>> svg.startswith("<svg")
    True
    """

    def __init__(self, frame: pd.DataFrame, *, xlabel: str = "estimate", title: str | None = None,
                 reference: float | None = None, chance: float | None = None) -> None:
        self.frame = frame
        self.xlabel = xlabel
        self.title = title
        self.reference = reference
        self.chance = chance

    @classmethod
    def from_vendor_audit(cls, audit: Any, *, top: int = 40) -> ForestDisplay:
        """Rater reliability with its interval, coloured by vendor, worst first."""
        t = audit.to_frame().sort_values("reliability").head(top)
        frame = pd.DataFrame({"label": t["rater_id"].astype(str), "estimate": t["reliability"],
                              "low": t["reliability_low"], "high": t["reliability_high"], "group": t["vendor"].astype(str)})
        return cls(frame, xlabel=_RELIABILITY_LABEL, title="Rater reliability by vendor (worst first)",
                   reference=float(np.nanmedian(audit.to_frame()["reliability"])), chance=0.0)

    @classmethod
    def from_judge_validation(cls, validation: Any) -> ForestDisplay:
        """The judge's and the humans' posterior reliability from the joint model."""
        t = validation.reliability
        group = np.where(t["rater_id"].astype(str) == str(validation.judge), "judge", "human")
        if validation.second_judge is not None:
            group = np.where(t["rater_id"].astype(str) == str(validation.second_judge), "second judge", group)
        frame = pd.DataFrame({"label": t["rater_id"].astype(str), "estimate": t["reliability"],
                              "low": t["reliability_low"], "high": t["reliability_high"], "group": group})
        return cls(frame, xlabel=_RELIABILITY_LABEL, title="Posterior reliability (joint annotator model)",
                   chance=0.0)

    @classmethod
    def from_trust_weights(cls, weights: Any) -> ForestDisplay:
        """Each source's weight with its interval, coloured by method."""
        t = weights.to_frame()
        frame = pd.DataFrame({"label": t["source"].astype(str), "estimate": t["weight"], "low": t["weight_low"],
                              "high": t["weight_high"], "group": t["method"].astype(str)})
        return cls(frame, xlabel="weight (sums to 1)", title="Trust weight per source")

    def plot(self, ax: Any = None, **kwargs: Any) -> ForestDisplay:
        frame = self.frame.iloc[::-1].reset_index(drop=True)
        height = max(2.0, 0.3 * len(frame) + 1.0)
        fig, ax = new_axes(ax, figsize=(7.0, min(height, 12.0)))
        groups = frame["group"].astype(str) if "group" in frame else pd.Series("all", index=frame.index)
        colours = {g: _PALETTE[i % len(_PALETTE)] for i, g in enumerate(sorted(groups.unique()))}
        y = np.arange(len(frame))
        est = frame["estimate"].to_numpy(dtype=float)
        low = frame["low"].to_numpy(dtype=float)
        high = frame["high"].to_numpy(dtype=float)
        err = np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])
        for g, colour in colours.items():
            sel = (groups == g).to_numpy()
            ax.errorbar(est[sel], y[sel], xerr=err[:, sel], fmt="o", color=colour, ecolor=colour, capsize=2,
                        markersize=4, label=g, **kwargs)
        if self.reference is not None and np.isfinite(self.reference):
            ax.axvline(self.reference, color="#9aa0a6", linestyle="--", linewidth=1)
        if self.chance is not None:
            ax.axvline(self.chance, color="#d93025", linestyle="-", linewidth=0.8, alpha=0.6)
        ax.set_yticks(y)
        ax.set_yticklabels(frame["label"], fontsize=8)
        ax.set_xlabel(self.xlabel)
        if len(colours) > 1:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self
